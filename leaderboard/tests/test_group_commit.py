"""Group commit of submissions (services.scores_record: one INSERT and one Redis round trip per batch)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import ahead, make_gamer, utc
from gamers.models import Gamer
from leaderboard import boards
from leaderboard.models import Score
from leaderboard.selectors import board_around, board_window
from leaderboard.services import ScoreEntry, score_check, scores_record
from leaderboard.tests.factories import ensure_games, unreachable_redis

# The boards are per UTC day, ISO week and month: every test starts at one instant, a Wednesday
# noon mid-month (ahead of the real clock, for Redis's expiries), whatever the real date.
pytestmark = pytest.mark.time_machine(ahead(utc(2031, 3, 12, 12)), tick=True)


def _entry(user: Any, game: str, score: int) -> ScoreEntry:
    return score_check(user=user, game=game, score=score)


def test_a_batch_is_one_insert_and_answers_in_order(games):
    players = [make_gamer(f"batch player {i}") for i in range(10)]
    entries = [_entry(p, "cod", 100 * (i + 1)) for i, p in enumerate(players)]
    with CaptureQueriesContext(connection) as captured:
        results = scores_record(entries)
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    # The suspensions in force for the batch's players, one multi-row INSERT of the scores, then
    # the report aggregates: lock the players' rows, upsert the bests, recompute the sums;
    # whatever the batch size. The boards are one Redis round trip.
    assert len(statements) == 5
    assert sum(sql.replace('"', "").startswith("INSERT INTO leaderboard_score (") for sql in statements) == 1
    assert [r.score for r in results] == [100 * (i + 1) for i in range(10)]
    assert [r.rank for r in results] == [1] * 10  # each was the top score when it was applied
    ids = [r.score_id for r in results]
    assert ids == sorted(ids) and len(set(ids)) == 10
    rows = board_window(game="cod", period="all", start=0, end=9).rows
    assert [r["user_id"] for r in rows] == [p.pk for p in reversed(players)]


def test_ties_in_one_batch_go_to_the_earlier_entry_on_every_board(games):
    first, second, third = (make_gamer(n) for n in ("tie first", "tie second", "tie third"))
    results = scores_record(
        [_entry(second, "apex", 50), _entry(first, "apex", 80), _entry(third, "apex", 80), _entry(first, "apex", 10)]
    )
    assert [r.best for r in results] == [50, 80, 80, 80]  # a lower later score doesn't lower the best
    for period in ("day", "week", "month", "all"):
        rows = board_window(game="apex", period=period, start=0, end=9).rows
        assert [r["user_id"] for r in rows] == [first.pk, third.pk, second.pk], period
        rows = board_window(game="all", period=period, start=0, end=9).rows
        assert [r["user_id"] for r in rows] == [first.pk, third.pk, second.pk], period
    assert Score.objects.filter(game__slug="apex").count() == 4  # every submission is kept


@pytest.mark.django_db(transaction=True)
def test_a_failing_row_fails_alone():
    ensure_games()
    keeper, other = make_gamer("keeper player"), make_gamer("other player")
    gone = make_gamer("gone player")
    doomed = _entry(gone, "rocket", 3000)
    Gamer.objects.filter(pk=gone.pk).delete()  # deleted between the check and the write
    results = scores_record([_entry(keeper, "rocket", 1000), doomed, _entry(other, "rocket", 2000)])
    assert isinstance(results[1], Exception)
    assert [results[0].best, results[2].best] == [1000, 2000]
    assert [results[0].rank, results[2].rank] == [1, 1]
    assert sorted(Score.objects.values_list("user_id", flat=True)) == sorted([keeper.pk, other.pk])
    assert board_around(game="rocket", period="all", user_id=gone.pk, radius=0) is None


def test_redis_down_stores_the_whole_batch_and_says_so(games, monkeypatch):
    monkeypatch.setattr(boards, "get_redis", unreachable_redis)
    players = [make_gamer(f"offline player {i}") for i in range(3)]
    Score.objects.create(user=players[0], game=games["fifa"], value=90, achieved_at=timezone.now())
    results = scores_record([_entry(p, "fifa", 40 + i) for i, p in enumerate(players)])
    assert [r.boards_updated for r in results] == [False] * 3
    assert [r.best for r in results] == [90, 41, 42]  # from the database
    assert [r.rank for r in results] == [None] * 3
    assert all(v is None for r in results for v in r.period_ranks.values())
    assert Score.objects.filter(game=games["fifa"]).count() == 4
