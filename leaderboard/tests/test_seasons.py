"""Season archives and weekly prizes (SPEC §6 "Seasons"): which windows are archived when, the
final standings (the boards' rule, from the database), exactly-once archives and payouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db.models import Sum

from common.clock import _ticks
from conftest import make_gamer
from gamers.models import CoinTransaction, Gamer, Notification, NotificationKind
from leaderboard import seasons
from leaderboard.games import catalog_invalidate
from leaderboard.models import Game, Score, Season, SeasonEntry, SeasonPrize

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("games")]

# Monday 7 December 2026, 00:05 UTC: the day of the 6th, ISO week 49 (Monday 30 November to
# Monday 7 December) and November (which ended on Tuesday 1 December) have ended.
NOW = datetime(2026, 12, 7, 0, 5, tzinfo=UTC)
WEEK_START = datetime(2026, 11, 30, tzinfo=UTC)
WEEK_END = datetime(2026, 12, 7, tzinfo=UTC)
IN_WEEK = datetime(2026, 12, 3, 12, tzinfo=UTC)  # a Thursday: in the week, not in the day or month
BOARDS = 11  # ten games and `all`


@pytest.fixture(autouse=True)
def _frozen(settings: Any) -> Any:
    settings.LEADERBOARD_WEEKLY_PRIZES = (100, 50, 25)
    settings.LEADERBOARD_SEASON_ROWS = 1000
    settings.LEADERBOARD_SEASON_DELAY_SECONDS = 60
    seasons.seasons_tick_reset()
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
    seasons.seasons_tick_reset()


def add(user: Any, game: str, value: int, at: datetime, status: str = "ranked") -> Score:
    return Score.objects.create(user=user, game=Game.objects.get(slug=game), value=value, achieved_at=at, status=status)


def rows(board: str, key: str = "w2026-W49") -> list[tuple[int, int | None, int, datetime]]:
    entries = SeasonEntry.objects.filter(season__board=board, season__key=key).order_by("rank")
    return [(e.rank, e.user_id, e.score, e.achieved_at) for e in entries]


def balances_match_ledger() -> bool:
    ledger = dict(CoinTransaction.objects.values_list("gamer").annotate(s=Sum("amount")).values_list("gamer", "s"))
    return all(coins == ledger.get(pk, 0) for pk, coins in Gamer.objects.values_list("id", "coins"))


@pytest.fixture
def speedrun() -> Game:
    game = Game.objects.create(slug="speedrun", label="Speedrun", max_score=10_000, order="asc")
    catalog_invalidate()
    return game


def test_the_windows_that_just_ended_at_monday_midnight_and_month_ends():
    keys = [w.key for w in seasons.ended_windows(datetime(2026, 12, 7, tzinfo=UTC))]
    assert keys == ["d2026-12-06", "w2026-W49", "m2026-11"]
    # One microsecond earlier, the week and the day are still running.
    keys = [w.key for w in seasons.ended_windows(datetime(2026, 12, 6, 23, 59, 59, 999999, tzinfo=UTC))]
    assert keys == ["d2026-12-05", "w2026-W48", "m2026-11"]
    # New Year on a Friday: December and the year's last full ISO week (28 Dec is in W53).
    keys = [w.key for w in seasons.ended_windows(datetime(2027, 1, 1, tzinfo=UTC))]
    assert keys == ["d2026-12-31", "w2026-W52", "m2026-12"]
    week = seasons.ended_windows(NOW)[1]
    assert (week.start, week.end) == (WEEK_START, WEEK_END)


def test_nothing_is_archived_before_the_delay_has_passed(_frozen):
    # 30 seconds into Monday with a 60-second delay: week 49 is not archived yet.
    _frozen.move_to(WEEK_END + timedelta(seconds=30))
    seasons.seasons_archive()
    assert not Season.objects.filter(key="w2026-W49").exists()
    assert Season.objects.filter(key="w2026-W48").count() == BOARDS
    _frozen.move_to(WEEK_END + timedelta(seconds=60))
    seasons.seasons_archive()
    assert Season.objects.filter(key="w2026-W49").count() == BOARDS


def test_a_game_board_keeps_each_players_best_ties_to_whoever_reached_it_first():
    a, b, c, d = (make_gamer(f"season {n}") for n in "abcd")
    add(a, "cod", 500, IN_WEEK)
    add(a, "cod", 300, IN_WEEK + timedelta(hours=1))  # a lower score later: not a's best
    add(b, "cod", 500, IN_WEEK + timedelta(minutes=1))  # the same value, reached later
    add(c, "cod", 700, IN_WEEK)
    first_d = add(d, "cod", 500, IN_WEEK + timedelta(minutes=1))  # same value and instant as b...
    add(d, "cod", 500, IN_WEEK - timedelta(days=1))  # ...but d reached it a day earlier
    add(c, "cod", 900, WEEK_START - timedelta(microseconds=1))  # before the week
    add(b, "cod", 900, WEEK_END)  # the end is exclusive
    seasons.seasons_archive()
    assert rows("cod") == [
        (1, c.pk, 700, IN_WEEK),
        (2, d.pk, 500, IN_WEEK - timedelta(days=1)),
        (3, a.pk, 500, IN_WEEK),
        (4, b.pk, 500, IN_WEEK + timedelta(minutes=1)),
    ]
    assert first_d.pk  # d's later equal score did not move its date
    season = Season.objects.get(board="cod", key="w2026-W49")
    assert (season.period, season.starts, season.ends, season.entries, season.players) == (
        "week",
        WEEK_START,
        WEEK_END,
        4,
        4,
    )


def test_equal_values_at_the_same_instant_go_to_the_lower_score_id():
    a, b = make_gamer("same instant a"), make_gamer("same instant b")
    add(b, "fifa", 40, IN_WEEK)
    add(a, "fifa", 40, IN_WEEK)
    seasons.seasons_archive()
    assert [r[1] for r in rows("fifa")] == [b.pk, a.pk]


def test_an_asc_game_ranks_the_lowest_first_with_ties_to_the_earliest(speedrun):
    a, b, c = (make_gamer(f"runner {n}") for n in "abc")
    add(a, "speedrun", 95, IN_WEEK + timedelta(minutes=5))
    add(a, "speedrun", 120, IN_WEEK)  # slower: not a's best
    add(b, "speedrun", 95, IN_WEEK)  # the same time, reached first
    add(c, "speedrun", 80, IN_WEEK + timedelta(hours=2))
    add(c, "speedrun", 300, IN_WEEK)
    seasons.seasons_archive()
    assert rows("speedrun") == [
        (1, c.pk, 80, IN_WEEK + timedelta(hours=2)),
        (2, b.pk, 95, IN_WEEK),
        (3, a.pk, 95, IN_WEEK + timedelta(minutes=5)),
    ]
    # Times are not points: the asc game adds nothing to the `all` board.
    assert rows("all") == []


def test_pending_and_void_scores_never_appear():
    ranked, cheat, waiting = make_gamer("ranked one"), make_gamer("voided one"), make_gamer("waiting one")
    add(ranked, "chess", 1200, IN_WEEK)
    add(ranked, "chess", 3000, IN_WEEK, status="pending")
    add(cheat, "chess", 3500, IN_WEEK, status="void")
    add(waiting, "chess", 2000, IN_WEEK, status="pending")
    add(cheat, "cod", 99_000, IN_WEEK, status="void")
    seasons.seasons_archive()
    assert rows("chess") == [(1, ranked.pk, 1200, IN_WEEK)]
    assert rows("cod") == []
    assert rows("all") == [(1, ranked.pk, 1200, IN_WEEK)]


def test_the_all_board_sums_each_players_bests_over_desc_games_dated_when_the_sum_was_reached(speedrun):
    a, b, c = (make_gamer(f"summed {n}") for n in "abc")
    add(a, "cod", 100, IN_WEEK)
    add(a, "cod", 60, IN_WEEK + timedelta(hours=3))
    add(a, "fifa", 30, IN_WEEK + timedelta(hours=1))
    add(a, "speedrun", 5, IN_WEEK + timedelta(hours=9))  # asc: not summed, not the date
    add(b, "lol", 130, IN_WEEK + timedelta(minutes=30))  # the same total, reached earlier
    add(c, "minecraft", 90, IN_WEEK)
    seasons.seasons_archive()
    assert rows("all") == [
        (1, b.pk, 130, IN_WEEK + timedelta(minutes=30)),
        (2, a.pk, 130, IN_WEEK + timedelta(hours=1)),
        (3, c.pk, 90, IN_WEEK),
    ]


def test_each_kind_archives_its_own_window():
    a = make_gamer("kinds")
    add(a, "cod", 10, datetime(2026, 12, 6, 23, 59, tzinfo=UTC))  # the day, the week
    add(a, "cod", 20, datetime(2026, 11, 30, 8, tzinfo=UTC))  # the week and November
    add(a, "cod", 30, datetime(2026, 11, 2, tzinfo=UTC))  # November only
    seasons.seasons_archive()
    assert [r[2] for r in rows("cod", "d2026-12-06")] == [10]
    assert [r[2] for r in rows("cod", "w2026-W49")] == [20]
    assert [r[2] for r in rows("cod", "m2026-11")] == [30]
    assert Season.objects.count() == 3 * BOARDS


def test_a_season_is_archived_once_when_the_tick_runs_twice_and_late(_frozen):
    a, b = make_gamer("twice a"), make_gamer("twice b")
    add(a, "cod", 10, IN_WEEK)
    first = seasons.seasons_archive()
    assert len(first.seasons) == 3 * BOARDS and first.complete
    assert seasons.seasons_archive().seasons == []
    # A late tick on Wednesday: the same week is still the last ended one; nothing new for it,
    # even though a score arrived since (a backdated import).
    add(b, "cod", 99, IN_WEEK)
    _frozen.move_to(datetime(2026, 12, 9, 10, tzinfo=UTC))
    late = seasons.seasons_archive()
    assert {s.key for s in late.seasons} == {"d2026-12-08"}
    assert rows("cod") == [(1, a.pk, 10, IN_WEEK)]
    assert Season.objects.filter(key="w2026-W49").count() == BOARDS
    assert SeasonEntry.objects.filter(season__key="w2026-W49").count() == 2  # cod and all


def test_boards_nobody_played_are_archived_empty():
    seasons.seasons_archive()
    empty = Season.objects.get(board="valorant", key="w2026-W49")
    assert (empty.entries, empty.players) == (0, 0)
    assert not SeasonPrize.objects.exists()


def test_only_the_top_rows_are_kept_but_every_player_is_counted(settings):
    settings.LEADERBOARD_SEASON_ROWS = 2
    players = [make_gamer(f"capped {n}") for n in range(3)]
    for n, player in enumerate(players):
        add(player, "apex", 100 + n, IN_WEEK)
    seasons.seasons_archive()
    assert [r[1] for r in rows("apex")] == [players[2].pk, players[1].pk]
    season = Season.objects.get(board="apex", key="w2026-W49")
    assert (season.entries, season.players) == (2, 3)


def test_the_weekly_top_three_win_coins_once_with_a_notification():
    players = [make_gamer(f"winner {n}") for n in range(4)]
    before = {p.pk: p.coins for p in players}
    for n, player in enumerate(players):
        add(player, "rocket", 1000 - n, IN_WEEK)  # ranks 1..4 on rocket and on all
    add(players[3], "cod", 90_000, datetime(2026, 11, 15, tzinfo=UTC))  # 1st of November: no prize
    seasons.seasons_archive()
    seasons.seasons_archive()
    coins = {p.pk: Gamer.objects.get(pk=p.pk).coins - before[p.pk] for p in players}
    # rocket and all: 1st 100 + 100, 2nd 50 + 50, 3rd 25 + 25; the 4th was 4th on both (the
    # day and the month pay nothing).
    assert coins == {players[0].pk: 200, players[1].pk: 100, players[2].pk: 50, players[3].pk: 0}
    assert rows("cod", "m2026-11")[0][1] == players[3].pk
    prizes = SeasonPrize.objects.filter(season__key="w2026-W49")
    assert sorted(prizes.values_list("season__board", "rank", "user_id", "coins")) == [
        ("all", 1, players[0].pk, 100),
        ("all", 2, players[1].pk, 50),
        ("all", 3, players[2].pk, 25),
        ("rocket", 1, players[0].pk, 100),
        ("rocket", 2, players[1].pk, 50),
        ("rocket", 3, players[2].pk, 25),
    ]
    assert SeasonPrize.objects.count() == 6
    ledger = CoinTransaction.objects.filter(reason=CoinTransaction.Reason.PRIZE)
    assert sorted(ledger.values_list("gamer_id", "amount", "ref")) == sorted(
        [
            (players[0].pk, 100, "season:all:w2026-W49"),
            (players[0].pk, 100, "season:rocket:w2026-W49"),
            (players[1].pk, 50, "season:all:w2026-W49"),
            (players[1].pk, 50, "season:rocket:w2026-W49"),
            (players[2].pk, 25, "season:all:w2026-W49"),
            (players[2].pk, 25, "season:rocket:w2026-W49"),
        ]
    )
    assert balances_match_ledger()
    notes = Notification.objects.filter(kind=NotificationKind.LEADERBOARD_PRIZE)
    assert sorted(notes.values_list("user_id", "key")) == sorted(
        [(players[n].pk, f"prize:{board}:w2026-W49") for n in range(3) for board in ("all", "rocket")]
    )
    assert notes.get(user=players[0], key="prize:rocket:w2026-W49").title.startswith("#1 on the Rocket League board")


def test_no_prizes_configured_pays_nothing(settings):
    settings.LEADERBOARD_WEEKLY_PRIZES = ()
    add(make_gamer("unpaid"), "cod", 10, IN_WEEK)
    seasons.seasons_archive()
    assert rows("cod") != []
    assert not SeasonPrize.objects.exists()
    assert not CoinTransaction.objects.filter(reason=CoinTransaction.Reason.PRIZE).exists()


def test_the_tick_is_registered_archives_once_and_then_costs_no_query(django_assert_num_queries, monkeypatch):
    assert _ticks["leaderboard.seasons"] is seasons.seasons_tick
    add(make_gamer("ticked"), "cod", 10, IN_WEEK)
    handed: list[int] = []
    # The worker's part, run here (with a broker, .delay() queues it for a Celery worker).
    monkeypatch.setattr(seasons.seasons_archive_task, "delay", lambda: handed.append(1) or seasons.seasons_archive())
    seasons.seasons_tick()  # due: handed to the task
    assert handed == [1]
    assert Season.objects.count() == 3 * BOARDS
    with django_assert_num_queries(0):
        seasons.seasons_tick()  # just handed off: not again before RETRY_AFTER
    monkeypatch.setattr(seasons, "RETRY_AFTER", 0.0)
    with django_assert_num_queries(1):
        seasons.seasons_tick()  # one count finds every board archived
    with django_assert_num_queries(0):
        seasons.seasons_tick()
    assert handed == [1]
    assert Season.objects.count() == 3 * BOARDS
