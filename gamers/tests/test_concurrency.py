"""Race tests: real threads against PostgreSQL."""

import pytest

from common.errors import Conflict
from gamers.models import Gamer
from gamers.services import gamer_register
from testsupport.testing import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


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
