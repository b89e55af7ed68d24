"""The organizer attends their session, and the waiting list (SPEC §3 "More for sessions")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from common.errors import Conflict, NotFound
from gamers.models import Notification, NotificationKind
from gamers.services import gamer_delete_self
from sessions_app import services
from sessions_app.models import Attendance, GameSession, WaitingEntry
from sessions_app.tests.factories import gamer_factory

pytestmark = pytest.mark.django_db


def url(pk: int, action: str) -> str:
    return f"/api/v1/sessions/{pk}/{action}"


def hosted(host: Any, seats: int, **fields: Any) -> GameSession:
    return services.session_create(
        organizer=host,
        title=fields.pop("title", "Ranked night"),
        game="Valorant",
        platform="pc",
        starts_at=timezone.now() + timedelta(days=1),
        max_attendees=seats,
        **fields,
    )


def attendees(session: GameSession) -> list[int]:
    return list(Attendance.objects.filter(session=session).order_by("id").values_list("gamer_id", flat=True))


def waiters(session: GameSession) -> list[int]:
    return list(WaitingEntry.objects.filter(session=session).order_by("id").values_list("gamer_id", flat=True))


def counters(session: GameSession) -> tuple[int, int]:
    row = GameSession.objects.values_list("attendee_count", "waiting_count").get(pk=session.pk)
    return row[0], row[1]


# --- the organizer attends -----------------------------------------------------------------


def test_creating_a_session_makes_its_organizer_the_first_attendee(gamer):
    session = hosted(gamer, 3)
    assert attendees(session) == [gamer.pk]
    assert counters(session) == (1, 0)
    with pytest.raises(Conflict) as refused:
        services.session_join(session_id=session.pk, user=gamer)
    assert refused.value.code == "already_joined"


def test_the_organizer_takes_a_seat(gamer, other_gamer):
    session = hosted(gamer, 2)
    services.session_join(session_id=session.pk, user=other_gamer)
    with pytest.raises(Conflict) as refused:
        services.session_join(session_id=session.pk, user=gamer_factory())
    assert refused.value.code == "session_full"


def test_the_organizer_cannot_leave_their_session(gamer_client, gamer):
    session = hosted(gamer, 3)
    response = gamer_client.post(url(session.pk, "leave"))
    assert response.status_code == 409
    assert response.json()["code"] == "organizer_cannot_leave"
    assert attendees(session) == [gamer.pk]


# --- joining the waiting list ----------------------------------------------------------------


def test_wait_on_a_full_session_answers_202_with_the_position(gamer, other_client, other_gamer):
    session = hosted(gamer, 1)
    response = other_client.post(url(session.pk, "join"), {"wait": True}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["position"] == 1 and "waiting list" in response.json()["detail"]
    third = gamer_factory("third")
    result = services.session_join_or_wait(session_id=session.pk, user=third)
    assert isinstance(result, services.WaitResult) and result.position == 2
    assert waiters(session) == [other_gamer.pk, third.pk]
    assert counters(session) == (1, 2)
    body = other_client.get(f"/api/v1/sessions/{session.pk}").json()
    assert (body["waiting_count"], body["waiting_by_me"], body["joined_by_me"]) == (2, True, False)


def test_join_without_wait_on_a_full_session_stays_session_full(gamer, other_client):
    session = hosted(gamer, 1)
    response = other_client.post(url(session.pk, "join"), {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "session_full"
    assert waiters(session) == []


def test_wait_on_a_session_with_a_free_seat_simply_joins(gamer, other_client, other_gamer):
    session = hosted(gamer, 2)
    response = other_client.post(url(session.pk, "join"), {"wait": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["attendee_count"] == 2
    assert attendees(session) == [gamer.pk, other_gamer.pk] and waiters(session) == []


def test_waiting_twice_is_409_already_waiting_with_the_position(gamer, other_client):
    session = hosted(gamer, 1)
    other_client.post(url(session.pk, "join"), {"wait": True}, format="json")
    response = other_client.post(url(session.pk, "join"), {"wait": True}, format="json")
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["position"]) == ("already_waiting", 1)
    assert counters(session) == (1, 1)


def test_an_attendee_asking_to_wait_is_told_they_joined(gamer_client, gamer):
    session = hosted(gamer, 1)
    response = gamer_client.post(url(session.pk, "join"), {"wait": True}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "already_joined"


def test_a_switched_off_or_started_session_cannot_be_waited_for(gamer, other_gamer):
    session = hosted(gamer, 1, is_available=False)
    with pytest.raises(Conflict) as refused:
        services.session_join_or_wait(session_id=session.pk, user=other_gamer)
    assert refused.value.code == "session_unavailable"
    started = hosted(gamer, 1)
    GameSession.objects.filter(pk=started.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Conflict) as refused:
        services.session_join_or_wait(session_id=started.pk, user=other_gamer)
    assert refused.value.code == "session_unavailable"
    assert WaitingEntry.objects.count() == 0


def test_wait_must_be_a_boolean(gamer, other_client):
    session = hosted(gamer, 1)
    response = other_client.post(url(session.pk, "join"), {"wait": "perhaps"}, format="json")
    assert response.status_code == 400 and "wait" in response.json()


def test_leaving_the_waiting_list(gamer, other_client, other_gamer):
    session = hosted(gamer, 1)
    other_client.post(url(session.pk, "join"), {"wait": True}, format="json")
    assert other_client.delete(url(session.pk, "wait")).status_code == 204
    assert waiters(session) == [] and counters(session) == (1, 0)
    again = other_client.delete(url(session.pk, "wait"))
    assert again.status_code == 404 and again.json()["code"] == "not_waiting"
    missing = other_client.delete(url(session.pk + 1000, "wait"))
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


# --- promotion -------------------------------------------------------------------------------


def test_a_leave_promotes_the_first_waiter_and_notifies_them(gamer, other_gamer):
    session = hosted(gamer, 2, title="Ranked night")
    services.session_join(session_id=session.pk, user=other_gamer)
    first, second = gamer_factory("first"), gamer_factory("second")
    for waiter in (first, second):
        services.session_join_or_wait(session_id=session.pk, user=waiter)

    result = services.session_leave(session_id=session.pk, user=other_gamer)

    assert result.attendee_count == 2  # the freed seat is taken again at once
    assert attendees(session) == [gamer.pk, first.pk] and waiters(session) == [second.pk]
    assert counters(session) == (2, 1)
    [note] = Notification.objects.filter(kind=NotificationKind.WAITLIST_PROMOTION)
    assert note.user_id == first.pk and "Ranked night" in note.title and note.url == f"/sessions/{session.pk}"
    assert note.key.startswith(f"session:{session.pk}:waitlist:")
    with pytest.raises(Conflict) as refused:
        services.session_join_or_wait(session_id=session.pk, user=second)
    assert refused.value.code == "already_waiting" and refused.value.extra["position"] == 1


def test_raising_the_capacity_promotes_waiters_in_order(gamer_client, gamer):
    session = hosted(gamer, 1)
    queue = [gamer_factory("queue") for _ in range(3)]
    for waiter in queue:
        services.session_join_or_wait(session_id=session.pk, user=waiter)
    response = gamer_client.patch(f"/api/v1/sessions/{session.pk}", {"max_attendees": 3}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["attendee_count"], response.json()["waiting_count"]) == (3, 1)
    assert attendees(session) == [gamer.pk, queue[0].pk, queue[1].pk] and waiters(session) == [queue[2].pk]
    promoted = Notification.objects.filter(kind=NotificationKind.WAITLIST_PROMOTION).values_list("user_id", flat=True)
    assert sorted(promoted) == sorted([queue[0].pk, queue[1].pk])


def test_a_switched_off_session_keeps_its_list_until_it_is_switched_back_on(gamer, other_gamer):
    session = hosted(gamer, 2)
    services.session_join(session_id=session.pk, user=other_gamer)
    waiter = gamer_factory("patient")
    services.session_join_or_wait(session_id=session.pk, user=waiter)
    services.session_update(actor=gamer, session_id=session.pk, is_available=False)
    services.session_leave(session_id=session.pk, user=other_gamer)
    assert waiters(session) == [waiter.pk] and counters(session) == (1, 1)
    services.session_update(actor=gamer, session_id=session.pk, is_available=True)
    assert waiters(session) == [] and attendees(session) == [gamer.pk, waiter.pk]


def test_a_deleted_attendee_frees_their_seat_for_the_first_waiter(gamer, other_gamer):
    session = hosted(gamer, 2)
    services.session_join(session_id=session.pk, user=other_gamer)
    waiter = gamer_factory("next")
    services.session_join_or_wait(session_id=session.pk, user=waiter)
    gamer_delete_self(gamer=other_gamer)
    assert attendees(session) == [gamer.pk, waiter.pk] and counters(session) == (2, 0)


def test_a_deleted_waiter_leaves_the_list(gamer):
    session = hosted(gamer, 1)
    waiter = gamer_factory("gone")
    services.session_join_or_wait(session_id=session.pk, user=waiter)
    gamer_delete_self(gamer=waiter)
    assert waiters(session) == [] and counters(session) == (1, 0)


def test_a_promoted_waiter_is_promoted_once_per_place_in_the_list(gamer, other_gamer):
    """Promoted, left, waited again, promoted again: two promotions, two notifications."""
    session = hosted(gamer, 2)
    services.session_join(session_id=session.pk, user=other_gamer)
    waiter = gamer_factory("yo-yo")
    services.session_join_or_wait(session_id=session.pk, user=waiter)
    services.session_leave(session_id=session.pk, user=other_gamer)
    services.session_leave(session_id=session.pk, user=waiter)
    services.session_join(session_id=session.pk, user=other_gamer)
    services.session_join_or_wait(session_id=session.pk, user=waiter)
    services.session_leave(session_id=session.pk, user=other_gamer)
    assert Notification.objects.filter(user=waiter, kind=NotificationKind.WAITLIST_PROMOTION).count() == 2
    assert attendees(session) == [gamer.pk, waiter.pk]


def test_wait_cancel_of_a_missing_session_is_not_found(gamer):
    with pytest.raises(NotFound) as missing:
        services.session_wait_cancel(session_id=10**9, user=gamer)
    assert missing.value.code == "not_found"
