"""Rebuilding the boards from the database; submissions while Redis is unreachable."""

import io
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis as redis_py
from django.core.management import CommandError, call_command

from common.redis import get_redis
from conftest import ahead, client_for, make_gamer, utc
from leaderboard import boards, rebuild, rules
from leaderboard.games import game_catalog
from leaderboard.models import Score
from leaderboard.rules import ALL_BOARD
from leaderboard.selectors import board_me, board_window
from leaderboard.tests.factories import submit, unreachable_redis

# A Wednesday noon, mid-month: the day, week and month boards all have hours of history behind them.
# Every test starts there (the boards are per UTC day, ISO week and month), whatever the real date.
MIDWEEK = ahead(utc(2031, 3, 12, 12))
pytestmark = [pytest.mark.usefixtures("games"), pytest.mark.time_machine(MIDWEEK, tick=True)]
# Monday 1 January 2029, five minutes past midnight (past the rebuild's replay of the last minute):
# a new day, ISO week (2029-W01), month and year.
NEW_YEAR = ahead(utc(2029, 1, 1, 0, 5))


def snapshot(now: datetime) -> dict:
    """Every current board, the names and the when hashes, as Redis holds them."""
    client = get_redis()
    keys = boards.current_board_keys([ALL_BOARD, *game_catalog().slugs], now)
    state = {key: client.zrange(key, 0, -1, withscores=True) for key in keys}
    state[boards.NAMES_KEY] = client.hgetall(boards.NAMES_KEY)
    state[boards.WHEN_KEY] = client.hgetall(boards.WHEN_KEY)
    return state


def random_history(n_players: int, n_scores: int, now: datetime, seed: int = 7) -> list:
    rng = random.Random(seed)
    players = [make_gamer(f"history player {i}") for i in range(n_players)]
    catalog = game_catalog()
    for _ in range(n_scores):
        game = rng.choice(catalog.games)
        # Mostly recent, so the day, week and month boards have plenty of entries.
        age = timedelta(seconds=rng.random() * (3 * 86400 if rng.random() < 0.7 else 60 * 86400))
        value = rng.randint(0, min(game.max_score, 40))  # a narrow range: many equal values to break
        submit(rng.choice(players), game.slug, value, at=now - age)
    return players


@pytest.mark.time_machine(MIDWEEK, tick=False)
def test_rebuild_after_flush_gives_identical_boards():
    # Frozen: the history, the snapshots and the rebuild all read one instant. On the real clock
    # this failed in the first minutes of every day: the new day's (and on Mondays the new week's)
    # boards were still empty, and the day board that had no score yet had no expiry to restore.
    now = datetime.now(UTC)
    random_history(40, 1000, now)
    before = snapshot(now)
    assert sum(1 for key, rows in before.items() if rows and key.startswith(boards.BOARD_PREFIX)) >= 30
    assert len(before[rules.board_key(ALL_BOARD, rules.period_window("all", now))]) == 40
    get_redis().flushdb()
    assert board_window(game="all", period="all", start=0, end=9).rows == []
    out = io.StringIO()
    stats = rebuild.boards_rebuild(now=now, stream=out)
    assert snapshot(now) == before
    assert stats.players == 40 and stats.entries > 0
    assert "rebuild boards" in out.getvalue()
    # Expiry is restored too.
    day_key = rules.board_key(ALL_BOARD, rules.period_window("day", now))
    assert get_redis().ttl(day_key) > 0


@pytest.mark.time_machine(NEW_YEAR, tick=False)
def test_rebuild_just_after_a_new_year_keeps_only_the_new_periods_scores(db):
    now = datetime.now(UTC)
    midnight = now.replace(minute=0)
    late, early, later = make_gamer("late owl"), make_gamer("early bird"), make_gamer("later bird")
    submit(late, "cod", 50, at=midnight - timedelta(microseconds=1))  # 31 December, 23:59:59.999999
    submit(early, "cod", 40, at=midnight)
    submit(later, "rocket", 30, at=now - timedelta(seconds=10))
    before = snapshot(now)
    get_redis().flushdb()
    rebuild.boards_rebuild(now=now, stream=io.StringIO())
    assert snapshot(now) == before
    for period in ("day", "week", "month"):
        window = rules.period_window(period, now)
        assert window.start == midnight, period
        rows = board_window(game="all", period=period, start=0, end=9).rows
        assert [(r["user_id"], r["score"]) for r in rows] == [(early.pk, 40), (later.pk, 30)], period
        assert get_redis().ttl(rules.board_key(ALL_BOARD, window)) > 0, period
    rows = board_window(game="all", period="all", start=0, end=9).rows
    assert [(r["user_id"], r["score"]) for r in rows] == [(late.pk, 50), (early.pk, 40), (later.pk, 30)]


