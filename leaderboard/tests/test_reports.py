"""Period reports from the aggregates (leaderboard.reports) against the definition: one GROUP BY
over the raw scores in the range (the query reports ran before the aggregates existed)."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ahead, make_gamer, utc
from leaderboard import reports, spans
from leaderboard.models import PlayerPeriod, Score, ScorePeriod
from leaderboard.tests.factories import submit
from testsupport.testing import run_in_threads

# The report query before the aggregates: the oracle.
ORACLE_SQL = """
WITH per_game AS (
    SELECT user_id, game_id, MAX(value) AS best, MAX(achieved_at) AS last_at
    FROM leaderboard_score
    WHERE achieved_at >= %s AND achieved_at <= %s {game_filter}
    GROUP BY user_id, game_id
), per_player AS (
    SELECT user_id, game_id, best,
           SUM(best) OVER (PARTITION BY user_id) AS total,
           COUNT(*) OVER (PARTITION BY user_id) AS games,
           MAX(last_at) OVER (PARTITION BY user_id) AS last_at,
           ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY best DESC, game_id ASC) AS pick
    FROM per_game
)
SELECT p.user_id, u.username, p.total, p.games, p.game_id, p.last_at
FROM per_player p JOIN gamers_gamer u ON u.id = p.user_id
WHERE p.pick = 1
ORDER BY p.total DESC, p.last_at ASC, p.user_id ASC
LIMIT %s
"""


def oracle(start: datetime, end: datetime, limit: int, game_id: int | None) -> list[tuple[Any, ...]]:
    params: list[Any] = [connection.ops.adapt_datetimefield_value(start), connection.ops.adapt_datetimefield_value(end)]
    game_filter = ""
    if game_id is not None:
        game_filter = "AND game_id = %s"
        params.append(game_id)
    with connection.cursor() as cursor:
        cursor.execute(ORACLE_SQL.format(game_filter=game_filter), [*params, limit])
        return normalized(cursor.fetchall())


def normalized(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    from leaderboard.rules import as_utc

    return [(u, name, int(total), int(games), g, as_utc(at)) for u, name, total, games, g, at in rows]


def aggregates() -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    return (
        set(ScorePeriod.objects.values_list("user_id", "game_id", "period", "start", "best", "last_at")),
        set(PlayerPeriod.objects.values_list("user_id", "period", "start", "total")),
    )


def rebuilt() -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """The aggregates recomputed from the raw scores (rolled back afterwards)."""
    with transaction.atomic():
        reports.aggregates_rebuild()
        result = aggregates()
        transaction.set_rollback(True)
    return result


# --- the cover of a range (pure) -------------------------------------------------------------

# Instants near the boundaries that matter: midnight, the 1st of a month, New Year.
ANCHORS = [utc(2030, 12, 31), utc(2031, 1, 1), utc(2031, 1, 31, 12), utc(2031, 2, 1), utc(2031, 3, 1)]
instants = st.builds(
    lambda anchor, minutes, micro: anchor + timedelta(minutes=minutes, microseconds=micro),
    st.sampled_from(ANCHORS),
    st.integers(-4 * 1440, 4 * 1440) | st.sampled_from([0, -1, 1, 1440, -1440]),
    st.sampled_from([0, 0, 1, 999_999, 500_000]),
)
ranges = st.tuples(instants, instants).map(sorted) | st.tuples(instants, st.integers(0, 90)).map(
    lambda t: [t[0], t[0] + timedelta(days=t[1])]
)


def in_cover(cover: spans.Cover, at: datetime) -> int:
    """In how many pieces of the cover `at` falls."""
    hits = sum(p.lo <= at <= p.hi if p.inclusive else p.lo <= at < p.hi for p in cover.raw)
    for period, first, last in cover.runs:
        start = dict(spans.buckets_of(at))[period]
        hits += first <= start <= last
    return hits


@settings(max_examples=300, deadline=None)
@given(bounds=ranges, probes=st.lists(instants, min_size=1, max_size=10))
def test_a_cover_holds_each_instant_of_the_range_exactly_once_and_nothing_else(bounds, probes):
    start, end = bounds
    cover = spans.cover(start, end)
    for at in [start, end, start - timedelta(microseconds=1), end + timedelta(microseconds=1), *probes]:
        assert in_cover(cover, at) == (1 if start <= at <= end else 0), at
    period, bucket = cover.bound
    assert dict(spans.buckets_of(start))[period] == bucket == dict(spans.buckets_of(end))[period]


def test_a_long_range_reads_a_bounded_number_of_pieces():
    cover = spans.cover(utc(2026, 6, 10, 4, 54), utc(2026, 12, 7, 4, 54))
    assert len(cover.raw) == 2
    assert [(p, first, last) for p, first, last in cover.runs] == [
        ("day", date(2026, 6, 11), date(2026, 6, 30)),
        ("month", date(2026, 7, 1), date(2026, 11, 1)),
        ("day", date(2026, 12, 1), date(2026, 12, 6)),
    ]
    years = spans.cover(datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
    assert years.runs == [
        ("year", date(1, 1, 1), date(9998, 1, 1)),
        ("month", date(9999, 1, 1), date(9999, 11, 1)),
        ("day", date(9999, 12, 1), date(9999, 12, 30)),
    ]
    assert [(p.lo, p.inclusive) for p in years.raw] == [(utc(9999, 12, 31), True)]  # its end can't be passed
    assert years.bound == ("all", date.min)


# --- reports against the oracle --------------------------------------------------------------


@pytest.fixture
def players(games: dict[str, Any]) -> list[Any]:
    return [make_gamer(f"report player {n}") for n in range(6)]


def _store(rows: list[tuple[int, int, int, datetime]], cuts: list[int]) -> None:
    """Insert scores and fold them into the aggregates, in batches split at `cuts`."""
    edges = [0, *sorted(c % (len(rows) + 1) for c in cuts), len(rows)]
    for lo, hi in itertools.pairwise(edges):
        batch = rows[lo:hi]
        with transaction.atomic():
            Score.objects.bulk_create([Score(user_id=u, game_id=g, value=v, achieved_at=at) for u, g, v, at in batch])
            reports.aggregates_add(batch)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_reports_equal_the_raw_group_by(players, games, monkeypatch, data):
    # A small probe, so that pruning by the bound decides who is computed even among six players.
    monkeypatch.setattr(reports, "PROBE_MIN", data.draw(st.sampled_from([1, 2, 50])))
    monkeypatch.setattr(reports, "PROBE_FACTOR", 1)
    monkeypatch.setattr(reports, "MAX_SHORT_CANDIDATES", data.draw(st.sampled_from([0, 2, 2000])))
    game_ids = [games[slug].pk for slug in ("cod", "chess", "fifa")]
    rows = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from([p.pk for p in players]),
                st.sampled_from(game_ids),
                st.integers(0, 6),  # narrow: ties on bests and on sums
                instants,
            ),
            max_size=40,
        )
    )
    cuts = data.draw(st.lists(st.integers(0, 40), max_size=3))
    with transaction.atomic():
        _store(rows, cuts)
        for _ in range(4):
            start, end = data.draw(ranges)
            limit = data.draw(st.integers(1, 7))
            game_id = data.draw(st.none() | st.sampled_from(game_ids))
            got = normalized(reports.report_rows(start=start, end=end, limit=limit, game_id=game_id))
            assert got == oracle(start, end, limit, game_id), (start, end, limit, game_id)
        assert aggregates() == rebuilt()
        transaction.set_rollback(True)


def test_ties_keep_the_raw_order_through_the_aggregates(players, games):
    """Equal sums: the earlier last submission first, then the lower user id."""
    a, b, c = players[:3]
    cod, fifa = games["cod"].pk, games["fifa"].pk
    rows = [
        (a.pk, cod, 10, utc(2031, 1, 5, 10)),
        (b.pk, cod, 5, utc(2031, 1, 3)),
        (b.pk, fifa, 5, utc(2031, 1, 4)),  # 10 in total, last at Jan 4: before a
        (c.pk, fifa, 10, utc(2031, 1, 5, 10)),  # same total and last as a: the lower id first
    ]
    _store(rows, [])
    got = reports.report_rows(start=utc(2030, 12, 1), end=utc(2031, 2, 1), limit=3, game_id=None)
    assert [r[0] for r in got] == [b.pk, a.pk, c.pk]
    assert [r[0] for r in got] == [r[0] for r in oracle(utc(2030, 12, 1), utc(2031, 2, 1), 3, None)]


# --- the write path at the boundaries --------------------------------------------------------


# Tests that move the clock themselves: pinned first, so the score stamps start afresh (conftest).
pinned = pytest.mark.time_machine(ahead(utc(2029, 1, 1)), tick=False)


def _bucket(user: Any, period: str) -> list[tuple[date, int]]:
    return list(ScorePeriod.objects.filter(user=user, period=period).order_by("start").values_list("start", "best"))


@pytest.mark.parametrize(
    ("before", "after", "split"),
    [
        (utc(2030, 3, 4, 23, 59, 59, 999_999), utc(2030, 3, 5), {"day"}),  # midnight
        (utc(2030, 1, 31, 23, 59, 59, 999_999), utc(2030, 2, 1), {"day", "month"}),  # month end
        (utc(2030, 12, 31, 23, 59, 59, 999_999), utc(2031, 1, 1), {"day", "month", "year"}),  # New Year
    ],
)
@pinned
def test_submissions_either_side_of_a_boundary_land_in_their_own_buckets(players, before, after, split):
    player = players[0]
    with time_machine.travel(ahead(before), tick=False) as clock:
        first = submit(player, "cod", 40)
        clock.move_to(ahead(after))
        second = submit(player, "cod", 30)
    for period in ("day", "month", "year", "all"):
        got = _bucket(player, period)
        if period in split:
            days = [spans.buckets_of(first.achieved_at), spans.buckets_of(second.achieved_at)]
            assert got == [(dict(days[0])[period], 40), (dict(days[1])[period], 30)], period
        else:
            assert [best for _, best in got] == [40], period
    totals = dict(PlayerPeriod.objects.filter(user=player, period="all").values_list("period", "total"))
    assert totals == {"all": 40}
    last = ScorePeriod.objects.get(user=player, period="all").last_at
    assert last == second.achieved_at  # the last submission, though not the best


@pinned
def test_a_lower_score_keeps_the_best_and_moves_the_last_submission(players):
    player = players[0]
    with time_machine.travel(ahead(utc(2030, 5, 5, 12)), tick=False) as clock:
        submit(player, "cod", 50)
        submit(player, "fifa", 7)
        clock.shift(timedelta(minutes=5))
        late = submit(player, "cod", 20)
    row = ScorePeriod.objects.get(user=player, period="day", game__slug="cod")
    assert (row.best, row.last_at) == (50, late.achieved_at)
    assert PlayerPeriod.objects.get(user=player, period="day").total == 57
    assert aggregates() == rebuilt()


@pinned
def test_deleting_scores_in_the_back_office_recomputes_the_aggregates(players, admin, client):
    player = players[0]
    with time_machine.travel(ahead(utc(2030, 5, 5, 12)), tick=False):
        best = submit(player, "cod", 50)
        submit(player, "cod", 20)
    client.force_login(admin)
    response = client.post(f"/admin/leaderboard/score/{best.score_id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert set(ScorePeriod.objects.filter(user=player).values_list("best", flat=True)) == {20}
    assert aggregates() == rebuilt()


def test_the_rebuild_command_is_idempotent(players, games):
    _store(
        [(players[0].pk, games["cod"].pk, 9, utc(2030, 5, 5)), (players[1].pk, games["fifa"].pk, 3, utc(2030, 6, 5))],
        [],
    )
    before = aggregates()
    ScorePeriod.objects.filter(user=players[0]).update(best=1)  # damaged
    from django.core.management import call_command

    call_command("rebuild_report_aggregates", stdout=io.StringIO())
    call_command("rebuild_report_aggregates", stdout=io.StringIO())
    assert aggregates() == before


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.time_machine(ahead(utc(2031, 3, 12, 12)), tick=True)
def test_racing_writers_of_one_player_leave_the_aggregates_equal_to_the_raw_scores(games):
    player = make_gamer("racing reporter")
    slugs = ["cod", "fifa", "chess", "apex", "lol"]
    first_day = utc(2031, 3, 1, 12)

    def write(i: int) -> None:
        # One player; thread i writes day n at step n, so every day's rows and sums are written
        # by all threads at about the same moment, and no later write repairs a lost update.
        for n in range(40):
            game = slugs[i % len(slugs)]
            row = (player.pk, games[game].pk, (i * 7 + n * 13) % 50, first_day + timedelta(days=n, seconds=i))
            if n % 10 == 0:
                submit(player, game, row[2], at=row[3])  # the service
            else:  # its write alone, without the Redis round trip: a tighter race
                with transaction.atomic():
                    Score.objects.create(user_id=row[0], game_id=row[1], value=row[2], achieved_at=row[3])
                    reports.aggregates_add([row])

    results = run_in_threads(8, write)
    assert not [r for r in results if isinstance(r, Exception)]
    assert aggregates() == rebuilt()
    day = ScorePeriod.objects.get(user=player, game__slug="cod", period="day", start=date(2031, 3, 1))
    assert day.best == max((i * 7) % 50 for i in range(8) if slugs[i % len(slugs)] == "cod")


def test_a_deleted_player_takes_their_aggregates_along(players, games):
    gone, kept = players[:2]
    _store([(gone.pk, games["cod"].pk, 9, utc(2030, 5, 5)), (kept.pk, games["cod"].pk, 3, utc(2030, 5, 5))], [])
    gone.delete()
    assert {u for u, *_ in aggregates()[0]} == {u for u, *_ in aggregates()[1]} == {kept.pk}
