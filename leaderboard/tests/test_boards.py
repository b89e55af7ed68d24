"""Boards: ranking, ties, best-only, the `all` board, periods and their boundaries, around-me."""

from datetime import UTC, datetime, timedelta

import pytest

from common.errors import InvalidInput
from common.redis import get_redis
from conftest import ahead, make_gamer
from leaderboard import boards, rules
from leaderboard.models import Score
from leaderboard.selectors import board_around, board_me, board_window
from leaderboard.tests.factories import submit

# The boards are per UTC day, ISO week and month: every test starts at one instant, a Wednesday
# noon mid-month (ahead of the real clock, for Redis's expiries), whatever the real date.
MIDWEEK = ahead(datetime(2031, 3, 12, 12, tzinfo=UTC))
pytestmark = [pytest.mark.usefixtures("games"), pytest.mark.time_machine(MIDWEEK, tick=True)]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


# Boards of periods that are over have expired, so boundaries are taken in the future.
def next_midnight(after: datetime | None = None) -> datetime:
    now = after or datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


def next_day_start(*, monday: bool | None = None, first: bool | None = None) -> datetime:
    """The next UTC midnight that is (or isn't) a Monday and (or isn't) the 1st of a month."""
    day = next_midnight()
    while (monday is not None and (day.weekday() == 0) != monday) or (first is not None and (day.day == 1) != first):
        day += timedelta(days=1)
    return day


def window(game, period="all", at=None, start=0, end=99):
    return board_window(game=game, period=period, start=start, end=end, at=at)


def ranking(game, period="all", at=None):
    return [(row["player"], row["score"]) for row in window(game, period, at).rows]


@pytest.fixture
def players(db):
    return [make_gamer(f"player {n}") for n in range(1, 7)]


def test_higher_score_ranks_first_with_one_based_ranks(players):
    a, b, c = players[:3]
    submit(a, "cod", 100)
    submit(b, "cod", 300)
    submit(c, "cod", 200)
    rows = window("cod").rows
    assert [(r["rank"], r["player"], r["score"], r["user_id"]) for r in rows] == [
        (1, b.username, 300, b.pk),
        (2, c.username, 200, c.pk),
        (3, a.username, 100, a.pk),
    ]
    assert window("cod").total_count == 3


def test_equal_scores_go_to_whoever_reached_it_first_on_every_period(players):
    # The later submitter has the smaller user id, so an order by member would put them first.
    later, first = players[0], players[1]
    now = datetime.now(UTC)
    submit(first, "rocket", 1500, at=now - timedelta(milliseconds=40))
    submit(later, "rocket", 1500, at=now - timedelta(milliseconds=39))
    for period in rules.PERIODS:
        assert ranking("rocket", period) == [(first.username, 1500), (later.username, 1500)], period
        assert ranking("all", period) == [(first.username, 1500), (later.username, 1500)], period


def test_tie_within_the_same_millisecond_on_all_time_still_goes_to_the_first_submission(players):
    late_id, early_id = players[0], players[1]
    moment = datetime.now(UTC)
    submit(early_id, "lol", 900, at=moment)
    submit(late_id, "lol", 900, at=moment)
    assert ranking("lol", "all") == [(early_id.username, 900), (late_id.username, 900)]


def test_a_lower_or_equal_score_changes_nothing(players):
    a, b = players[:2]
    first = submit(a, "fifa", 50)
    submit(b, "fifa", 50)
    before = {key: get_redis().zrange(key, 0, -1, withscores=True) for key in get_redis().keys("lb:b:*")}
    lower = submit(a, "fifa", 10)
    again = submit(b, "fifa", 50)  # equal but later: b keeps the time they first reached 50
    after = {key: get_redis().zrange(key, 0, -1, withscores=True) for key in get_redis().keys("lb:b:*")}
    assert before == after
    assert (first.best, lower.best, lower.rank) == (50, 50, 1)
    assert (again.best, again.rank) == (50, 2)
    assert Score.objects.filter(user=a).count() == 2  # every submission is kept in the history


def test_submission_reports_best_rank_and_period_ranks(players):
    a, b = players[:2]
    submit(b, "apex", 500)
    result = submit(a, "apex", 400)
    assert (result.game, result.score, result.best, result.rank) == ("apex", 400, 400, 2)
    assert result.period_ranks == {"day": 2, "week": 2, "month": 2, "all": 2}
    assert result.boards_updated is True
    improved = submit(a, "apex", 600)
    assert (improved.best, improved.rank, improved.period_ranks["day"]) == (600, 1, 1)


