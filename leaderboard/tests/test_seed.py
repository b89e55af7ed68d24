"""Demo scores: players in bulk, scores over six months, boards built after commit."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from common.seeding import SeedContext
from gamers.models import CoinTransaction, Gamer
from leaderboard import seed as leaderboard_seed
from leaderboard.models import PlayerPeriod, Score, ScorePeriod
from leaderboard.selectors import board_window

pytestmark = pytest.mark.usefixtures("games")


def test_seed_makes_players_and_scores_over_six_months(db, django_capture_on_commit_callbacks):
    out = io.StringIO()
    ctx = SeedContext(stdout=out, players=0, scores=3000)
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard_seed.seed(ctx)
    assert Score.objects.count() == 3000
    assert Gamer.objects.count() == 300  # one player per ten scores
    # Bulk-made players keep the coin ledger invariant and can't sign in with a password.
    ledger = CoinTransaction.objects.aggregate(total=Sum("amount"))["total"]
    assert ledger == Gamer.objects.aggregate(total=Sum("coins"))["total"] == 300 * settings.STARTING_COINS
    assert not any(g.has_usable_password() for g in Gamer.objects.all()[:20])
    span = Score.objects.aggregate(first=Min("achieved_at"), last=Max("achieved_at"))
    now = timezone.now()
    assert now - timedelta(days=184) < span["first"] < now - timedelta(days=150)
    assert now - timedelta(days=2) < span["last"] <= now
    assert Score.objects.values("game").distinct().count() == 10
    # Ids follow time, as live submissions do.
    ordered = list(Score.objects.order_by("id").values_list("achieved_at", flat=True))
    assert ordered == sorted(ordered)
    # Values fit each game's range.
    for game_id, top in Score.objects.values_list("game").annotate(top=Max("value")):
        assert top <= Score.objects.filter(game_id=game_id).first().game.max_score
    # The boards were built from the rows once the transaction committed.
    everyone = board_window(game="all", period="all", start=0, end=0)
    assert everyone.total_count == Score.objects.aggregate(n=Count("user", distinct=True))["n"]
    assert "scores" in out.getvalue() and "rebuild boards" in out.getvalue()
    # The report aggregates match the bulk-inserted rows: every player's all-time total.
    bests = Score.objects.values("user", "game").annotate(best=Max("value"))
    totals: dict[int, int] = {}
    for row in bests:
        totals[row["user"]] = totals.get(row["user"], 0) + row["best"]
    stored = dict(PlayerPeriod.objects.filter(period="all").values_list("user_id", "total"))
    assert stored == totals
    assert ScorePeriod.objects.filter(period="day").count() == len(
        {(u, g, at.date()) for u, g, at in Score.objects.values_list("user_id", "game_id", "achieved_at")}
    )


def test_seed_reuses_existing_gamers_first(db, gamer, other_gamer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard_seed.seed(SeedContext(stdout=io.StringIO(), scores=20))
    assert Gamer.objects.count() == 2  # 20 scores need 2 players: the two that exist
    assert set(Score.objects.values_list("user_id", flat=True)) <= {gamer.pk, other_gamer.pk}


def test_seed_demo_command_fills_the_boards(db, django_capture_on_commit_callbacks):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--players", "3", "--scores", "500", stdout=out)
    assert Score.objects.count() == 500
    assert board_window(game="cod", period="all", start=0, end=9).rows
    assert "Demo data loaded" in out.getvalue()
