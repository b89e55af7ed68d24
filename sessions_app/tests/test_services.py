"""Services as the bot and the admin call them (no HTTP)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditLog
from common.errors import Conflict, NotFound, PermissionDenied
from sessions_app import selectors, services
from sessions_app.models import Attendance, GameSession, Like, Review
from sessions_app.tests.factories import AttendanceFactory, GameSessionFactory, ReviewFactory, gamer_factory

pytestmark = pytest.mark.django_db


def future(days: float = 1):
    return timezone.now() + timedelta(days=days)


def test_session_create_makes_the_caller_organizer_and_trims_text(gamer):
    session = services.session_create(
        organizer=gamer, title="  Ranked night ", game=" Valorant ", platform="pc", starts_at=future(), max_attendees=5
    )
    assert (session.organizer_id, session.title, session.game) == (gamer.pk, "Ranked night", "Valorant")
    assert session.is_available is True


def test_session_create_refuses_a_past_start_and_bad_ranges(gamer):
    with pytest.raises(ValidationError) as exc:
        services.session_create(
            organizer=gamer, title="t", game="g", platform="pc", starts_at=timezone.now(), max_attendees=5
        )
    assert set(exc.value.message_dict) == {"starts_at"}
    with pytest.raises(ValidationError) as exc:
        services.session_create(
            organizer=gamer, title=" ", game="g", platform="wii", starts_at=future(), max_attendees=0
        )
    assert set(exc.value.message_dict) == {"title", "platform", "max_attendees"}
    assert not GameSession.objects.exists()


def test_join_returns_the_new_count_and_leave_the_lower_one(gamer, other_gamer):
    session = GameSessionFactory(max_attendees=3)
    first = services.session_join(session_id=session.pk, user=gamer)
    second = services.session_join(session_id=session.pk, user=other_gamer)
    assert (first.attendee_count, second.attendee_count) == (1, 2)
    assert second.session.pk == session.pk and session.title in second.detail
    left = services.session_leave(session_id=session.pk, user=gamer)
    assert left.attendee_count == 1
    assert list(Attendance.objects.values_list("gamer_id", flat=True)) == [other_gamer.pk]


@pytest.mark.parametrize(
    "setup, code",
    [
        (lambda s, g: AttendanceFactory(session=s, gamer=g), "already_joined"),
        (lambda s, g: GameSession.objects.filter(pk=s.pk).update(is_available=False), "session_unavailable"),
        (
            lambda s, g: GameSession.objects.filter(pk=s.pk).update(starts_at=timezone.now() - timedelta(minutes=1)),
            "session_unavailable",
        ),
        (lambda s, g: AttendanceFactory(session=s), "session_full"),
    ],
)
def test_join_refusals(gamer, setup, code):
    session = GameSessionFactory(max_attendees=1)
    setup(session, gamer)
    with pytest.raises(Conflict) as exc:
        services.session_join(session_id=session.pk, user=gamer)
    assert exc.value.code == code
    expected = 0 if code == "session_unavailable" else 1
    assert Attendance.objects.filter(session=session).count() == expected


def test_join_and_leave_of_a_missing_session_are_not_found(gamer):
    with pytest.raises(NotFound):
        services.session_join(session_id=999999, user=gamer)
    with pytest.raises(NotFound):
        services.session_leave(session_id=999999, user=gamer)


def test_leave_without_joining_is_not_joined(gamer):
    session = GameSessionFactory()
    AttendanceFactory(session=session)
    with pytest.raises(Conflict) as exc:
        services.session_leave(session_id=session.pk, user=gamer)
    assert exc.value.code == "not_joined"
    assert exc.value.extra == {"attendee_count": 1}


def test_like_twice_is_already_liked_and_unlike_twice_is_not_liked(gamer):
    session = GameSessionFactory()
    services.session_like(session_id=session.pk, user=gamer)
    with pytest.raises(Conflict) as exc:
        services.session_like(session_id=session.pk, user=gamer)
    assert exc.value.code == "already_liked"
    services.session_unlike(session_id=session.pk, user=gamer)
    with pytest.raises(NotFound) as exc:
        services.session_unlike(session_id=session.pk, user=gamer)
    assert exc.value.code == "not_liked"
    assert not Like.objects.exists()


def test_update_refuses_capacity_below_attendees_and_keeps_the_row(gamer):
    session = GameSessionFactory(organizer=gamer, max_attendees=5)
    AttendanceFactory(session=session)
    AttendanceFactory(session=session)
    with pytest.raises(ValidationError) as exc:
        services.session_update(actor=gamer, session_id=session.pk, max_attendees=1)
    assert set(exc.value.message_dict) == {"max_attendees"}
    session.refresh_from_db()
    assert session.max_attendees == 5
    services.session_update(actor=gamer, session_id=session.pk, max_attendees=2)
    session.refresh_from_db()
    assert session.max_attendees == 2


def test_update_lets_a_started_session_be_switched_off_but_not_moved_to_the_past(gamer):
    session = GameSessionFactory(organizer=gamer, starts_at=timezone.now() - timedelta(hours=1))
    services.session_update(actor=gamer, session_id=session.pk, starts_at=session.starts_at, is_available=False)
    session.refresh_from_db()
    assert session.is_available is False
    with pytest.raises(ValidationError):
        services.session_update(actor=gamer, session_id=session.pk, starts_at=timezone.now() - timedelta(days=1))


def test_update_by_a_moderator_is_refused(gamer, moderator):
    session = GameSessionFactory(organizer=gamer)
    with pytest.raises(PermissionDenied):
        services.session_update(actor=moderator, session_id=session.pk, title="Hijacked", is_available=False)
    session.refresh_from_db()
    assert session.is_available is True and session.title != "Hijacked"


def test_update_refuses_fields_that_are_not_editable(gamer):
    session = GameSessionFactory(organizer=gamer)
    with pytest.raises(TypeError):
        services.session_update(actor=gamer, session_id=session.pk, organizer_id=1)


def test_organizer_deleting_is_not_audited_but_a_moderator_is(gamer, moderator):
    mine = GameSessionFactory(organizer=gamer)
    services.session_delete(actor=gamer, session_id=mine.pk)
    assert not AuditLog.objects.exists()
    other = GameSessionFactory(organizer=gamer, title="Spam spam")
    services.session_delete(actor=moderator, session_id=other.pk, reason="spam")
    log = AuditLog.objects.get()
    assert (log.action, log.target_type, log.target_id, log.reason, log.actor_id) == (
        "delete_session",
        "session",
        str(other.pk),
        "spam",
        moderator.pk,
    )
    assert not GameSession.objects.exists()


def test_a_gamer_cannot_delete_someone_elses_session(gamer, other_gamer):
    session = GameSessionFactory(organizer=gamer)
    with pytest.raises(PermissionDenied):
        services.session_delete(actor=other_gamer, session_id=session.pk)
    assert GameSession.objects.filter(pk=session.pk).exists()


def test_reviews_only_from_attendees_once_each(gamer, other_gamer):
    session = GameSessionFactory()
    AttendanceFactory(session=session, gamer=gamer)
    with pytest.raises(PermissionDenied) as exc:
        services.review_create(session_id=session.pk, user=other_gamer, rating=5)
    assert exc.value.code == "not_an_attendee"
    review = services.review_create(session_id=session.pk, user=gamer, rating=5, content="gg")
    with pytest.raises(Conflict) as exc:
        services.review_create(session_id=session.pk, user=gamer, rating=1)
    assert exc.value.code == "already_reviewed"
    updated = services.review_update_mine(session_id=session.pk, user=gamer, rating=2)
    assert (updated.pk, updated.rating, updated.content) == (review.pk, 2, "gg")
    services.review_delete_mine(session_id=session.pk, user=gamer)
    with pytest.raises(NotFound) as exc:
        services.review_delete_mine(session_id=session.pk, user=gamer)
    assert exc.value.code == "not_reviewed"


def test_review_delete_is_for_moderators_and_audited(gamer, moderator):
    review = ReviewFactory(content="rude words")
    with pytest.raises(PermissionDenied):
        services.review_delete(actor=gamer, review_id=review.pk)
    services.review_delete(actor=moderator, review_id=review.pk, reason="rude")
    assert not Review.objects.exists()
    log = AuditLog.objects.get()
    assert (log.action, log.target_type, log.target_id, log.reason) == (
        "delete_review",
        "review",
        str(review.pk),
        "rude",
    )


def test_session_list_for_the_bot_without_a_user_has_figures_and_false_flags():
    session = GameSessionFactory(game="Chess", max_attendees=1)
    AttendanceFactory(session=session)
    GameSessionFactory(game="Chess")
    rows = list(selectors.session_list(game="chess", joinable=False))
    assert [r.attendee_count for r in rows] == [1, 0]
    assert [r.is_full for r in rows] == [True, False]
    assert not any(r.liked_by_me or r.joined_by_me for r in rows)
    assert [r.pk for r in selectors.session_list(game="CHESS", joinable=True)] == [rows[1].pk]


def test_session_list_refuses_unknown_ordering():
    with pytest.raises(ValueError):
        selectors.session_list(ordering="password")


def test_profile_stats_count_hosted_and_joined_sessions(gamer, other_gamer, gamer_client):
    for _ in range(3):
        GameSessionFactory(organizer=gamer)
    joined = GameSessionFactory(organizer=other_gamer)
    AttendanceFactory(session=joined, gamer=gamer)
    stats = gamer_client.get(f"/api/v1/gamers/{gamer.pk}").json()["stats"]
    assert (stats["sessions_hosted"], stats["sessions_joined"]) == (3, 1)
    other = gamer_client.get(f"/api/v1/gamers/{other_gamer.pk}").json()["stats"]
    assert (other["sessions_hosted"], other["sessions_joined"]) == (1, 0)


def test_bad_update_is_refused_before_any_write(gamer):
    session = GameSessionFactory(organizer=gamer, title="Before")
    with pytest.raises(ValidationError):
        services.session_update(actor=gamer, session_id=session.pk, title="After", max_attendees=0)
    session.refresh_from_db()
    assert session.title == "Before"


def test_new_gamer_helper_is_unique():
    assert gamer_factory().pk != gamer_factory().pk
