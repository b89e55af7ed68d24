"""The back office for sessions and reviews: moderators' and admins' views, audited deletions."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditLog
from sessions_app.models import Attendance, GameSession, Review
from sessions_app.tests.factories import AttendanceFactory, GameSessionFactory, ReviewFactory

pytestmark = pytest.mark.django_db
SESSIONS = "/admin/sessions_app/gamesession/"
REVIEWS = "/admin/sessions_app/review/"


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mod_browser(moderator):
    return browser(moderator)


def form_data(session: GameSession, **overrides) -> dict:
    data = {
        "title": session.title,
        "game": session.game,
        "description": session.description,
        "platform": session.platform,
        "starts_at_0": session.starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": session.starts_at.strftime("%H:%M:%S"),
        "max_attendees": session.max_attendees,
        "is_available": "on" if session.is_available else "",
        "attendances-TOTAL_FORMS": "0",
        "attendances-INITIAL_FORMS": "0",
        "attendances-MIN_NUM_FORMS": "0",
        "attendances-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def test_moderator_sees_and_searches_sessions_with_attendee_counts(mod_browser):
    wanted = GameSessionFactory(title="Apex ranked grind", game="Apex Legends")
    AttendanceFactory(session=wanted)
    GameSessionFactory(title="Chess blitz", game="Chess")
    page = mod_browser.get(SESSIONS, {"q": "apex"})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    assert list(page.context["cl"].result_list) == [wanted]
    assert page.context["cl"].result_list[0].attendee_count == 1  # the counter column
    assert mod_browser.get(SESSIONS, {"platform__exact": "pc", "is_available__exact": "1"}).status_code == 200


def test_session_change_page_shows_attendees_inline_to_moderators(mod_browser):
    session = GameSessionFactory()
    attendance = AttendanceFactory(session=session)
    page = mod_browser.get(f"{SESSIONS}{session.pk}/change/")
    assert page.status_code == 200
    assert attendance.gamer.username in page.content.decode()


def test_moderator_cannot_add_sessions_in_the_back_office(mod_browser):
    assert mod_browser.get(f"{SESSIONS}add/").status_code == 403


def test_back_office_edit_refuses_capacity_below_attendees(admin):
    session = GameSessionFactory(max_attendees=5, starts_at=timezone.now() + timedelta(days=3))
    AttendanceFactory(session=session)
    AttendanceFactory(session=session)
    response = browser(admin).post(f"{SESSIONS}{session.pk}/change/", form_data(session, max_attendees=1))
    assert response.status_code == 200  # the form again, with the error
    assert "already joined" in response.content.decode()
    session.refresh_from_db()
    assert session.max_attendees == 5


def test_back_office_edit_saves_through_the_service(admin):
    # Admins only: moderators can't edit sessions (REST neither); see moderation/tests/test_admin_role_table.py.
    session = GameSessionFactory(max_attendees=5, starts_at=timezone.now() + timedelta(days=3))
    response = browser(admin).post(
        f"{SESSIONS}{session.pk}/change/", form_data(session, is_available="", title="Renamed")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    session.refresh_from_db()
    assert (session.title, session.is_available) == ("Renamed", False)


def test_moderator_deleting_a_session_in_the_back_office_is_audited(mod_browser, moderator):
    session = GameSessionFactory()
    response = mod_browser.post(f"{SESSIONS}{session.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not GameSession.objects.exists()
    log = AuditLog.objects.get()
    assert (log.action, log.actor_id, log.target_id) == ("delete_session", moderator.pk, str(session.pk))


def test_bulk_delete_of_reviews_is_audited_per_review(mod_browser):
    reviews = [ReviewFactory(), ReviewFactory()]
    response = mod_browser.post(
        REVIEWS, {"action": "delete_selected", "_selected_action": [r.pk for r in reviews], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Review.objects.exists()
    assert sorted(AuditLog.objects.values_list("target_id", flat=True)) == sorted(str(r.pk) for r in reviews)
    assert set(AuditLog.objects.values_list("action", flat=True)) == {"delete_review"}


def test_reviews_are_searchable_and_read_only(mod_browser):
    review = ReviewFactory(content="laggy server all night")
    ReviewFactory(content="perfect")
    page = mod_browser.get(REVIEWS, {"q": "laggy"})
    assert list(page.context["cl"].result_list) == [review]
    change = mod_browser.post(f"{REVIEWS}{review.pk}/change/", {"rating": 1})
    assert change.status_code == 403
    assert Review.objects.get(pk=review.pk).rating == review.rating


def test_gamers_cannot_open_the_back_office(gamer):
    response = browser(gamer).get(SESSIONS)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_removing_an_attendee_inline_keeps_the_rest(admin):
    session = GameSessionFactory(max_attendees=5, starts_at=timezone.now() + timedelta(days=3))
    keep, drop = AttendanceFactory(session=session), AttendanceFactory(session=session)
    data = form_data(
        session,
        **{
            "attendances-TOTAL_FORMS": "2",
            "attendances-INITIAL_FORMS": "2",
            "attendances-0-id": str(keep.pk),
            "attendances-0-session": str(session.pk),
            "attendances-1-id": str(drop.pk),
            "attendances-1-session": str(session.pk),
            "attendances-1-DELETE": "on",
        },
    )
    response = browser(admin).post(f"{SESSIONS}{session.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(Attendance.objects.filter(session=session)) == [keep]
