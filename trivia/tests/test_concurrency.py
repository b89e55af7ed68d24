"""Race tests: real threads against PostgreSQL (exactly one winner, coins never lost)."""

import random

import pytest
from django.db.models import Count, Sum

from common.errors import ServiceError
from conftest import make_gamer
from gamers.models import CoinTransaction, Gamer
from testsupport.testing import run_in_threads
from trivia import services
from trivia.models import Attempt, Round
from trivia.services import NoRound
from trivia.tests.factories import make_entries, start_round

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def assert_balances_match_ledger() -> None:
    ledger = dict(CoinTransaction.objects.values_list("gamer").annotate(s=Sum("amount")).values_list("gamer", "s"))
    for gamer_id, coins in Gamer.objects.values_list("id", "coins"):
        assert coins == ledger.get(gamer_id, 0), gamer_id
        assert coins >= 0


def test_twenty_simultaneous_correct_answers_make_exactly_one_winner_and_one_prize():
    round_ = start_round("Buenos Aires", value=80)
    gamers = [make_gamer(f"racer {i:02d}") for i in range(20)]
    results = run_in_threads(20, lambda i: services.attempt_submit(user=gamers[i], message="buenos aires"))
    winners = [r for r in results if isinstance(r, services.AttemptResult)]
    assert len(winners) == 1, results
    assert winners[0].correct and winners[0].prize == 80
    assert all(isinstance(r, NoRound) for r in results if r is not winners[0]), results
    round_.refresh_from_db()
    assert round_.state == Round.State.ENDED and round_.prize == 80
    assert CoinTransaction.objects.filter(reason="prize").count() == 1
    assert CoinTransaction.objects.get(reason="prize").gamer_id == round_.winner_id
    assert Attempt.objects.filter(correct=True).count() == 1
    assert_balances_match_ledger()


def test_racing_ticks_advance_a_round_exactly_once():
    round_ = start_round("Tom and Jerry")
    due = round_.split_ends_at
    results = run_in_threads(12, lambda i: services.tick(now=due))
    assert sorted(results) == ["idle"] * 11 + ["split"]
    round_.refresh_from_db()
    assert (round_.reveals, round_.version, round_.masked.count("_")) == (1, 1, 10)


def test_racing_ticks_start_exactly_one_round():
    make_entries(5)
    results = run_in_threads(12, lambda i: services.tick())
    assert results.count("started") == 1, results
    assert Round.objects.count() == 1
    ended = Round.objects.get()
    ended.state, ended.next_round_at, ended.end_reason = Round.State.ENDED, ended.split_ends_at, "revealed"
    ended.save()
    results = run_in_threads(12, lambda i: services.tick(now=ended.next_round_at))
    assert results.count("started") == 1, results
    assert sorted(Round.objects.values_list("number", "state")) == [(1, Round.State.CLOSED), (2, Round.State.PLAYING)]


def test_a_storm_of_attempts_and_ticks_never_loses_a_coin(settings):
    settings.TRIVIA_FREE_ATTEMPTS = 2
    settings.TRIVIA_ATTEMPT_COST = 3
    settings.TRIVIA_ROUND_END_SECONDS = 0
    settings.TRIVIA_SPLIT_SECONDS = 0.01
    entries = make_entries(8)
    answers = [e.answer for e in entries]
    gamers = [make_gamer(f"stormer {i:02d}") for i in range(12)]
    services.tick()

    def storm(i: int) -> int:
        rng = random.Random(i)
        played = 0
        for _ in range(25):
            if i % 4 == 0:
                services.tick()  # a few threads play the clock as well
            try:
                guess = rng.choice(answers) if rng.random() < 0.3 else f"wrong {rng.random()}"
                services.attempt_submit(user=gamers[i], message=guess)
                played += 1
            except ServiceError:
                pass
        return played

    results = run_in_threads(12, storm)
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == Attempt.objects.count() > 0
    assert_balances_match_ledger()
    # Every round has at most one winner, who is its one prize-winning attempt.
    prizes = dict(Attempt.objects.filter(prize__gt=0).values_list("round").annotate(n=Count("id")))
    assert set(prizes.values()) <= {1}
    for round_ in Round.objects.exclude(winner=None):
        assert prizes[round_.pk] == 1
        attempt = Attempt.objects.get(round=round_, prize__gt=0)
        assert (attempt.gamer_id, attempt.prize) == (round_.winner_id, round_.prize)
    # The ledger agrees with the attempts, round by round.
    spent = Attempt.objects.aggregate(s=Sum("cost"))["s"] or 0
    won = Attempt.objects.aggregate(s=Sum("prize"))["s"] or 0
    assert -spent == (CoinTransaction.objects.filter(reason="attempt").aggregate(s=Sum("amount"))["s"] or 0)
    assert won == (CoinTransaction.objects.filter(reason="prize").aggregate(s=Sum("amount"))["s"] or 0)
    numbers = list(Round.objects.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert Round.objects.filter(state__in=[Round.State.PLAYING, Round.State.ENDED]).count() == 1
