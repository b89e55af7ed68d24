"""The session counters equal a fresh COUNT/SUM of their rows after every kind of change: the
services, account deletion (cascade), the Django admin, bulk inserts, and the repair command."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.test import Client

from common.errors import Conflict, PermissionDenied
from gamers.models import Gamer
from gamers.services import gamer_delete_self
from sessions_app import services
from sessions_app.counters import COUNTERS, counters_add, counters_drift, counters_recount
from sessions_app.models import Attendance, GameSession, Like, Review, WaitingEntry
from sessions_app.tests.factories import GameSessionFactory, gamer_factory

pytestmark = pytest.mark.django_db


def fresh(session_id: int) -> dict[str, int]:
    """The counters as a fresh COUNT / SUM of the rows."""
    reviews = Review.objects.filter(session_id=session_id).aggregate(n=Count("id"), s=Sum("rating"))
    return {
        "attendee_count": Attendance.objects.filter(session_id=session_id).count(),
        "like_count": Like.objects.filter(session_id=session_id).count(),
        "review_count": reviews["n"],
        "rating_sum": reviews["s"] or 0,
        "waiting_count": WaitingEntry.objects.filter(session_id=session_id).count(),
        "trend_score": Like.objects.filter(session_id=session_id, trend_counted=True).count()
        + Attendance.objects.filter(session_id=session_id, trend_counted=True).count(),
    }


# The counters these tests spell out (the waiting list and the trend have tests of their own;
# `assert_every_session_exact` checks all of them against the rows).
FOUR = ("attendee_count", "like_count", "review_count", "rating_sum")


def stored(session_id: int, names: tuple[str, ...] = COUNTERS) -> dict[str, int]:
    return GameSession.objects.filter(pk=session_id).values(*names).get()


def assert_every_session_exact() -> None:
    sessions = list(GameSession.objects.values_list("pk", flat=True))
    assert sessions, "nothing left to check"
    for pk in sessions:
        assert stored(pk) == fresh(pk), f"session {pk}"
    assert counters_drift() == []


def browser(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_mixed_sequence_of_changes_leaves_every_counter_equal_to_its_rows(admin, admin_client_api, moderator):
    g = [gamer_factory("mix") for _ in range(7)]
    s1, s2, s3 = (GameSessionFactory(max_attendees=10) for _ in range(3))
    doomed = GameSessionFactory(organizer=g[6])  # hosted by the gamer who deletes their account
    for gamer in g[:5]:
        services.session_join(session_id=s1.pk, user=gamer)
    for gamer in (g[0], g[1], g[6]):
        services.session_join(session_id=s2.pk, user=gamer)
    services.session_join(session_id=s3.pk, user=g[2])
    services.session_join(session_id=doomed.pk, user=g[0])
    services.session_leave(session_id=s1.pk, user=g[1])
    with pytest.raises(Conflict):
        services.session_leave(session_id=s1.pk, user=g[1])  # refused: no change
    with pytest.raises(Conflict):
        services.session_join(session_id=s1.pk, user=g[0])  # refused: no change
    for gamer in g[:6]:
        services.session_like(session_id=s1.pk, user=gamer)
    for session in (s2, s3, doomed):
        services.session_like(session_id=session.pk, user=g[6])
    services.session_like(session_id=s2.pk, user=g[0])
    with pytest.raises(Conflict):
        services.session_like(session_id=s1.pk, user=g[0])  # duplicate: its increment rolls back
    services.session_unlike(session_id=s1.pk, user=g[2])
    services.review_create(session_id=s1.pk, user=g[0], rating=5)
    services.review_create(session_id=s1.pk, user=g[2], rating=4)
    services.review_create(session_id=s1.pk, user=g[3], rating=3)
    services.review_create(session_id=s1.pk, user=g[4], rating=1)
    services.review_create(session_id=s2.pk, user=g[6], rating=2)
    services.review_create(session_id=s2.pk, user=g[0], rating=4)
    with pytest.raises(PermissionDenied):
        services.review_create(session_id=s3.pk, user=g[5], rating=5)  # not an attendee
    services.review_update_mine(session_id=s1.pk, user=g[0], rating=2)
    services.review_update_mine(session_id=s1.pk, user=g[2], content="only the text changes")
    services.review_delete_mine(session_id=s1.pk, user=g[3])
    services.review_delete(actor=moderator, review_id=Review.objects.get(session=s2, author=g[0]).pk)
    # A gamer deletes their account: attendances, likes and a review across s2, s3 and the
    # session they host go by cascade.
    gamer_delete_self(gamer=g[6])
    # An admin deletes a gamer (the API: the back office refuses to cascade into the coin
    # ledger); then, in the back office, removes an attendee inline and deletes a review.
    assert admin_client_api.delete(f"/api/v1/gamers/{g[4].pk}").status_code == 204
    site = browser(admin)
    inline = s1.attendances.get(gamer=g[3])
    form = {
        "title": s1.title,
        "game": s1.game,
        "description": s1.description,
        "platform": s1.platform,
        "starts_at_0": s1.starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": s1.starts_at.strftime("%H:%M:%S"),
        "max_attendees": s1.max_attendees,
        "is_available": "on",
        "attendances-TOTAL_FORMS": "1",
        "attendances-INITIAL_FORMS": "1",
        "attendances-MIN_NUM_FORMS": "0",
        "attendances-MAX_NUM_FORMS": "1000",
        "attendances-0-id": str(inline.pk),
        "attendances-0-session": str(s1.pk),
        "attendances-0-DELETE": "on",
    }
    assert site.post(f"/admin/sessions_app/gamesession/{s1.pk}/change/", form).status_code == 302
    review = Review.objects.get(session=s1, author=g[2])
    assert site.post(f"/admin/sessions_app/review/{review.pk}/delete/", {"post": "yes"}).status_code == 302

    assert not GameSession.objects.filter(pk=doomed.pk).exists()
    assert not Gamer.objects.filter(pk__in=[g[4].pk, g[6].pk]).exists()
    assert_every_session_exact()
    # What is left on s1: g0 and g2 attend (g1 left, g3 removed inline, g4 deleted); likes from
    # g0, g1, g3, g5 (g2 unliked, g4 deleted); one review, g0's, changed from 5 to 2.
    assert stored(s1.pk, FOUR) == {"attendee_count": 2, "like_count": 4, "review_count": 1, "rating_sum": 2}
    assert stored(s2.pk, FOUR) == {"attendee_count": 2, "like_count": 1, "review_count": 0, "rating_sum": 0}
    assert stored(s3.pk, FOUR) == {"attendee_count": 1, "like_count": 0, "review_count": 0, "rating_sum": 0}
    # trending: s1 keeps 2 of its 5 joins and 4 of its 6 likes, all within the week
    assert stored(s1.pk)["trend_score"] == 6


def test_deleting_many_accounts_at_once_takes_all_their_rows_off_the_counters():
    sessions = [GameSessionFactory(max_attendees=20) for _ in range(4)]
    gamers = [gamer_factory("leaver") for _ in range(6)]
    for i, gamer in enumerate(gamers):
        for session in sessions[: 1 + i % 4]:
            services.session_join(session_id=session.pk, user=gamer)
            services.session_like(session_id=session.pk, user=gamer)
            services.review_create(session_id=session.pk, user=gamer, rating=1 + i % 5)
    Gamer.objects.filter(pk__in=[g.pk for g in gamers[:4]]).delete()  # a queryset delete: one cascade
    assert_every_session_exact()
    assert stored(sessions[0].pk)["attendee_count"] == 2


def test_an_account_without_sessions_is_deleted_without_touching_counters():
    session = GameSessionFactory()
    services.session_like(session_id=session.pk, user=gamer_factory())
    loner = gamer_factory("loner")
    gamer_delete_self(gamer=loner)
    assert stored(session.pk)["like_count"] == 1


def test_a_refused_review_or_like_leaves_the_counters_alone(gamer):
    session = GameSessionFactory()
    with pytest.raises(PermissionDenied):
        services.review_create(session_id=session.pk, user=gamer, rating=5)
    services.session_like(session_id=session.pk, user=gamer)
    with pytest.raises(Conflict):
        services.session_like(session_id=session.pk, user=gamer)
    assert stored(session.pk, FOUR) == {"attendee_count": 0, "like_count": 1, "review_count": 0, "rating_sum": 0}


def test_a_counter_never_goes_below_zero():
    session = GameSessionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        counters_add(session.pk, likes=-1)
    assert stored(session.pk)["like_count"] == 0


def test_the_recount_command_reports_and_repairs_drift():
    session, other = GameSessionFactory(), GameSessionFactory()
    gamer = gamer_factory()
    services.session_join(session_id=session.pk, user=gamer)
    services.session_like(session_id=other.pk, user=gamer)
    GameSession.objects.filter(pk=session.pk).update(attendee_count=7, rating_sum=3)  # as raw SQL might
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("recount_session_counters", "--check", stdout=out)
    assert f"session {session.pk}" in out.getvalue() and f"session {other.pk}" not in out.getvalue()
    assert stored(session.pk)["attendee_count"] == 7  # --check changes nothing
    call_command("recount_session_counters", stdout=io.StringIO())
    assert_every_session_exact()
    call_command("recount_session_counters", "--check", stdout=io.StringIO())  # clean now: no error


def test_counters_recount_fills_counters_after_bulk_inserts():
    sessions = [GameSessionFactory() for _ in range(3)]
    gamers = [gamer_factory() for _ in range(3)]
    Attendance.objects.bulk_create([Attendance(session=s, gamer=g) for s in sessions[:2] for g in gamers])
    Review.objects.bulk_create([Review(session=sessions[0], author=g, rating=r) for g, r in zip(gamers, [1, 4, 5])])
    Like.objects.bulk_create([Like(session=sessions[2], gamer=g) for g in gamers[:2]])
    assert counters_drift() != []
    assert counters_recount(session_ids=[s.pk for s in sessions]) == 3
    assert_every_session_exact()
    assert stored(sessions[0].pk, FOUR) == {"attendee_count": 3, "like_count": 0, "review_count": 3, "rating_sum": 10}


def test_the_admin_action_recounts_the_selected_sessions(admin):
    session = GameSessionFactory()
    services.session_join(session_id=session.pk, user=gamer_factory())
    GameSession.objects.filter(pk=session.pk).update(attendee_count=0)
    response = browser(admin).post(
        "/admin/sessions_app/gamesession/", {"action": "recount_counters", "_selected_action": [session.pk]}
    )
    assert response.status_code == 302
    assert stored(session.pk)["attendee_count"] == 1
