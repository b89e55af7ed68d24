"""The counters migration works forward from the previous schema and backfills existing rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

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
