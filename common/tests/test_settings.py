"""Settings read from the environment (SPEC §0), checked in a fresh interpreter each: settings
are read once per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
    cursor.execute("PRAGMA busy_timeout")
    busy = cursor.fetchone()[0]
print(json.dumps({"name": str(settings.DATABASES["default"]["NAME"]), "journal": journal, "busy_ms": busy,
                  "mode": settings.DATABASES["default"]["OPTIONS"].get("transaction_mode")}))
"""


def _probe(tmp_path: Path, **env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH", "PYTEST_XDIST_WORKER"}}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("how", ["SQLITE_PATH", "DATABASE_URL"])
def test_every_sqlite_database_gets_the_same_tuning(tmp_path, how):
    """Busy timeout, WAL and the write lock taken at the start of a transaction, whether the file
    is named by SQLITE_PATH or by a sqlite:/// DATABASE_URL (40 concurrent joins got 503s
    without them)."""
    path = tmp_path / "named.sqlite3"
    env = {"SQLITE_PATH": str(path)} if how == "SQLITE_PATH" else {"DATABASE_URL": f"sqlite:///{path}"}
    found = _probe(tmp_path, **env)
    assert found == {"name": str(path), "journal": "wal", "busy_ms": 20000, "mode": "IMMEDIATE"}
    assert path.exists()


_REDIRECT_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
answer = Client().get("/api/v1/leaderboard/games", HTTP_HOST="gc.example")
print(json.dumps({"setting": settings.SECURE_SSL_REDIRECT, "status": answer.status_code,
                  "location": answer.headers.get("Location")}))
"""


@pytest.mark.parametrize(("value", "redirects"), [(None, True), ("true", True), ("false", False)])
def test_secure_ssl_redirect_is_on_with_debug_off_unless_switched_off(value, redirects):
    """SPEC §0: with DEBUG off every plain-HTTP request is redirected to HTTPS, unless
    SECURE_SSL_REDIRECT=false (a balancer in front terminates TLS, or nothing speaks HTTPS)."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECURE_SSL_REDIRECT", "DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="false", SECRET_KEY="s" * 60, ALLOWED_HOSTS="gc.example")
    if value is not None:
        env["SECURE_SSL_REDIRECT"] = value
    done = subprocess.run(
        [sys.executable, "-c", _REDIRECT_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["setting"] is redirects
    if redirects:
        assert found["status"] == 301
        assert found["location"] == "https://gc.example/api/v1/leaderboard/games"
    else:
        assert found["status"] != 301
