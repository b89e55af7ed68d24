"""On PostgreSQL the session lists read in order through an index: no Sort over the table, so a
page costs the same at 10,000 sessions as at 10 million."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from sessions_app import selectors
from sessions_app.counters import counters_recount
from sessions_app.models import Attendance, GameSession, Like, Platform
from sessions_app.tests.factories import gamer_factory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SESSIONS = 20_000
GAMES = ["Valorant", "Chess", "FIFA", "Fortnite", "Apex Legends", "Minecraft", "Rocket League", "CS:GO"]


@pytest.fixture
def many_sessions() -> dict[str, Any]:
    """20,000 sessions over 8 games, 6 platforms and 40 organizers, with skewed likes, then
    ANALYZE so the planner knows the table's size and spread."""
    rng = random.Random(15)
    hosts = [gamer_factory("host") for _ in range(40)]
    now = timezone.now()
    GameSession.objects.bulk_create(
        [
            GameSession(
                title=f"Session {i}",
                game=rng.choice(GAMES),
                platform=rng.choice(Platform.values),
                starts_at=now + timedelta(minutes=rng.randint(-40_000, 80_000)),
                created_at=now - timedelta(minutes=rng.randint(0, 40_000)),
                max_attendees=rng.randint(1, 50),
                organizer=hosts[i % len(hosts)],
                attendee_count=rng.randint(0, 10),
                # `rating_rank` is generated from these two by the database.
                review_count=(reviews := rng.choice([0, 0, 1, 2, 3, 5, 8])),
                rating_sum=sum(rng.randint(1, 5) for _ in range(reviews)),
                trend_score=rng.choice([0, 0, 0, 1, 2, 5, 30]),
            )
            for i in range(SESSIONS)
        ],
        batch_size=5000,
    )
    ids = list(GameSession.objects.values_list("pk", flat=True)[:200])
    Like.objects.bulk_create([Like(session_id=pk, gamer=host) for pk in ids for host in hosts[: rng.randint(0, 40)]])
    Attendance.objects.bulk_create(
        [Attendance(session_id=pk, gamer=host) for pk in ids for host in hosts[: rng.randint(0, 10)]]
    )
    counters_recount(session_ids=ids)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sessions_app_gamesession")
        cursor.execute("ANALYZE sessions_app_like")
        cursor.execute("ANALYZE sessions_app_attendance")
        cursor.execute("ANALYZE gamers_gamer")
    return {"viewer": hosts[0], "organizer": hosts[3]}


def plan_of(**filters: Any) -> str:
    """EXPLAIN of the first page (20 rows) of the list the API runs for these filters."""
    pages = selectors.session_pages(**filters)
    return pages.queryset[:20].explain()


INDEX_OF_ORDERING = {
    "starts_at": "session_by_start",
    "-starts_at": "session_by_start",
    "created_at": "session_by_created",
    "-created_at": "session_by_created",
    "like_count": "session_by_likes",
    "-like_count": "session_by_likes",
    "attendee_count": "session_by_attendees",
    "-attendee_count": "session_by_attendees",
    "-avg_rating": "session_by_rating",
    "avg_rating": "session_by_rating",
    "trending": "session_by_trend",
}


def assert_ordered_by_index(plan: str, index: str) -> None:
    assert "Sort" not in plan, plan  # neither Sort nor Incremental Sort: the rows come in order
    assert f"using {index} on sessions_app_gamesession" in plan, plan


@pytest.mark.parametrize("who", ["viewer", "anonymous"])
@pytest.mark.parametrize("ordering", list(selectors.ORDERINGS))
def test_every_ordering_reads_through_its_index(many_sessions, ordering, who):
    user = many_sessions["viewer"] if who == "viewer" else None
    assert_ordered_by_index(plan_of(user=user, ordering=ordering), INDEX_OF_ORDERING[ordering])


@pytest.mark.parametrize(
    "filters, index",
    [
        ({"game": "chess"}, "session_by_game"),
        ({"platform": "switch"}, "session_by_platform"),
        ({"organizer_id": "organizer"}, "session_by_organizer"),
    ],
)
def test_each_filter_reads_through_its_index_in_the_default_order(many_sessions, filters, index):
    if filters.get("organizer_id") == "organizer":
        filters = {"organizer_id": many_sessions["organizer"].pk}
    plan = plan_of(user=many_sessions["viewer"], **filters)
    assert_ordered_by_index(plan, index)
    assert "Index Cond" in plan, plan  # the filter is the index's condition, not a scan filter


def test_the_joinable_list_for_the_bot_reads_in_start_order(many_sessions):
    plan = plan_of(joinable=True, game="valorant")
    assert "Sort" not in plan, plan
    assert "session_by_game" in plan or "session_by_start" in plan, plan


def test_the_case_insensitive_game_filter_is_the_indexed_expression(many_sessions):
    sql, _ = selectors.session_pages(game="chess").queryset.query.sql_with_params()
    assert 'UPPER("sessions_app_gamesession"."game")' in sql


def test_due_reminders_read_the_next_hour_through_the_start_index(many_sessions):
    """The reminder tick's search is a range of `session_by_start`, not a scan of the table."""
    from datetime import timedelta

    now = timezone.now()
    due = GameSession.objects.filter(
        reminders_sent_at__isnull=True, starts_at__gt=now, starts_at__lte=now + timedelta(hours=1)
    ).order_by("starts_at", "id")[:200]
    plan = due.explain()
    assert "session_by_start" in plan and "Seq Scan" not in plan, plan


def test_the_trend_tick_finds_due_rows_through_its_partial_indexes(many_sessions):
    from datetime import timedelta

    cutoff = timezone.now() - timedelta(days=7)
    for model, stamp, index in (
        (Like, "created_at", "like_trend_due"),
        (Attendance, "joined_at", "attendance_trend_due"),
    ):
        rows = model.objects.filter(trend_counted=True, **{f"{stamp}__lt": cutoff}).order_by(stamp)
        plan = rows.values_list("session_id", flat=True)[:500].explain()
        assert index in plan, plan
