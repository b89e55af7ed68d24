"""The counters migration works forward from the previous schema and backfills existing rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from conftest import make_gamer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("back_to_the_latest_schema")]


@pytest.fixture
def back_to_the_latest_schema() -> Any:
    """Each test moves the schema back in time; the tests after it need today's."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


# gamers goes back to the schema of its time too: the historical Gamer model below inserts only
# the columns it had then (later NOT NULL columns have no database default).
BEFORE = [("sessions_app", "0001_initial"), ("gamers", "0002_social_accounts_and_link_codes")]
AFTER = [("sessions_app", "0002_counters_and_list_indexes")]


def test_the_counters_migration_backfills_existing_sessions():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Gamer = old.get_model("gamers", "Gamer")
    GameSession = old.get_model("sessions_app", "GameSession")
    Attendance = old.get_model("sessions_app", "Attendance")
    Like = old.get_model("sessions_app", "Like")
    Review = old.get_model("sessions_app", "Review")
    gamers = [
        Gamer.objects.create(username=f"old {i}", username_key=f"old {i}", email=f"old{i}@example.com", password="!")
        for i in range(4)
    ]
    starts = timezone.now() + timedelta(days=1)
    busy, quiet = (
        GameSession.objects.create(
            title=title, game="Chess", platform="pc", starts_at=starts, max_attendees=10, organizer=gamers[0]
        )
        for title in ("busy", "quiet")
    )
    for gamer, rating in zip(gamers[1:], [5, 4, 2], strict=True):
        Attendance.objects.create(session=busy, gamer=gamer)
        Like.objects.create(session=busy, gamer=gamer)
        Review.objects.create(session=busy, author=gamer, rating=rating)
    Like.objects.create(session=quiet, gamer=gamers[0])

    executor = MigrationExecutor(connection)  # a fresh loader sees the applied state
    executor.migrate(AFTER + executor.loader.graph.leaf_nodes("gamers"))
    new = executor.loader.project_state(AFTER).apps.get_model("sessions_app", "GameSession")
    counters = ("attendee_count", "like_count", "review_count", "rating_sum")
    assert new.objects.filter(pk=busy.pk).values(*counters).get() == {
        "attendee_count": 3,
        "like_count": 3,
        "review_count": 3,
        "rating_sum": 11,
    }
    assert new.objects.filter(pk=quiet.pk).values(*counters).get() == {
        "attendee_count": 0,
        "like_count": 1,
        "review_count": 0,
        "rating_sum": 0,
    }


def test_organizers_join_their_sessions_and_old_activity_leaves_the_trend():
    before = [("sessions_app", "0003_organizer_waiting_trend_reminders")]
    after = [("sessions_app", "0004_organizers_attend_and_trend_backfill")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    GameSession = old.get_model("sessions_app", "GameSession")
    Attendance = old.get_model("sessions_app", "Attendance")
    Like = old.get_model("sessions_app", "Like")
    gamers = [make_gamer(f"mig {i}") for i in range(4)]  # the gamers tables are today's
    starts = timezone.now() + timedelta(days=1)
    week_ago = timezone.now() - timedelta(days=8)

    def session(title: str, seats: int):
        return GameSession.objects.create(
            title=title, game="Chess", platform="pc", starts_at=starts, max_attendees=seats, organizer_id=gamers[0].pk
        )

    roomy, full, hosted, maxed = session("roomy", 5), session("full", 2), session("hosted", 3), session("maxed", 1000)
    for gamer in gamers[1:3]:
        Attendance.objects.create(session=full, gamer_id=gamer.pk)
    Attendance.objects.create(session=roomy, gamer_id=gamers[1].pk, joined_at=week_ago)
    Attendance.objects.create(session=hosted, gamer_id=gamers[0].pk)  # the organizer already attends
    Like.objects.create(session=roomy, gamer_id=gamers[2].pk)
    Like.objects.create(session=roomy, gamer_id=gamers[3].pk, created_at=week_ago)
    GameSession.objects.filter(pk=full.pk).update(attendee_count=2)
    # A session at the 1000-seat maximum, full without its organizer, can't fit them.
    GameSession.objects.filter(pk=maxed.pk).update(attendee_count=1000)

    executor = MigrationExecutor(connection)
    executor.migrate(after + executor.loader.graph.leaf_nodes("gamers"))
    new = executor.loader.project_state(after).apps
    GameSession = new.get_model("sessions_app", "GameSession")
    Attendance = new.get_model("sessions_app", "Attendance")

    def state(s: Any) -> tuple[Any, ...]:
        row = GameSession.objects.values_list("attendee_count", "max_attendees", "trend_score").get(pk=s.pk)
        organizer_attends = Attendance.objects.filter(session_id=s.pk, gamer_id=gamers[0].pk).exists()
        return (*row, organizer_attends)

    # roomy: the organizer + gamer 1 (joined 8 days ago: out of the trend), one recent like.
    assert state(roomy) == (2, 5, 1, True)
    assert state(full) == (3, 3, 2, True)  # one more seat for the organizer
    assert state(hosted) == (1, 3, 1, True)  # untouched, its join still counts (flag as it was)
    assert state(maxed)[1:] == (1000, 0, False)
    organizer_rows = Attendance.objects.filter(session_id=roomy.pk, gamer_id=gamers[0].pk)
    assert organizer_rows.values_list("trend_counted", flat=True).get() is False
