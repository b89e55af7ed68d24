"""Security review: a flood of ATTEMPT frames is throttled per socket before it reaches the game.

A throttled attempt is not stored and costs nothing; the flooder's socket stays open and the
other players keep playing (docs/hardening.md, "Security review").
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db.models import Sum

from gamers.models import CoinTransaction
from trivia.models import Attempt
from trivia.tests.factories import start_round
from trivia.tests.test_consumer import _track_sockets, drain, open_socket, wait_for  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def attempts_and_ledger(user_id: int) -> tuple[int, int, int]:
    from gamers.models import Gamer

    stored = Attempt.objects.filter(gamer_id=user_id).count()
    ledger = CoinTransaction.objects.filter(gamer_id=user_id).aggregate(total=Sum("amount"))["total"]
    return stored, ledger, Gamer.objects.get(pk=user_id).coins


@pytest.fixture
def round_worth_50(db):
    return start_round("Buenos Aires", value=50)


async def test_attempt_flood_is_cut_at_the_burst_and_costs_nothing_beyond_it(
    settings, gamer, other_gamer, round_worth_50
):
    settings.TRIVIA_FRAME_BURST = 5
    settings.TRIVIA_FRAME_RATE = 0.001  # no refill during the test
    flooder, other = await open_socket(gamer), await open_socket(other_gamer)
    _, _, coins_before = await attempts_and_ledger(gamer.pk)
    for n in range(40):
        await flooder.send_json_to({"event": "ATTEMPT", "data": {"message": f"wrong guess {n}"}})
    frames = await drain(flooder)
    errors = [f["data"]["message"] for f in frames if f["event"] == "ERROR"]
    assert "Too many messages; slow down." in errors

    stored, ledger, coins = await attempts_and_ledger(gamer.pk)
    assert stored == 5  # exactly the burst reached the game
    assert coins == ledger  # what was charged is in the ledger, nothing more
    paid = max(0, stored - settings.TRIVIA_FREE_ATTEMPTS) * settings.TRIVIA_ATTEMPT_COST
    assert coins_before - coins == paid

    # The other player is unaffected and still plays.
    await other.send_json_to({"event": "ATTEMPT", "data": {"message": "Buenos Aires"}})
    coin_diff = await wait_for(other, "COIN_DIFF")
    assert coin_diff["coinDiff"] == 50  # the other player won the round
