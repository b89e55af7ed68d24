"""The back office obeys the role table and writes the audit log (issue 16 point 5, SPEC §7).

Moderators may delete sessions but neither edit them nor remove attendees (REST answers them
403 too); simplejwt's token tables are for superusers (the admin role) only and read-only; every
back-office add, change and delete of a session, event, score or trivia entry is audited once.
(Gamers: gamers/tests/test_admin_gamers.py.)"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from audit.models import AuditLog
from events.models import Event
from events.tests.factories import EventFactory
from gamers.services import refresh_tokens_revoke, token_pair_for
from leaderboard.models import Game, Score
from sessions_app.models import Attendance, GameSession
from sessions_app.tests.factories import AttendanceFactory, GameSessionFactory
from trivia.models import Entry

pytestmark = pytest.mark.django_db
SESSIONS = "/admin/sessions_app/gamesession/"
TOKENS = "/admin/token_blacklist/outstandingtoken/"
BLACKLISTED = "/admin/token_blacklist/blacklistedtoken/"


def browser(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def audit_rows() -> list[tuple[str, str, str]]:
    return sorted(AuditLog.objects.values_list("action", "target_type", "target_id"))


def session_form(session: GameSession, attendances: list[Attendance] = (), delete: set[int] = frozenset(), **over: Any):  # type: ignore[assignment]
    starts = session.starts_at.astimezone(UTC)
    data: dict[str, Any] = {
        "title": session.title,
        "game": session.game,
        "description": session.description,
        "platform": session.platform,
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": starts.strftime("%H:%M:%S"),
        "max_attendees": session.max_attendees,
        "is_available": "on",
        "attendances-TOTAL_FORMS": str(len(attendances)),
        "attendances-INITIAL_FORMS": str(len(attendances)),
        "attendances-MIN_NUM_FORMS": "0",
        "attendances-MAX_NUM_FORMS": "1000",
    }
    for i, attendance in enumerate(attendances):
        data[f"attendances-{i}-id"] = str(attendance.pk)
        data[f"attendances-{i}-session"] = str(session.pk)
        if attendance.pk in delete:
            data[f"attendances-{i}-DELETE"] = "on"
    data.update(over)
    return data


@pytest.fixture
def future_session() -> Any:
    return GameSessionFactory(title="Ranked night", max_attendees=5, starts_at=timezone.now() + timedelta(days=3))


# --- moderators: the API's rights on sessions -------------------------------------------------


def test_moderator_cannot_edit_a_session_in_the_back_office(moderator, future_session):
    response = browser(moderator).post(
        f"{SESSIONS}{future_session.pk}/change/", session_form(future_session, title="Mine now")
    )
    assert response.status_code == 403
    future_session.refresh_from_db()
    assert future_session.title == "Ranked night"
    assert not AuditLog.objects.exists()


def test_moderator_cannot_remove_an_attendee_in_the_back_office(moderator, future_session):
    attendance = AttendanceFactory(session=future_session)
    data = session_form(future_session, [attendance], delete={attendance.pk})
    assert browser(moderator).post(f"{SESSIONS}{future_session.pk}/change/", data).status_code == 403
    assert Attendance.objects.filter(pk=attendance.pk).exists()
    future_session.refresh_from_db()
    assert future_session.attendee_count == 1


def test_moderator_sees_sessions_read_only(moderator, future_session):
    page = browser(moderator).get(f"{SESSIONS}{future_session.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="title"' not in html and 'name="_save"' not in html


def test_moderator_may_still_delete_a_session_audited_once(moderator, future_session):
    response = browser(moderator).post(f"{SESSIONS}{future_session.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not GameSession.objects.filter(pk=future_session.pk).exists()
    assert audit_rows() == [("delete_session", "session", str(future_session.pk))]


# --- audit rows for sessions -----------------------------------------------------------------


def test_admin_session_edit_and_attendee_removal_are_audited(admin, future_session):
    keep, drop = AttendanceFactory(session=future_session), AttendanceFactory(session=future_session)
    data = session_form(future_session, [keep, drop], delete={drop.pk}, title="Renamed night")
    response = browser(admin).post(f"{SESSIONS}{future_session.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(Attendance.objects.filter(session=future_session)) == [keep]
    log = AuditLog.objects.get()
    assert (log.action, log.target_type, log.target_id, log.actor_id) == (
        "admin_change",
        "session",
        str(future_session.pk),
        admin.pk,
    )
    assert "Title" in log.reason and "Deleted attendance" in log.reason


def test_bulk_session_delete_is_audited_once_per_session(admin):
    theirs = GameSessionFactory()
    mine = GameSessionFactory(organizer=admin)
    response = browser(admin).post(
        SESSIONS, {"action": "delete_selected", "_selected_action": [theirs.pk, mine.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not GameSession.objects.exists()
    # Someone else's: the service's moderation row; the admin's own: the back office's row. One each.
    assert audit_rows() == [("admin_delete", "session", str(mine.pk)), ("delete_session", "session", str(theirs.pk))]


# --- events, scores, trivia entries ----------------------------------------------------------


def event_form(**over: Any) -> dict[str, Any]:
    starts = (timezone.now() + timedelta(days=20)).astimezone(UTC)
    data = {
        "title": "Festival de Testour",
        "description": "Malouf.",
        "category": "music",
        "image_url": "https://example.com/a.jpg",
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": starts.strftime("%H:%M:%S"),
        "location": "Testour",
        "city": "Béja",
        "ticket_price": "10.00",
        "tickets_total": 100,
    }
    data.update(over)
    return data


def test_event_add_change_delete_in_the_back_office_are_audited(admin):
    client = browser(admin)
    assert client.post("/admin/events/event/add/", event_form()).status_code == 302
    event = Event.objects.get()
    assert client.post(f"/admin/events/event/{event.pk}/change/", event_form(title="Testour 2")).status_code == 302
    assert client.post(f"/admin/events/event/{event.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Event.objects.exists()
    pk = str(event.pk)
    assert audit_rows() == [("admin_add", "event", pk), ("admin_change", "event", pk), ("admin_delete", "event", pk)]
    assert "Title" in AuditLog.objects.get(action="admin_change").reason


def test_deleting_someone_elses_event_is_audited_once_by_the_service(admin):
    event = EventFactory()
    assert browser(admin).post(f"/admin/events/event/{event.pk}/delete/", {"post": "yes"}).status_code == 302
    assert audit_rows() == [("delete_event", "event", str(event.pk))]


def test_score_delete_in_the_back_office_is_audited(admin, gamer):
    score = Score.objects.create(user=gamer, game=Game.objects.get(slug="cod"), value=42)
    response = browser(admin).post(f"/admin/leaderboard/score/{score.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Score.objects.filter(pk=score.pk).exists()
    log = AuditLog.objects.get()
    assert (log.action, log.target_type, log.target_id, log.actor_id) == (
        "admin_delete",
        "score",
        str(score.pk),
        admin.pk,
    )


def test_bulk_score_delete_is_audited_per_score(admin, gamer):
    cod = Game.objects.get(slug="cod")
    scores = [Score.objects.create(user=gamer, game=cod, value=v) for v in (1, 2)]
    response = browser(admin).post(
        "/admin/leaderboard/score/",
        {"action": "delete_selected", "_selected_action": [s.pk for s in scores], "post": "yes"},
    )
    assert response.status_code == 302
    assert audit_rows() == sorted(("admin_delete", "score", str(s.pk)) for s in scores)


def entry_form(**over: Any) -> dict[str, Any]:
    now = timezone.now().astimezone(UTC)
    data = {
        "category": "Geography",
        "clue": "Capital of Tunisia",
        "answer": "Tunis",
        "value": 30,
        "created_at_0": now.strftime("%Y-%m-%d"),
        "created_at_1": now.strftime("%H:%M:%S"),
    }
    data.update(over)
    return data


def test_trivia_entry_add_change_delete_by_a_moderator_are_audited(moderator):
    client = browser(moderator)
    assert client.post("/admin/trivia/entry/add/", entry_form()).status_code == 302
    entry = Entry.objects.get()
    response = client.post(f"/admin/trivia/entry/{entry.pk}/change/", entry_form(clue="The capital of Tunisia"))
    assert response.status_code == 302
    assert client.post(f"/admin/trivia/entry/{entry.pk}/delete/", {"post": "yes"}).status_code == 302
    pk = str(entry.pk)
    assert audit_rows() == [("admin_add", "entry", pk), ("admin_change", "entry", pk), ("admin_delete", "entry", pk)]
    assert set(AuditLog.objects.values_list("actor_id", flat=True)) == {moderator.pk}


def test_bulk_ban_of_entries_is_logged_once_by_the_service(moderator):
    entry = Entry.objects.create(category="Geo", clue="Capital of Tunisia", answer="Tunis", value=30)
    response = browser(moderator).post("/admin/trivia/entry/", {"action": "ban", "_selected_action": [entry.pk]})
    assert response.status_code == 302
    assert [row[0] for row in audit_rows()] == ["ban"]


# --- simplejwt's tokens: superusers only, read-only, never shown ------------------------------


def test_token_tables_are_read_only_for_admins_and_never_show_a_token(admin, gamer):
    refresh = token_pair_for(gamer)["refresh"]
    refresh_tokens_revoke(user_id=gamer.pk)
    outstanding = OutstandingToken.objects.get(user=gamer)
    blacklisted = BlacklistedToken.objects.get(token=outstanding)
    client = browser(admin)
    for url in (TOKENS, f"{TOKENS}{outstanding.pk}/change/", BLACKLISTED, f"{BLACKLISTED}{blacklisted.pk}/change/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert refresh not in page.content.decode(), url  # a refresh token read here would sign its owner in
    assert outstanding.jti in client.get(TOKENS).content.decode()
    assert client.get(f"{TOKENS}add/").status_code == 403
    assert client.post(f"{TOKENS}{outstanding.pk}/change/", {"jti": "x"}).status_code == 403
    assert client.post(f"{TOKENS}{outstanding.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{BLACKLISTED}{blacklisted.pk}/delete/", {"post": "yes"}).status_code == 403
    assert BlacklistedToken.objects.filter(pk=blacklisted.pk).exists()
    assert OutstandingToken.objects.get(pk=outstanding.pk).jti == outstanding.jti


def test_moderators_cannot_see_the_token_tables(moderator, gamer):
    token_pair_for(gamer)
    client = browser(moderator)
    assert client.get(TOKENS).status_code == 403
    assert client.get(BLACKLISTED).status_code == 403
    outstanding = OutstandingToken.objects.get(user=gamer)
    assert client.get(f"{TOKENS}{outstanding.pk}/change/").status_code == 403
    assert "token_blacklist" not in client.get("/admin/").content.decode()
