"""Ten workers archive the same ended windows at once on PostgreSQL: each board is archived
once and each weekly prize paid once (the unique Season row guards the archive's transaction)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import Sum

from conftest import make_gamer
from gamers.models import CoinTransaction, Gamer, Notification, NotificationKind
from leaderboard import seasons
from leaderboard.models import Game, Score, Season, SeasonEntry, SeasonPrize
from testsupport.testing import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("games")]

NOW = datetime(2026, 12, 7, 0, 5, tzinfo=UTC)
IN_WEEK = datetime(2026, 12, 3, 12, tzinfo=UTC)


def balances_match_ledger() -> bool:
    ledger = dict(CoinTransaction.objects.values_list("gamer").annotate(s=Sum("amount")).values_list("gamer", "s"))
    return all(coins == ledger.get(pk, 0) for pk, coins in Gamer.objects.values_list("id", "coins"))


def test_ten_racing_workers_archive_each_board_once_and_pay_each_prize_once(settings: Any) -> None:
    settings.LEADERBOARD_WEEKLY_PRIZES = (100, 50, 25)
    settings.LEADERBOARD_SEASON_DELAY_SECONDS = 60
    players = [make_gamer(f"racer {n}") for n in range(5)]
    before = dict(Gamer.objects.values_list("id", "coins"))
    for slug in ("cod", "fifa"):
        game = Game.objects.get(slug=slug)
        Score.objects.bulk_create(
            Score(user=p, game=game, value=500 - 10 * n, achieved_at=IN_WEEK + timedelta(minutes=n))
            for n, p in enumerate(players)
        )

    results = run_in_threads(10, lambda i: seasons.seasons_archive(now=NOW))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(len(r.seasons) for r in results) == 33  # 3 windows x 11 boards, once each
    assert Season.objects.count() == 33
    assert SeasonEntry.objects.filter(season__key="w2026-W49").count() == 15  # cod, fifa, all
    assert SeasonPrize.objects.count() == 9
    prizes = CoinTransaction.objects.filter(reason=CoinTransaction.Reason.PRIZE)
    assert prizes.count() == 9
    # cod, fifa and all rank the players alike: the first three win there three times.
    gained = {pk: coins - before[pk] for pk, coins in Gamer.objects.values_list("id", "coins")}
    assert [gained[p.pk] for p in players] == [300, 150, 75, 0, 0]
    assert balances_match_ledger()
    assert Notification.objects.filter(kind=NotificationKind.LEADERBOARD_PRIZE).count() == 9
