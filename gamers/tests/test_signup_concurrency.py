"""Sign-ups at once on the embedded default (SQLite takes its write lock when a transaction
starts): the password hash, the slow part of a sign-up, must be done before the transaction
opens, or every other writer (sign-ups, the in-process trivia clock) waits behind it and gets
`database is locked` on a busy machine (issue 20)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection

from gamers.models import Gamer
from gamers.services import gamer_register

ROOT = Path(__file__).resolve().parents[2]
SEEN: list[bool] = []
_seen_lock = threading.Lock()


class RecordingHasher(MD5PasswordHasher):
    """MD5, noting whether the hashing thread's connection had a transaction open."""

    algorithm = "recording_md5"

    def encode(self, password: str, salt: str) -> str:
        with _seen_lock:
            SEEN.append(connection.in_atomic_block)
        return super().encode(password, salt)  # "recording_md5$...": the algorithm attribute names it


@pytest.mark.django_db(transaction=True)
def test_sign_up_hashes_the_password_before_its_transaction(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.RecordingHasher"]
    SEEN.clear()
    gamer, _ = gamer_register(username="hasher", email="hasher@example.com", password="Kq8!vT2#pLw9")
    assert SEEN == [False], "the password was hashed inside an open transaction"
    assert Gamer.objects.get(pk=gamer.pk).check_password("Kq8!vT2#pLw9")


# A fresh interpreter on a SQLite file, as `make run` has it (the tests' own SQLite database
# is in memory, where threads share one cache and fail at once instead of waiting for locks),
# with the production hasher (Argon2). A clock-like writer commits small writes all along.
_RACE = """
import json, sys, threading, time
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.conf import settings
from django.contrib.auth.hashers import get_hashers
from gamers.models import CoinTransaction, Gamer
from gamers.services import gamer_register
from testsupport.testing import run_in_threads

assert get_hashers()[0].algorithm == "argon2", get_hashers()[0].algorithm
players = int(sys.argv[1])
stop = threading.Event()
ticks, tick_errors = [], []

def clock():
    from django.db import connection, transaction
    while not stop.is_set():
        try:
            with transaction.atomic():
                Gamer.objects.filter(username="nobody").update(bio="")
            ticks.append(1)
        except Exception as exc:
            tick_errors.append(repr(exc))
        stop.wait(0.01)
    connection.close()

ticker = threading.Thread(target=clock)
ticker.start()
started = time.perf_counter()
results = run_in_threads(
    players,
    lambda i: gamer_register(username=f"racer{i}", email=f"racer{i}@example.com", password="Kq8!vT2#pLw9")[0].pk,
)
elapsed = time.perf_counter() - started
stop.set()
ticker.join(30)
print(json.dumps({
    "errors": [repr(r) for r in results if not isinstance(r, int)],
    "accounts": Gamer.objects.filter(username__startswith="racer").count(),
    "ledger": CoinTransaction.objects.filter(gamer__username__startswith="racer").count(),
    "coins": sorted(set(Gamer.objects.filter(username__startswith="racer").values_list("coins", flat=True))),
    "starting": settings.STARTING_COINS,
    "ticks": len(ticks), "tick_errors": tick_errors, "seconds": elapsed,
}))
"""


def test_concurrent_sign_ups_on_the_embedded_default_all_succeed(tmp_path):
    players = 8
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "PYTEST_XDIST_WORKER"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", SQLITE_PATH=str(tmp_path / "race.sqlite3"))
    # Eight hashes at once queue for the bounded pool (common/hashers.py): let them wait, this
    # test is about SQLite's locks.
    env["PASSWORD_HASH_WAIT_SECONDS"] = "120"
    done = subprocess.run(
        [sys.executable, "-c", _RACE, str(players)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["errors"] == []
    assert found["accounts"] == found["ledger"] == players
    assert found["coins"] == [found["starting"]]
    # The clock kept committing while eight Argon2 hashes ran.
    assert found["tick_errors"] == []
    assert found["ticks"] > 0
