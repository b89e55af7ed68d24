"""Start reminders: every attendee, organizer included, once, SESSION_REMINDER_MINUTES before
the start (SPEC §3 "More for sessions"). The clock is frozen and moved by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from common.clock import _ticks, run_ticks_once
from gamers.models import Notification, NotificationKind
from sessions_app import services
from sessions_app.models import GameSession
from sessions_app.tests.factories import gamer_factory

pytestmark = pytest.mark.django_db

T0 = datetime(2031, 5, 14, 18, 0, tzinfo=UTC)


def host_at(host: Any, starts_at: datetime, guests: list[Any], seats: int = 10) -> GameSession:
    session = services.session_create(
        organizer=host, title="Cup night", game="FIFA", platform="playstation", starts_at=starts_at, max_attendees=seats
    )
    for guest in guests:
        services.session_join(session_id=session.pk, user=guest)
    return session


def reminded(session: GameSession | None = None) -> list[int]:
    rows = Notification.objects.filter(kind=NotificationKind.SESSION_REMINDER)
    if session is not None:
        rows = rows.filter(url=f"/sessions/{session.pk}")
    return sorted(rows.values_list("user_id", flat=True))


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_the_tick_is_registered():
    assert _ticks["sessions.reminders"] is services.reminders_send_due
    assert _ticks["sessions.trend"] is services.trend_expire


def test_every_attendee_and_the_organizer_get_one_reminder_an_hour_before(clock, gamer):
    guests = [gamer_factory("guest") for _ in range(3)]
    session = host_at(gamer, T0 + timedelta(hours=3), guests)
    clock.move_to(T0 + timedelta(hours=2, minutes=-1))  # 61 minutes before: not yet
    assert services.reminders_send_due() == 0
    assert reminded() == []

    clock.move_to(T0 + timedelta(hours=2))  # exactly 60 minutes before
    assert services.reminders_send_due() == 1
    assert reminded(session) == sorted([gamer.pk, *(g.pk for g in guests)])
    note = Notification.objects.filter(kind=NotificationKind.SESSION_REMINDER).first()
    assert note is not None and "Cup night" in note.title and note.key.startswith(f"session:{session.pk}:reminder:")

    clock.move_to(T0 + timedelta(hours=2, minutes=30))
    run_ticks_once()  # the registered tick, again: nothing more
    assert services.reminders_send_due() == 0
    assert len(reminded()) == 4
    assert GameSession.objects.get(pk=session.pk).reminders_sent_at == T0 + timedelta(hours=2)


def test_a_late_tick_still_sends_once_before_the_start(clock, gamer, other_gamer):
    session = host_at(gamer, T0 + timedelta(hours=3), [other_gamer])
    clock.move_to(T0 + timedelta(hours=2, minutes=55))  # the beat was down for 55 minutes
    assert services.reminders_send_due() == 1
    assert services.reminders_send_due() == 0
    assert reminded(session) == sorted([gamer.pk, other_gamer.pk])


def test_no_reminder_once_the_session_has_started(clock, gamer, other_gamer):
    host_at(gamer, T0 + timedelta(hours=3), [other_gamer])
    clock.move_to(T0 + timedelta(hours=3))  # the beat comes back at the start
    assert services.reminders_send_due() == 0
    clock.move_to(T0 + timedelta(hours=5))
    assert services.reminders_send_due() == 0
    assert reminded() == []


def test_the_lead_time_is_a_setting(clock, settings, gamer):
    settings.SESSION_REMINDER_MINUTES = 5
    host_at(gamer, T0 + timedelta(hours=1), [])
    clock.move_to(T0 + timedelta(minutes=54))
    assert services.reminders_send_due() == 0
    clock.move_to(T0 + timedelta(minutes=55))
    assert services.reminders_send_due() == 1
    assert reminded() == [gamer.pk]


def test_a_gamer_joining_after_the_reminders_gets_theirs_at_once(clock, gamer, other_gamer):
    session = host_at(gamer, T0 + timedelta(hours=3), [])
    clock.move_to(T0 + timedelta(hours=2, minutes=10))
    services.reminders_send_due()
    services.session_join(session_id=session.pk, user=other_gamer)
    assert reminded(session) == sorted([gamer.pk, other_gamer.pk])
    services.session_leave(session_id=session.pk, user=other_gamer)
    services.session_join(session_id=session.pk, user=other_gamer)  # back again: not twice
    assert reminded(session) == sorted([gamer.pk, other_gamer.pk])


def test_moving_the_start_gets_a_new_reminder(clock, gamer):
    session = host_at(gamer, T0 + timedelta(hours=3), [])
    clock.move_to(T0 + timedelta(hours=2, minutes=30))
    services.reminders_send_due()
    services.session_update(actor=gamer, session_id=session.pk, starts_at=T0 + timedelta(days=1))
    assert services.reminders_send_due() == 0
    clock.move_to(T0 + timedelta(days=1, minutes=-30))
    assert services.reminders_send_due() == 1
    assert reminded(session) == [gamer.pk, gamer.pk]
    assert Notification.objects.filter(user=gamer).values("key").distinct().count() == 2


def test_each_session_is_reminded_on_its_own_schedule(clock, gamer, other_gamer):
    early = host_at(gamer, T0 + timedelta(hours=2), [other_gamer])
    late = host_at(other_gamer, T0 + timedelta(hours=4), [gamer])
    clock.move_to(T0 + timedelta(hours=1, minutes=30))
    assert services.reminders_send_due() == 1
    assert reminded(early) == sorted([gamer.pk, other_gamer.pk]) and reminded(late) == []
    clock.move_to(T0 + timedelta(hours=3, minutes=30))
    assert services.reminders_send_due() == 1
    assert reminded(late) == sorted([gamer.pk, other_gamer.pk])
