import io
import time

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from sessions_app.counters import counters_drift
from sessions_app.models import Attendance, GameSession, Like, Review
from sessions_app.seed import GAMES

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_about_200_sessions_that_respect_every_invariant():
    out = io.StringIO()
    started = time.monotonic()
    call_command("seed_demo", players=30, scores=0, stdout=out)
    assert time.monotonic() - started < 30
    assert GameSession.objects.count() == 200
    assert set(GameSession.objects.values_list("game", flat=True)) == set(GAMES)
    assert Attendance.objects.count() > 200 and Like.objects.count() > 200 and Review.objects.count() > 20
    overfull = GameSession.objects.annotate(n=Count("attendances")).filter(n__gt=F("max_attendees"))
    assert not overfull.exists()
    # reviews come from attendees only, and only of sessions that already started
    for review in Review.objects.select_related("session"):
        assert Attendance.objects.filter(session=review.session_id, gamer=review.author_id).exists()
        assert review.session.starts_at < review.created_at
    assert GameSession.objects.filter(starts_at__gt=F("created_at")).count() == 200
    # every organizer attends their session, and the counters (trend included) equal the rows
    organizers = GameSession.objects.values_list("pk", "organizer_id")
    assert all(Attendance.objects.filter(session_id=pk, gamer_id=g).exists() for pk, g in organizers)
    assert counters_drift() == []
    assert GameSession.objects.filter(trend_score__gt=0).exists()
    assert "200 sessions" in out.getvalue()
