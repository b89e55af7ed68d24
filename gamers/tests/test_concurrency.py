"""Race tests: real threads against PostgreSQL."""

import threading

import pytest
from django.db import connection

from common.errors import Conflict
from gamers.models import Gamer
from gamers.services import gamer_register

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_threads(n: int, target) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_twenty_racing_registrations_of_one_username_in_different_cases_give_one_account():
    names = ["Race Winner", "race winner", "RACE WINNER", "Race  Winner", "rAcE wInNeR"]

    def register(i: int):
        return gamer_register(username=names[i % len(names)], email=f"racer{i}@example.com", password="S3cure-pass!")

    results = run_in_threads(20, register)
    winners = [r for r in results if isinstance(r, tuple)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1, results
    assert len(conflicts) == 19
    assert all(c.code == "username_taken" for c in conflicts)
    assert Gamer.objects.filter(username_key="race winner").count() == 1
