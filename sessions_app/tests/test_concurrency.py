"""Race tests: real threads against PostgreSQL (SPEC §3 invariant)."""

import random
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from common.errors import Conflict
from gamers.models import Notification, NotificationKind
from gamers.services import gamer_delete_self
from sessions_app import selectors, services
from sessions_app.counters import COUNTERS
from sessions_app.models import Attendance, GameSession, Like, Review, WaitingEntry
from sessions_app.tests.factories import GameSessionFactory, gamer_factory
from testsupport.testing import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_gamers_racing_for_ten_seats_give_exactly_ten_attendances():
    session = GameSessionFactory(max_attendees=10)
    gamers = [gamer_factory("racer") for _ in range(50)]

    results = run_in_threads(50, lambda i: services.session_join(session_id=session.pk, user=gamers[i]))

    joined = [r for r in results if isinstance(r, services.AttendanceResult)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(joined) == 10, results
    assert len(refused) == 40 and all(r.code == "session_full" for r in refused)
    assert sorted(r.attendee_count for r in joined) == list(range(1, 11))
    rows = Attendance.objects.filter(session=session).count()
    assert rows == 10
    assert selectors.session_detail(session_id=session.pk).attendee_count == rows
    shown = selectors.session_detail(session_id=session.pk)
    assert shown.is_full is True


def test_one_gamer_joining_from_ten_threads_attends_once():
    session = GameSessionFactory(max_attendees=100)
    gamer = gamer_factory("eager")

    results = run_in_threads(10, lambda i: services.session_join(session_id=session.pk, user=gamer))

    assert sum(isinstance(r, services.AttendanceResult) for r in results) == 1, results
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 9 and all(r.code == "already_joined" for r in refused)
    assert Attendance.objects.filter(session=session, gamer=gamer).count() == 1


def test_joins_and_leaves_racing_keep_the_count_equal_to_the_rows_and_within_capacity():
    session = GameSessionFactory(max_attendees=5)
    gamers = [gamer_factory("churn") for _ in range(12)]
    for g in gamers[:5]:
        services.session_join(session_id=session.pk, user=g)

    def churn(i: int):
        # the first five leave while seven newcomers try to join
        if i < 5:
            return services.session_leave(session_id=session.pk, user=gamers[i])
        return services.session_join(session_id=session.pk, user=gamers[i])

    results = run_in_threads(12, churn)
    rows = Attendance.objects.filter(session=session).count()
    assert rows <= 5
    assert selectors.session_detail(session_id=session.pk).attendee_count == rows
    joins = sum(isinstance(r, services.AttendanceResult) for r in results[5:])
    assert rows == joins  # every leave succeeded, and every successful join is a row
    assert all(isinstance(r, services.AttendanceResult) for r in results[:5])


def test_shrinking_capacity_while_gamers_join_never_leaves_more_attendees_than_seats():
    host = gamer_factory("host")
    session = GameSessionFactory(organizer=host, max_attendees=20)
    gamers = [gamer_factory("joiner") for _ in range(15)]

    def act(i: int):
        if i == 0:
            return services.session_update(actor=host, session_id=session.pk, max_attendees=3)
        return services.session_join(session_id=session.pk, user=gamers[i - 1])

    results = run_in_threads(16, act)
    session.refresh_from_db()
    rows = Attendance.objects.filter(session=session).count()
    assert rows <= session.max_attendees, (rows, session.max_attendees, results[0])


def test_likes_toggled_from_many_threads_end_consistent():
    session = GameSessionFactory()
    gamers = [gamer_factory("fan") for _ in range(8)]

    def toggle(i: int):
        gamer = gamers[i % len(gamers)]
        outcomes = []
        for step in range(6):
            try:
                if (i + step) % 2 == 0:
                    services.session_like(session_id=session.pk, user=gamer)
                    outcomes.append("liked")
                else:
                    services.session_unlike(session_id=session.pk, user=gamer)
                    outcomes.append("unliked")
            except Exception as exc:  # noqa: BLE001
                outcomes.append(getattr(exc, "code", repr(exc)))
        return outcomes

    results = run_in_threads(32, toggle)

    codes = {code for outcome in results for code in outcome}
    assert codes <= {"liked", "unliked", "already_liked", "not_liked"}, codes
    # Per gamer: each successful like adds one row, each successful unlike removes one, and a
    # gamer ends with 0 or 1 rows: so (#liked - #unliked) is exactly that gamer's final row count.
    for g_index, gamer in enumerate(gamers):
        outcomes = [c for i, outcome in enumerate(results) if i % len(gamers) == g_index for c in outcome]
        final = Like.objects.filter(session=session, gamer=gamer).count()
        assert final in (0, 1)
        assert outcomes.count("liked") - outcomes.count("unliked") == final
    shown = selectors.session_detail(session_id=session.pk, user=gamers[0])
    assert shown.like_count == Like.objects.filter(session=session).count()
    assert shown.liked_by_me == Like.objects.filter(session=session, gamer=gamers[0]).exists()


# --- counters under concurrency ---------------------------------------------------------


def _counters(session_id: int) -> dict[str, Any]:
    return GameSession.objects.filter(pk=session_id).values(*COUNTERS).get()


def _fresh(session_id: int) -> dict[str, int]:
    reviews = Review.objects.filter(session_id=session_id)
    return {
        "attendee_count": Attendance.objects.filter(session_id=session_id).count(),
        "like_count": Like.objects.filter(session_id=session_id).count(),
        "review_count": reviews.count(),
        "rating_sum": reviews.aggregate(s=Sum("rating"))["s"] or 0,
        "waiting_count": WaitingEntry.objects.filter(session_id=session_id).count(),
        "trend_score": Like.objects.filter(session_id=session_id, trend_counted=True).count()
        + Attendance.objects.filter(session_id=session_id, trend_counted=True).count(),
    }


def test_forty_gamers_liking_at_once_count_forty():
    session = GameSessionFactory()
    gamers = [gamer_factory("liker") for _ in range(40)]

    results = run_in_threads(40, lambda i: services.session_like(session_id=session.pk, user=gamers[i]))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert _counters(session.pk)["like_count"] == 40 == Like.objects.filter(session=session).count()


def test_likes_unlikes_joins_leaves_and_reviews_at_once_leave_counters_equal_to_rows():
    sessions = [GameSessionFactory(max_attendees=12) for _ in range(2)]
    gamers = [gamer_factory("busy") for _ in range(24)]
    # Half of them already attend, like and reviewed the first session.
    for gamer in gamers[:12:2]:
        services.session_join(session_id=sessions[0].pk, user=gamer)
        services.session_like(session_id=sessions[0].pk, user=gamer)
        services.review_create(session_id=sessions[0].pk, user=gamer, rating=3)

    def act(i: int):
        gamer = gamers[i]
        done = []
        for step in range(4):
            session = sessions[(i + step) % 2]
            try:
                if i % 2 == 0:  # the ones who were in: undo and redo
                    services.session_unlike(session_id=session.pk, user=gamer)
                    services.review_delete_mine(session_id=session.pk, user=gamer)
                    services.session_leave(session_id=session.pk, user=gamer)
                    done.append("out")
                else:
                    services.session_like(session_id=session.pk, user=gamer)
                    services.session_join(session_id=session.pk, user=gamer)
                    services.review_create(session_id=session.pk, user=gamer, rating=1 + i % 5)
                    services.review_update_mine(session_id=session.pk, user=gamer, rating=5)
                    done.append("in")
            except Exception as exc:  # noqa: BLE001 - refusals (full, not liked...) are part of the race
                done.append(getattr(exc, "code", repr(exc)))
        return done

    results = run_in_threads(24, act)

    outcomes = {o for r in results for o in r}
    assert outcomes <= {
        "in",
        "out",
        "session_full",
        "not_liked",
        "already_liked",
        "already_joined",
        "not_reviewed",
        "already_reviewed",
        "not_an_attendee",
        "not_joined",
    }, outcomes
    for session in sessions:
        assert _counters(session.pk) == _fresh(session.pk)
        assert _counters(session.pk)["attendee_count"] <= 12


def test_accounts_deleted_while_others_like_and_join_leave_exact_counters():
    sessions = [GameSessionFactory(max_attendees=50) for _ in range(3)]
    leavers = [gamer_factory("leaving") for _ in range(6)]
    stayers = [gamer_factory("staying") for _ in range(18)]
    for gamer in leavers:
        for session in sessions:
            services.session_join(session_id=session.pk, user=gamer)
            services.session_like(session_id=session.pk, user=gamer)
            services.review_create(session_id=session.pk, user=gamer, rating=4)

    def act(i: int):
        if i < len(leavers):
            return gamer_delete_self(gamer=leavers[i])
        gamer = stayers[i - len(leavers)]
        for session in sessions:
            services.session_like(session_id=session.pk, user=gamer)
            services.session_join(session_id=session.pk, user=gamer)
        return "ok"

    results = run_in_threads(len(leavers) + len(stayers), act)

    assert not [r for r in results if isinstance(r, Exception)], results
    for session in sessions:
        assert _counters(session.pk) == _fresh(session.pk)
        assert _counters(session.pk) == {
            "attendee_count": 18,
            "like_count": 18,
            "review_count": 0,
            "rating_sum": 0,
            "waiting_count": 0,
            "trend_score": 36,
        }


# --- waiting list, reminders, trend window -------------------------------------------------


def test_waits_joins_leaves_and_capacity_changes_racing_keep_the_waiting_list_invariants():
    """Attendees never exceed the seats, nobody waits and attends at once, the counters equal the
    rows, and a seat never stays free while someone waits (promotion is in the same transaction
    as the freed seat), whatever mix of joins, waits, leaves, wait cancels and capacity changes."""
    host = gamer_factory("host")
    session = services.session_create(
        organizer=host,
        title="Finals",
        game="Chess",
        platform="pc",
        starts_at=timezone.now() + timedelta(days=1),
        max_attendees=4,
    )
    gamers = [gamer_factory("crowd") for _ in range(24)]

    def act(i: int) -> list[str]:
        rng = random.Random(i)
        done = []
        for _ in range(8):
            try:
                if i == 0:  # the organizer keeps changing the capacity
                    services.session_update(actor=host, session_id=session.pk, max_attendees=rng.randint(2, 8))
                    done.append("capacity")
                    continue
                gamer = gamers[i - 1]
                move = rng.choice(["wait", "wait", "join", "leave", "cancel"])
                if move == "wait":
                    result = services.session_join_or_wait(session_id=session.pk, user=gamer)
                    done.append("waiting" if isinstance(result, services.WaitResult) else "joined")
                elif move == "join":
                    services.session_join(session_id=session.pk, user=gamer)
                    done.append("joined")
                elif move == "leave":
                    services.session_leave(session_id=session.pk, user=gamer)
                    done.append("left")
                else:
                    services.session_wait_cancel(session_id=session.pk, user=gamer)
                    done.append("cancelled")
            except ValidationError:
                done.append("capacity_below_attendees")
            except Exception as exc:  # noqa: BLE001 - refusals are part of the race
                done.append(getattr(exc, "code", repr(exc)))
        return done

    results = run_in_threads(25, act)

    outcomes = {o for r in results for o in r}
    assert outcomes <= {
        "capacity",
        "capacity_below_attendees",
        "waiting",
        "joined",
        "left",
        "cancelled",
        "session_full",
        "already_joined",
        "already_waiting",
        "not_joined",
        "not_waiting",
    }, outcomes
    assert "waiting" in outcomes and "left" in outcomes  # the race did exercise the list
    session.refresh_from_db()
    attending = set(Attendance.objects.filter(session=session).values_list("gamer_id", flat=True))
    waiting = set(WaitingEntry.objects.filter(session=session).values_list("gamer_id", flat=True))
    assert len(attending) <= session.max_attendees
    assert not attending & waiting
    assert host.pk in attending
    assert _counters(session.pk) == _fresh(session.pk)
    assert not waiting or len(attending) == session.max_attendees  # no free seat while someone waits
    promoted = Notification.objects.filter(kind=NotificationKind.WAITLIST_PROMOTION).count()
    assert promoted >= 1
    assert (
        promoted
        == Notification.objects.filter(kind=NotificationKind.WAITLIST_PROMOTION).values("key").distinct().count()
    )


def test_reminder_ticks_racing_send_one_reminder_per_attendee():
    hosts = [gamer_factory("host") for _ in range(10)]
    guests = [gamer_factory("guest") for _ in range(6)]
    sessions = []
    for host in hosts:
        session = services.session_create(
            organizer=host,
            title="Soon",
            game="FIFA",
            platform="pc",
            starts_at=timezone.now() + timedelta(minutes=30),
            max_attendees=10,
        )
        for guest in guests:
            services.session_join(session_id=session.pk, user=guest)
        sessions.append(session)

    results = run_in_threads(6, lambda i: services.reminders_send_due())

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == len(sessions)  # each session claimed by exactly one tick
    reminders = Notification.objects.filter(kind=NotificationKind.SESSION_REMINDER)
    assert reminders.count() == len(sessions) * (1 + len(guests))
    for session in sessions:
        mine = reminders.filter(url=f"/sessions/{session.pk}")
        assert sorted(mine.values_list("user_id", flat=True)) == sorted([session.organizer_id, *(g.pk for g in guests)])
    assert services.reminders_send_due() == 0


def test_trend_expiry_racing_unlikes_and_leaves_takes_each_row_off_once():
    sessions = [GameSessionFactory(max_attendees=30) for _ in range(3)]
    fans = [gamer_factory("fan") for _ in range(12)]
    for session in sessions:
        for fan in fans:
            services.session_like(session_id=session.pk, user=fan)
            services.session_join(session_id=session.pk, user=fan)
    week_ago = timezone.now() - timedelta(days=8)
    Like.objects.filter(gamer__in=fans[:8]).update(created_at=week_ago)  # these leave the window
    Attendance.objects.filter(gamer__in=fans[:8]).update(joined_at=week_ago)

    def act(i: int):
        if i < 4:
            return services.trend_expire(batch=1)  # one session a call: the ticks interleave
        fan = fans[i - 4]
        for session in sessions:
            services.session_unlike(session_id=session.pk, user=fan)
            services.session_leave(session_id=session.pk, user=fan)
        return "out"

    results = run_in_threads(12, act)

    assert not [r for r in results if isinstance(r, Exception)], results
    while services.trend_expire():
        pass
    for session in sessions:
        assert _counters(session.pk) == _fresh(session.pk)
        # fans 0-7 are out or aged out, 8-11 stay and are recent: one like and one join each
        assert _counters(session.pk)["trend_score"] == 2 * 4