def test_rebuild_drops_boards_the_database_does_not_back(db):
    player = make_gamer("real player")
    submit(player, "cod", 10)
    client = get_redis()
    client.zadd("lb:b:chess:all", {"999999": 5})
    client.zadd("lb:b:cod:d2020-01-01", {"1": 5})
    rebuild.boards_rebuild(stream=io.StringIO())
    assert not client.exists("lb:b:chess:all")
    assert not client.exists("lb:b:cod:d2020-01-01")
    assert [r["user_id"] for r in board_window(game="cod", period="all", start=0, end=9).rows] == [player.pk]
    assert not list(client.scan_iter(match="lb:tmp:*"))


def test_scores_that_land_during_a_rebuild_are_not_lost(db, monkeypatch):
    early, late = make_gamer("early bird"), make_gamer("late comer")
    submit(early, "rocket", 100)
    original = rebuild._load_names

    def submit_mid_rebuild(*args, **kwargs):
        # After the SQL snapshot, before the swap: the swap overwrites the live boards.
        submit(late, "rocket", 300)
        return original(*args, **kwargs)

    monkeypatch.setattr(rebuild, "_load_names", submit_mid_rebuild)
    stats = rebuild.boards_rebuild(stream=io.StringIO())
    assert stats.replayed >= 1
    rows = board_window(game="rocket", period="all", start=0, end=9).rows
    assert [(r["user_id"], r["score"]) for r in rows] == [(late.pk, 300), (early.pk, 100)]