def test_all_board_sums_each_players_best_per_game(players):
    a, b = players[:2]
    submit(a, "cod", 100)
    submit(a, "cod", 300)  # best cod: 300
    submit(a, "rocket", 50)
    submit(a, "rocket", 20)  # lower: ignored
    submit(b, "fortnite", 340)
    assert ranking("all") == [(a.username, 350), (b.username, 340)]
    submit(b, "rocket", 11)
    assert ranking("all") == [(b.username, 351), (a.username, 350)]


def test_all_board_date_is_when_the_sum_was_reached(players):
    a = players[0]
    t1 = next_midnight() + timedelta(hours=10)
    submit(a, "cod", 100, at=t1)
    submit(a, "rocket", 50, at=t1 + timedelta(minutes=5))
    submit(a, "cod", 90, at=t1 + timedelta(minutes=9))  # not an improvement: the sum was reached at +5
    reached = (t1 + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    row = window("all", "day", at=t1).rows[0]
    assert (row["score"], row["date"]) == (150, reached)
    everything = window("all", "all").rows[0]
    assert (everything["score"], everything["date"]) == (150, reached)  # by the id of the score
    # The when hash keeps only the scores that hold a place on an all-time board.
    held = {int(k) for k in get_redis().hkeys(boards.WHEN_KEY)}
    assert held == set(Score.objects.filter(value__in=[100, 50]).values_list("id", flat=True))


def test_day_boundary_23_59_59_and_midnight_are_different_days(players):
    a, b = players[:2]
    midnight = next_day_start(monday=False, first=False)  # same week and month on both sides
    late, early = midnight - timedelta(seconds=1), midnight
    submit(a, "valorant", 700, at=late)
    submit(b, "valorant", 300, at=early)
    assert late.strftime("%H:%M:%S") == "23:59:59"
    assert ranking("valorant", "day", at=late) == [(a.username, 700)]
    assert ranking("valorant", "day", at=early) == [(b.username, 300)]
    assert ranking("valorant", "week", at=early) == [(a.username, 700), (b.username, 300)]
    assert ranking("valorant", "month", at=early) == [(a.username, 700), (b.username, 300)]
    assert ranking("all", "day", at=early + timedelta(hours=1)) == [(b.username, 300)]
    assert ranking("all", "day", at=late) == [(a.username, 700)]


def test_iso_week_change_starts_an_empty_week_board(players):
    a, b = players[:2]
    monday = next_day_start(monday=True, first=False)
    submit(a, "rocket", 40, at=monday - timedelta(seconds=1))  # Sunday 23:59:59
    submit(b, "rocket", 30, at=monday)
    assert ranking("rocket", "week", at=monday - timedelta(seconds=1)) == [(a.username, 40)]
    assert ranking("rocket", "week", at=monday) == [(b.username, 30)]
    assert ranking("rocket", "month", at=monday) == [(a.username, 40), (b.username, 30)]


def test_month_change_starts_an_empty_month_board(players):
    a, b = players[:2]
    first = next_day_start(first=True)
    submit(a, "minecraft", 900, at=first - timedelta(seconds=1))
    submit(b, "minecraft", 100, at=first)
    assert ranking("minecraft", "month", at=first - timedelta(seconds=1)) == [(a.username, 900)]
    assert ranking("minecraft", "month", at=first) == [(b.username, 100)]
    if first.weekday() != 0:  # the same ISO week holds both
        assert ranking("minecraft", "week", at=first) == [(a.username, 900), (b.username, 100)]
    assert ranking("minecraft", "all") == [(a.username, 900), (b.username, 100)]


def test_best_of_an_earlier_period_does_not_hide_a_lower_score_in_a_later_one(players):
    a = players[0]
    day_one = next_midnight() + timedelta(hours=12)
    day_two = day_one + timedelta(days=1)
    submit(a, "csgo", 900, at=day_one)
    result = submit(a, "csgo", 100, at=day_two)
    assert result.period_ranks["day"] == 1
    assert window("csgo", "day", at=day_two).rows[0]["score"] == 100
    assert window("csgo", "day", at=day_one).rows[0]["score"] == 900
    assert result.best == 900


def test_a_backdated_score_counts_for_all_time_but_not_for_a_period_that_is_over(players):
    result = submit(players[0], "cod", 77, at=utc(2020, 3, 4, 12))
    assert result.rank == 1
    assert result.period_ranks == {"day": None, "week": None, "month": None, "all": 1}
    assert window("cod", "day", at=utc(2020, 3, 4, 13)).rows == []
    assert ranking("cod") == [(players[0].username, 77)]


def test_period_boards_expire_after_their_period(players):
    at = next_midnight() + timedelta(hours=8)
    submit(players[0], "cod", 5, at=at)
    client = get_redis()
    day_key = rules.board_key("cod", rules.period_window("day", at))
    assert client.expiretime(day_key) == int((next_midnight(at) + timedelta(hours=1)).timestamp())
    month = rules.period_window("month", at)
    assert client.expiretime(rules.board_key("all", month)) == int((month.end + timedelta(hours=1)).timestamp())
    assert client.ttl(rules.board_key("cod", rules.period_window("all", at))) == -1


def test_window_pages_through_the_board(players):
    for n, player in enumerate(players):
        submit(player, "cod", 10 * (n + 1))
    page = window("cod", start=2, end=3)
    assert [r["rank"] for r in page.rows] == [3, 4]
    assert [r["score"] for r in page.rows] == [40, 30]
    assert page.total_count == 6
    assert window("cod", start=10, end=19).rows == []


def test_around_me_in_the_middle_at_the_top_and_at_the_bottom(players):
    for n, player in enumerate(players):  # player 6 first (60) ... player 1 last (10)
        submit(player, "cod", 10 * (n + 1))
    middle = board_around(game="cod", period="all", user_id=players[2].pk, radius=1)
    assert [(r["rank"], r["score"]) for r in middle] == [(3, 40), (4, 30), (5, 20)]
    top = board_around(game="cod", period="all", user_id=players[5].pk, radius=2)
    assert [(r["rank"], r["score"]) for r in top] == [(1, 60), (2, 50), (3, 40)]
    bottom = board_around(game="cod", period="all", user_id=players[0].pk, radius=2)
    assert [(r["rank"], r["score"]) for r in bottom] == [(4, 30), (5, 20), (6, 10)]
    alone = board_around(game="cod", period="all", user_id=players[0].pk, radius=0)
    assert [r["user_id"] for r in alone] == [players[0].pk]


def test_me_and_around_me_are_none_without_a_score(players):
    submit(players[0], "cod", 10)
    assert board_me(game="cod", period="all", user_id=players[1].pk) is None
    assert board_around(game="cod", period="day", user_id=players[1].pk, radius=3) is None
    me = board_me(game="cod", period="day", user_id=players[0].pk)
    assert (me["rank"], me["score"], me["player"]) == (1, 10, players[0].username)


def test_selectors_refuse_bad_periods_ranges_and_radius(players):
    with pytest.raises(InvalidInput):
        window("cod", "year")
    with pytest.raises(InvalidInput):
        board_window(game="cod", period="all", start=5, end=4)
    with pytest.raises(InvalidInput):
        board_window(game="cod", period="all", start=0, end=100)
    with pytest.raises(InvalidInput):
        board_around(game="cod", period="all", user_id=1, radius=51)


def test_names_and_dates_missing_from_redis_come_from_the_database(players):
    result = submit(players[0], "cod", 10)
    date = window("cod").rows[0]["date"]
    assert date == result.achieved_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "000Z"  # to the millisecond
    get_redis().delete(boards.NAMES_KEY, boards.WHEN_KEY)
    row = window("cod").rows[0]
    assert (row["player"], row["date"]) == (players[0].username, result.achieved_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    assert get_redis().hget(boards.NAMES_KEY, str(players[0].pk)) == players[0].username
    assert get_redis().hget(boards.WHEN_KEY, str(result.score_id)) is not None


def test_applying_a_submission_twice_gives_the_same_boards(players):
    a = players[0]
    at = next_midnight() + timedelta(hours=8)
    first = submit(a, "cod", 500, at=at)
    submit(a, "rocket", 70, at=at + timedelta(hours=1))
    client = get_redis()
    snapshot = {key: client.zrange(key, 0, -1, withscores=True) for key in client.keys("lb:b:*")}
    # Replay the first submission (as a rebuild's catch-up does): nothing moves.
    boards.board_record(
        user_id=a.pk,
        username=a.username,
        game="cod",
        slugs=sorted_slugs(),
        value=500,
        achieved_at=at,
        score_id=first.score_id,
    )
    assert {key: client.zrange(key, 0, -1, withscores=True) for key in client.keys("lb:b:*")} == snapshot


def sorted_slugs():
    from leaderboard.games import game_catalog

    return game_catalog().slugs
