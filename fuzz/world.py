"""The data every fuzzed request runs against: a few accounts of each role and one object of every
kind, so generated ids can point at real rows (most random ids would only ever meet a 404)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from common.roles import Role
from conftest import make_gamer


@dataclass
class World:
    users: dict[str, Any]
    tokens: dict[str, str]
    ids: dict[str, list[Any]] = field(default_factory=dict)


def world_build() -> World:
    from events.tests.factories import EventFactory, sell
    from gamers.models import Gamer, Notification, NotificationKind
    from gamers.services import token_pair_for
    from leaderboard.models import Score
    from leaderboard.reports import aggregates_rebuild
    from leaderboard.tests.factories import ensure_games
    from sessions_app.counters import counters_recount
    from sessions_app.models import WaitingEntry
    from sessions_app.tests.factories import AttendanceFactory, GameSessionFactory, LikeFactory, ReviewFactory
    from trivia.models import EntryReport, EntryReporter
    from trivia.tests.factories import make_entry

    users = {
        "gamer": make_gamer("fuzz gamer"),
        "other": make_gamer("fuzz other"),
        "moderator": make_gamer("fuzz moderator", role=Role.MODERATOR),
        "admin": make_gamer("fuzz admin", role=Role.ADMIN),
        "admin2": make_gamer("fuzz admin two", role=Role.ADMIN),
    }
    # Seen just now: authentication then skips its once-a-minute `last_seen` write.
    Gamer.objects.update(last_seen=timezone.now())
    gamer, other = users["gamer"], users["other"]
    tokens = {name: token_pair_for(user)["access"] for name, user in users.items()}

    mine = GameSessionFactory.create(organizer=gamer, max_attendees=3)
    theirs = GameSessionFactory.create(organizer=other, max_attendees=2)
    past = GameSessionFactory.create(organizer=other, starts_at=timezone.now() - timedelta(days=1))
    AttendanceFactory.create(session=mine, gamer=other)
    AttendanceFactory.create(session=theirs, gamer=gamer)
    # A full session the gamer waits for: `DELETE .../wait` and `{"wait": true}` meet real rows.
    full = GameSessionFactory.create(organizer=other, max_attendees=1)
    AttendanceFactory.create(session=full, gamer=other)
    WaitingEntry.objects.create(session=full, gamer=gamer)
    counters_recount(session_ids=[full.pk])
    LikeFactory.create(session=theirs, gamer=gamer)
    reviews = [
        ReviewFactory.create(session=theirs, author=gamer),
        ReviewFactory.create(session=mine, author=other),
    ]

    my_event = EventFactory.create(organizer=gamer, tickets_total=5, tickets_available=5)
    their_event = EventFactory.create(organizer=other, tickets_total=3, tickets_available=3)
    sold_out = EventFactory.create(organizer=other, tickets_total=1, tickets_available=1)
    their_order = sell(my_event, other, 2)
    my_order = sell(sold_out, gamer, 1)

    entries = [make_entry("Tunis"), make_entry("Carthage", banned=True)]
    report = EntryReport.objects.create(entry=entries[0])
    EntryReporter.objects.create(report=report, gamer=gamer)
    banned_report = EntryReport.objects.create(entry=entries[1])
    EntryReporter.objects.create(report=banned_report, gamer=other)

    games = ensure_games()
    # The world is built inside the module's rolled-back transaction, where score_submit refuses
    # to run (it commits on its own, then moves the boards): the rows and their report
    # aggregates go in directly, and the `world` fixture rebuilds the boards from them per test.
    chess = 1500 if games["chess"].max_score >= 1500 else games["chess"].max_score
    Score.objects.bulk_create(
        [
            Score(user=gamer, game=games["valorant"], value=100),
            Score(user=other, game=games["valorant"], value=200),
            Score(user=other, game=games["chess"], value=chess),
        ]
    )
    aggregates_rebuild(user_ids=[gamer.pk, other.pk])

    # A read and an unread notification for the gamer and one for someone else, so the list has
    # rows (and `?unread=`) to show and generated read marks meet ids of both owners.
    Notification.objects.bulk_create(
        [
            Notification(user=gamer, kind=NotificationKind.SESSION_REMINDER, title="Starts soon", url="/sessions"),
            Notification(user=gamer, kind=NotificationKind.LEADERBOARD_PRIZE, title="Prize", read_at=timezone.now()),
            Notification(user=other, kind=NotificationKind.TICKET_CONFIRMATION, title="Your tickets", body="AB12"),
        ]
    )

    # User reports: an open one and a dismissed one (moderation/reports/{id}/... meet real rows).
    from moderation.models import Report, ReportVote

    open_report = Report.objects.create(target_type="session", target_id=mine.pk, target_label="fuzz", report_count=1)
    ReportVote.objects.create(report=open_report, reporter=other, reason="spam")
    closed_report = Report.objects.create(
        target_type="gamer", target_id=other.pk, target_label="fuzz other", report_count=1, status="dismissed"
    )
    ReportVote.objects.create(report=closed_report, reporter=gamer)

    return World(
        users=users,
        tokens=tokens,
        ids={
            "gamers": [user.pk for user in users.values()],
            "sessions": [mine.pk, theirs.pk, past.pk, full.pk],
            "reviews": [review.pk for review in reviews],
            "events": [my_event.pk, their_event.pk, sold_out.pk],
            "me/tickets": [my_order.pk, their_order.pk],
            "trivia/entries": [entry.pk for entry in entries],
            "trivia/reports": [report.pk, banned_report.pk],
            "moderation/reports": [open_report.pk, closed_report.pk],
            "leaderboard": ["all", *games],
            "auth/availability": [user.username for user in users.values()],
        },
    )