def test_submission_with_redis_unreachable_is_stored_and_rebuild_repairs_it(db, monkeypatch):
    player, rival = make_gamer("steady player"), make_gamer("rival player")
    submit(rival, "cod", 500)
    client = client_for(player)
    monkeypatch.setattr(boards, "get_redis", unreachable_redis)
    response = client.post("/api/v1/leaderboard/scores", {"game": "cod", "score": 900}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body.pop("id") == Score.objects.get(user=player).pk
    assert body == {
        "status": "ranked",
        "game": "cod",
        "score": 900,
        "best": 900,
        "rank": None,
        "period_ranks": {"day": None, "week": None, "month": None, "all": None},
        "boards_updated": False,
    }
    assert Score.objects.filter(user=player, game__slug="cod", value=900).exists()
    # Reads say the boards are unavailable, without a 500.
    down = client.get("/api/v1/leaderboard/cod")
    assert down.status_code == 503
    assert down.json()["code"] == "leaderboard_unavailable"
    monkeypatch.undo()
    boards.breaker_reset()
    assert board_me(game="cod", period="all", user_id=player.pk) is None  # the boards missed it
    call_command("rebuild_leaderboards", stdout=io.StringIO())
    rows = board_window(game="cod", period="all", start=0, end=9).rows
    assert [(r["user_id"], r["score"]) for r in rows] == [(player.pk, 900), (rival.pk, 500)]
    assert board_me(game="all", period="day", user_id=player.pk)["rank"] == 1


def test_after_one_failure_submissions_skip_redis_for_a_while(db, monkeypatch):
    calls = []

    class CountingUnreachable(redis_py.Redis):
        def evalsha(self, *args, **kwargs):
            calls.append(args[0])
            return super().evalsha(*args, **kwargs)

    dead = unreachable_redis()
    counting = CountingUnreachable(connection_pool=dead.connection_pool)
    monkeypatch.setattr(boards, "get_redis", lambda: counting)
    player = make_gamer("patient player")
    results = [submit(player, "fifa", n) for n in range(5)]
    assert [r.boards_updated for r in results] == [False] * 5
    assert [r.best for r in results] == [0, 1, 2, 3, 4]
    assert len(calls) == 1  # the breaker kept the other four away from the dead server
    assert Score.objects.filter(user=player).count() == 5


def test_rebuild_command_reports_an_unreachable_redis(db, monkeypatch):
    monkeypatch.setattr(rebuild, "get_redis", unreachable_redis)
    with pytest.raises(CommandError, match="Redis is unavailable"):
        call_command("rebuild_leaderboards", stdout=io.StringIO())


def test_rebuild_command_prints_progress_and_a_summary(db):
    submit(make_gamer("some player"), "apex", 7)
    out = io.StringIO()
    call_command("rebuild_leaderboards", stdout=out)
    text = out.getvalue()
    assert "rebuild boards" in text and "[####" in text
    assert "Rebuilt 8 boards" in text  # apex and all, four periods


def delete_in_back_office(admin: Any, score_id: int, capture: Any) -> None:
    from django.test import Client

    site = Client()
    site.force_login(admin)
    with capture(execute=True):
        response = site.post(
            "/admin/leaderboard/score/", {"action": "delete_selected", "_selected_action": [score_id], "post": "yes"}
        )
    assert response.status_code == 302


def test_deleting_scores_in_the_back_office_recomputes_those_players(db, admin, django_capture_on_commit_callbacks):
    cheat, honest = make_gamer("cheater player"), make_gamer("honest player")
    submit(honest, "cod", 400)
    submit(cheat, "cod", 300)
    bogus = submit(cheat, "cod", 99_999)
    delete_in_back_office(admin, bogus.score_id, django_capture_on_commit_callbacks)
    rows = board_window(game="cod", period="all", start=0, end=9).rows
    assert [(r["user_id"], r["score"]) for r in rows] == [(honest.pk, 400), (cheat.pk, 300)]
    assert board_me(game="all", period="week", user_id=cheat.pk)["score"] == 300


def test_deleting_an_old_score_recomputes_a_player_with_none_this_month(db, admin, django_capture_on_commit_callbacks):
    # The player is on none of the current day, week and month boards: nothing to write there.
    # (The refresh failed on those empty boards: found at 00:00 on a Monday, the scores made on
    # Sunday evening.)
    long_ago = datetime.now(UTC) - timedelta(days=40)
    cheat, honest = make_gamer("old cheater"), make_gamer("old honest")
    submit(honest, "cod", 400, at=long_ago)
    submit(cheat, "cod", 300, at=long_ago)
    bogus = submit(cheat, "cod", 99_999, at=long_ago + timedelta(seconds=1))
    delete_in_back_office(admin, bogus.score_id, django_capture_on_commit_callbacks)
    rows = board_window(game="cod", period="all", start=0, end=9).rows
    assert [(r["user_id"], r["score"]) for r in rows] == [(honest.pk, 400), (cheat.pk, 300)]
    assert board_me(game="all", period="month", user_id=cheat.pk) is None


def test_a_deleted_account_leaves_every_board(db, django_capture_on_commit_callbacks):
    from gamers.services import gamer_delete_self

    leaving, staying = make_gamer("leaving player"), make_gamer("staying player")
    submit(leaving, "cod", 10)
    submit(leaving, "rocket", 10)
    submit(staying, "cod", 5)
    with django_capture_on_commit_callbacks(execute=True):
        gamer_delete_self(gamer=leaving)
    client = get_redis()
    for key in client.scan_iter(match=boards.BOARD_PREFIX + "*"):
        assert client.zscore(key, str(leaving.pk)) is None, key
    assert client.hget(boards.NAMES_KEY, str(leaving.pk)) is None
    assert [r["user_id"] for r in board_window(game="all", period="all", start=0, end=9).rows] == [staying.pk]


def test_period_rollover_is_noticed_once():
    first = datetime(2031, 3, 2, 23, 59, 59, tzinfo=UTC)  # a Sunday
    assert boards.rollover_check(first) == []
    assert boards.rollover_check(first) == []
    assert boards.rollover_check(first + timedelta(seconds=1)) == ["week", "day"]
    assert boards.rollover_check(first + timedelta(seconds=2)) == []
    assert boards.rollover_check(datetime(2031, 4, 1, tzinfo=UTC)) == ["month", "week", "day"]
    # New Year on a Saturday: ISO week 2032-W53 goes on until Monday.
    assert boards.rollover_check(utc(2032, 12, 31, 23, 59, 59)) == ["month", "week", "day"]
    assert boards.rollover_check(utc(2033, 1, 1)) == ["month", "day"]
    assert boards.rollover_check(utc(2033, 1, 3)) == ["week", "day"]
