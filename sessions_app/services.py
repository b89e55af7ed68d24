"""Session writes (SPEC §3). Each service owns its transaction.

Concurrency: every service that adds or removes a session's attendances, likes or reviews,
and every change to its capacity, first takes the session's row lock (`SELECT ... FOR
UPDATE`, or for a like the counter `UPDATE` itself), then reads, writes the rows and moves the
session's counters (`sessions_app.counters`) in the same transaction. Writers of one session
are therefore serialised: the attendee count a join reads is the one it changes, so it can
never pass `max_attendees`, and every counter moves exactly with its rows. The one lock order
is: session row, then its attendance/like/review rows (an account deletion locks all its
sessions, in id order, first). The unique constraints on (session, gamer) back up the "at
most once" rules: a duplicate insert raises IntegrityError, which becomes the same 409 as the
pre-check (and rolls back the counter). On SQLite `FOR UPDATE` is a no-op, but the settings
open every transaction with BEGIN IMMEDIATE, which serialises writers.

The organizer attends their own session from its creation (an attendance row and the counter,
in the creating transaction) and takes one of its `max_attendees` seats; they can't leave it
(409 `organizer_cannot_leave`: deleting the session is how a host bows out).

Waiting list: a join with `wait` on a full session adds a `WaitingEntry` instead. Every change
that can free a seat (a leave, a raised capacity, a session switched back on, an account
deletion) calls `_promote_waiters` under the same row lock, which moves the first waiters to
attendances in that transaction and notifies them (`waitlist_promotion`, after commit). Joins
and promotions delete the gamer's waiting entry, so nobody waits and attends at once.

Timed steps (registered as clock ticks in `apps.py`), both idempotent: `trend_expire` ages
likes and joins out of `trend_score` (a flag flipped under the session's lock, so a row is
taken off once), `reminders_send_due` claims due sessions by compare-and-set on
`reminders_sent_at` and creates the reminders with per-session keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from audit.services import audit_record
from common.counts import count_changed
from common.errors import Conflict, NotFound, PermissionDenied
from common.roles import Cap, can, is_owner_or_can
from gamers.models import NotificationKind
from gamers.services import NotificationRow, notifications_create_many
from sessions_app import rules
from sessions_app.counters import counters_add, counters_take_off
from sessions_app.models import Attendance, GameSession, Like, Review, WaitingEntry

# Fields an organizer may set (create and update).
EDITABLE_FIELDS = ("title", "game", "description", "platform", "starts_at", "max_attendees", "is_available")

_DETAILS = {
    rules.ALREADY_JOINED: gettext_lazy("You already joined this session."),
    rules.SESSION_FULL: gettext_lazy("This session is full."),
    rules.SESSION_UNAVAILABLE: gettext_lazy("This session can't be joined: it is switched off or has started."),
    rules.ALREADY_WAITING: gettext_lazy("You are already on this session's waiting list."),
}


@dataclass(frozen=True)
class AttendanceResult:
    """What join and leave return: the session and its attendee count right after the change."""

    session: GameSession
    attendee_count: int
    detail: str


@dataclass(frozen=True)
class WaitResult:
    """What a join with `wait` on a full session returns: the place on the waiting list (1 = next)."""

    session: GameSession
    position: int
    detail: str


def _not_found() -> NotFound:
    return NotFound(gettext("No session with that id."), code="not_found")


def _locked_session(session_id: int) -> GameSession:
    """The session, row-locked until the surrounding transaction ends. Call inside atomic()."""
    session = GameSession.objects.select_for_update().filter(pk=session_id).first()
    if session is None:
        raise _not_found()
    return session


def _validated(fields: dict[str, Any]) -> dict[str, Any]:
    """Trimmed title and game; 400 (field -> messages) for anything out of SPEC §3's ranges."""
    cleaned = dict(fields)
    for name in ("title", "game"):
        if isinstance(cleaned.get(name), str):
            cleaned[name] = cleaned[name].strip()
    problems = rules.session_field_problems(cleaned)
    if problems:
        raise ValidationError(problems)
    return cleaned


def session_create(
    *,
    organizer: Any,
    title: str,
    game: str,
    platform: str,
    starts_at: datetime,
    max_attendees: int,
    description: str = "",
    is_available: bool = True,
) -> GameSession:
    """Host a session. `starts_at` must be in the future (400 otherwise). The organizer attends
    it from the start, in the same transaction (one of the `max_attendees` seats)."""
    fields = _validated(
        {
            "title": title,
            "game": game,
            "description": description,
            "platform": platform,
            "starts_at": starts_at,
            "max_attendees": max_attendees,
            "is_available": is_available,
        }
    )
    problem = rules.start_time_problem(starts_at=starts_at, now=timezone.now())
    if problem:
        raise ValidationError({"starts_at": [gettext(problem)]})
    with transaction.atomic():
        session = GameSession.objects.create(organizer=organizer, **fields)
        # The organizer attends (and takes a seat); hosting isn't a join, so no trend point.
        Attendance.objects.create(session=session, gamer=organizer, trend_counted=False)
        counters_add(session.pk, attendees=1)
    session.attendee_count = 1
    return session


@transaction.atomic
def session_update(*, actor: Any, session_id: int, **changes: Any) -> GameSession:
    """Change a session's editable fields (organizer or admin; 403 `not_organizer` otherwise).

    A new `starts_at` must be in the future (an unchanged one may be past, so a started
    session can still be switched off). `max_attendees` can't go below the current attendee
    count: that is checked under the session's row lock, which joins also take, so no join
    can slip in between the check and the write. The back office calls it too, with the same
    role check (a moderator's edit is refused there as here).
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    session = _locked_session(session_id)
    if not is_owner_or_can(actor, session.organizer_id, Cap.SESSIONS_EDIT_ANY):
        raise PermissionDenied(gettext("Only the organizer or an admin can edit this session."), code="not_organizer")
    changes = _validated(changes)
    errors: dict[str, list[str]] = {}
    if "starts_at" in changes and changes["starts_at"] != session.starts_at:
        problem = rules.start_time_problem(starts_at=changes["starts_at"], now=timezone.now())
        if problem:
            errors["starts_at"] = [gettext(problem)]
    if "max_attendees" in changes:
        problem = rules.capacity_problem(max_attendees=changes["max_attendees"], attendee_count=session.attendee_count)
        if problem:
            errors["max_attendees"] = [problem]
    if errors:
        raise ValidationError(errors)
    fields = [*changes, "updated_at"]
    if "starts_at" in changes and changes["starts_at"] != session.starts_at and session.reminders_sent_at:
        session.reminders_sent_at = None  # a new start time gets its own reminder
        fields.append("reminders_sent_at")
    for name, value in changes.items():
        setattr(session, name, value)
    session.save(update_fields=fields)
    # More seats, or switched back on: the first waiters get them now.
    _promote_waiters(session)
    return session


@transaction.atomic
def session_delete(*, actor: Any, session_id: int, reason: str = "") -> None:
    """Remove a session with its attendances, likes and reviews (organizer, moderator, admin).

    When the actor isn't the organizer, the removal is a moderation action and is audited.
    """
    session = _locked_session(session_id)
    if not is_owner_or_can(actor, session.organizer_id, Cap.SESSIONS_MODERATE):
        raise PermissionDenied(
            gettext("Only the organizer or a moderator can delete this session."), code="not_organizer"
        )
    if session.organizer_id != getattr(actor, "pk", None):
        audit_record(
            actor=actor,
            action="delete_session",
            target_type="session",
            target_id=session.pk,
            reason=reason or f"{session.title} ({session.game})",
        )
    session.delete()


def session_join(*, session_id: int, user: Any) -> AttendanceResult:
    """Join a session. 409 `already_joined`, `session_unavailable` (switched off or started),
    `session_full`; 404 when there is no such session. (The bot calls this one.)"""
    result = _join(session_id=session_id, user=user, wait=False)
    assert isinstance(result, AttendanceResult)  # without `wait` a full session is a 409
    return result


def session_join_or_wait(*, session_id: int, user: Any) -> AttendanceResult | WaitResult:
    """Join a session, or, when it is full, take a place on its waiting list (`WaitResult`).
    409 `already_joined`, `session_unavailable`, `already_waiting`; 404 without the session."""
    return _join(session_id=session_id, user=user, wait=True)


@transaction.atomic
def _join(*, session_id: int, user: Any, wait: bool) -> AttendanceResult | WaitResult:
    """Holds the session's row lock from reading its counters to the insert and the counters'
    increments (see the module docstring)."""
    session = _locked_session(session_id)
    count = session.attendee_count
    waiting = WaitingEntry.objects.filter(session_id=session.pk, gamer_id=user.pk)
    outcome = rules.join_outcome(
        already_joined=Attendance.objects.filter(session_id=session.pk, gamer_id=user.pk).exists(),
        already_waiting=wait and waiting.exists(),
        wait=wait,
        is_available=session.is_available,
        starts_at=session.starts_at,
        now=timezone.now(),
        attendee_count=count,
        max_attendees=session.max_attendees,
    )
    if outcome == rules.WAIT:
        WaitingEntry.objects.create(session=session, gamer=user)
        counters_add(session.pk, waiting=1)
        session.waiting_count += 1
        detail = gettext("%(title)s is full: you are number %(position)s on its waiting list.") % {
            "title": session.title,
            "position": session.waiting_count,
        }
        return WaitResult(session=session, position=session.waiting_count, detail=detail)
    if outcome != rules.JOIN:
        extra: dict[str, Any] = {"attendee_count": count}
        if outcome == rules.ALREADY_WAITING:
            extra["position"] = _waiting_position(session.pk, user.pk)
        raise Conflict(_DETAILS[outcome], code=outcome, extra=extra)
    try:
        with transaction.atomic():
            Attendance.objects.create(session=session, gamer=user)
    except IntegrityError as exc:
        # Only reachable without the row lock's protection (a writer that skipped the service).
        raise Conflict(_DETAILS[rules.ALREADY_JOINED], code=rules.ALREADY_JOINED) from exc
    was_waiting, _ = waiting.delete()  # a waiter who finds a free seat joins and stops waiting
    counters_add(session.pk, attendees=1, trend=1, waiting=-was_waiting)
    session.attendee_count = count + 1
    _remind_latecomers(session, [user.pk])
    return AttendanceResult(
        session=session, attendee_count=count + 1, detail=gettext("You joined %(title)s.") % {"title": session.title}
    )


def _waiting_position(session_id: int, gamer_id: int) -> int:
    """1-based place of a gamer on a session's waiting list (0 when not waiting)."""
    mine = WaitingEntry.objects.filter(session_id=session_id, gamer_id=gamer_id).values_list("pk", flat=True).first()
    if mine is None:
        return 0
    return WaitingEntry.objects.filter(session_id=session_id, pk__lte=mine).count()


@transaction.atomic
def session_leave(*, session_id: int, user: Any) -> AttendanceResult:
    """Leave a session. 409 `not_joined` when the gamer isn't attending, 409
    `organizer_cannot_leave` for the organizer; 404 when there is no such session. The freed
    seat goes to the first waiter in the same transaction.

    Also how staff remove an attendee (the admin's attendees inline)."""
    session = _locked_session(session_id)
    if session.organizer_id == user.pk:
        raise Conflict(
            gettext("The organizer attends their own session; delete the session instead."),
            code=rules.ORGANIZER_CANNOT_LEAVE,
            extra={"attendee_count": session.attendee_count},
        )
    row = Attendance.objects.filter(session_id=session.pk, gamer_id=user.pk).values_list("pk", "trend_counted").first()
    if row is None:
        raise Conflict(
            gettext("You are not attending this session."),
            code="not_joined",
            extra={"attendee_count": session.attendee_count},
        )
    Attendance.objects.filter(pk=row[0]).delete()
    counters_add(session.pk, attendees=-1, trend=-1 if row[1] else 0)
    session.attendee_count -= 1
    _promote_waiters(session)
    return AttendanceResult(
        session=session,
        attendee_count=session.attendee_count,
        detail=gettext("You left %(title)s.") % {"title": session.title},
    )


@transaction.atomic
def session_wait_cancel(*, session_id: int, user: Any) -> None:
    """Leave a session's waiting list. 404 `not_waiting` when not on it; 404 `not_found` without the session."""
    if not _lock_session_row(session_id):
        raise _not_found()
    deleted, _ = WaitingEntry.objects.filter(session_id=session_id, gamer_id=user.pk).delete()
    if not deleted:
        raise NotFound(gettext("You are not on this session's waiting list."), code="not_waiting")
    counters_add(session_id, waiting=-1)


def _promote_waiters(session: GameSession) -> list[int]:
    """Give the free seats of a session to its first waiters; returns their gamer ids.

    The caller holds the session's row lock and `session` carries its current counters (they
    are read again here, so a caller's local arithmetic can't matter). Each promoted waiter's
    entry becomes an attendance and a `waitlist_promotion` notification (keyed on the entry,
    so one per promotion), all in the caller's transaction.
    """
    fresh = GameSession.objects.filter(pk=session.pk).values("attendee_count", "waiting_count").first()
    if fresh is None:
        return []
    seats = rules.seats_to_offer(
        is_available=session.is_available,
        starts_at=session.starts_at,
        now=timezone.now(),
        attendee_count=fresh["attendee_count"],
        max_attendees=session.max_attendees,
        waiting=fresh["waiting_count"],
    )
    if not seats:
        return []
    entries = list(
        WaitingEntry.objects.filter(session_id=session.pk).order_by("pk").values_list("pk", "gamer_id")[:seats]
    )
    WaitingEntry.objects.filter(pk__in=[pk for pk, _ in entries]).delete()
    gamers = [gamer_id for _, gamer_id in entries]
    Attendance.objects.bulk_create([Attendance(session_id=session.pk, gamer_id=g) for g in gamers])
    counters_add(session.pk, attendees=len(gamers), trend=len(gamers), waiting=-len(gamers))
    session.attendee_count = fresh["attendee_count"] + len(gamers)
    session.waiting_count = fresh["waiting_count"] - len(gamers)
    notifications_create_many(
        NotificationRow(
            user_id=gamer_id,
            kind=NotificationKind.WAITLIST_PROMOTION,
            title=f"A seat freed up: you are in {session.title}",
            body=f"You were on the waiting list and now attend {session.title} ({session.game}).",
            url=f"/sessions/{session.pk}",
            key=f"session:{session.pk}:waitlist:{entry_id}",
        )
        for entry_id, gamer_id in entries
    )
    _remind_latecomers(session, gamers)
    return gamers


def _reminder_rows(session: Any, gamer_ids: Iterable[int]) -> list[NotificationRow]:
    """The start reminders of one session for these gamers; the key names the session and its
    start time, so a gamer gets one per start time whoever sends it and however often."""
    key = f"session:{session.pk}:reminder:{int(session.starts_at.timestamp())}"
    return [
        NotificationRow(
            user_id=gamer_id,
            kind=NotificationKind.SESSION_REMINDER,
            title=f"{session.title} starts soon",
            body=f"{session.title} ({session.game}) starts at {session.starts_at:%H:%M} UTC.",
            url=f"/sessions/{session.pk}",
            key=key,
        )
        for gamer_id in gamer_ids
    ]


def _remind_latecomers(session: GameSession, gamer_ids: Sequence[int]) -> None:
    """Gamers who join after a session's reminders went out (and before it starts) get theirs
    at once. Call under the session's row lock (which `reminders_send_due` takes to claim)."""
    if session.reminders_sent_at is not None and session.starts_at > timezone.now() and gamer_ids:
        notifications_create_many(_reminder_rows(session, gamer_ids))


def session_like(*, session_id: int, user: Any) -> Like:
    """Like a session. 409 `already_liked`; 404 when there is no such session.

    The counter's increment comes first: it takes the session's row lock (and finds out whether
    the session exists); a duplicate like then fails on the unique (session, gamer) constraint
    and the whole transaction, increment included, rolls back.
    """
    try:
        with transaction.atomic():
            if not counters_add(session_id, likes=1, trend=1):
                raise _not_found()
            return Like.objects.create(session_id=session_id, gamer=user)
    except IntegrityError as exc:
        if not GameSession.objects.filter(pk=session_id).exists():  # deleted meanwhile
            raise _not_found() from exc
        raise Conflict(gettext("You already like this session."), code="already_liked") from exc


@transaction.atomic
def session_unlike(*, session_id: int, user: Any) -> None:
    """Take a like back. 404 `not_liked` when there is none; 404 `not_found` without the session."""
    if not _lock_session_row(session_id):
        raise _not_found()
    row = Like.objects.filter(session_id=session_id, gamer_id=user.pk).values_list("pk", "trend_counted").first()
    if row is None:
        raise NotFound(gettext("You don't like this session."), code="not_liked")
    Like.objects.filter(pk=row[0]).delete()
    counters_add(session_id, likes=-1, trend=-1 if row[1] else 0)


def _lock_session_row(session_id: int) -> bool:
    """Take the session's row lock (call inside atomic()); False when there is no such session."""
    return bool(list(GameSession.objects.select_for_update().filter(pk=session_id).values_list("pk", flat=True)))


@transaction.atomic
def review_create(*, session_id: int, user: Any, rating: int, content: str = "") -> Review:
    """Review a session you attend. 403 `not_an_attendee`; 409 `already_reviewed`."""
    if not _lock_session_row(session_id):
        raise _not_found()
    if not Attendance.objects.filter(session_id=session_id, gamer_id=user.pk).exists():
        raise PermissionDenied(gettext("Only attendees can review this session."), code="not_an_attendee")
    problems = rules.review_field_problems(rating=rating, content=content)
    if problems:
        raise ValidationError(problems)
    review = Review(session_id=session_id, author=user, rating=rating, content=content)
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as exc:
        raise Conflict(gettext("You already reviewed this session."), code="already_reviewed") from exc
    counters_add(session_id, reviews=1, rating=rating)
    return review


def _my_review_locked(*, session_id: int, user: Any) -> Review:
    """The caller's review of the session, with the session's and the review's row locks."""
    if not _lock_session_row(session_id):
        raise _not_found()
    review = Review.objects.select_for_update().filter(session_id=session_id, author_id=user.pk).first()
    if review is None:
        raise NotFound(gettext("You have not reviewed this session."), code="not_reviewed")
    return review


@transaction.atomic
def review_update_mine(*, session_id: int, user: Any, rating: int | None = None, content: str | None = None) -> Review:
    """Change your own review of a session. 404 `not_reviewed` when you have none."""
    problems = rules.review_field_problems(rating=rating, content=content)
    if problems:
        raise ValidationError(problems)
    review = _my_review_locked(session_id=session_id, user=user)
    fields = []
    if rating is not None:
        counters_add(session_id, rating=rating - review.rating)
        review.rating = rating
        fields.append("rating")
    if content is not None:
        review.content = content
        fields.append("content")
    review.save(update_fields=[*fields, "updated_at"])
    return review


@transaction.atomic
def review_delete_mine(*, session_id: int, user: Any) -> None:
    """Delete your own review of a session. 404 `not_reviewed` when you have none."""
    review = _my_review_locked(session_id=session_id, user=user)
    review.delete()
    counters_add(session_id, reviews=-1, rating=-review.rating)


@transaction.atomic
def review_delete(*, actor: Any, review_id: int, reason: str = "") -> None:
    """A moderator or admin removes any review; audited as `delete_review`."""
    if not can(actor, Cap.REVIEWS_MODERATE):
        raise PermissionDenied(gettext("Only moderators and admins can remove reviews."), code="forbidden_role")
    session_id = Review.objects.filter(pk=review_id).values_list("session_id", flat=True).first()
    # Read again under the session's lock: the author may have deleted it meanwhile.
    locked = session_id is not None and _lock_session_row(session_id)
    review = Review.objects.select_for_update().filter(pk=review_id).first() if locked else None
    if review is None:
        raise NotFound(gettext("No review with that id."), code="not_found")
    audit_record(
        actor=actor,
        action="delete_review",
        target_type="review",
        target_id=review.pk,
        reason=reason or f"session {review.session_id}, by gamer {review.author_id}: {review.content[:200]}",
    )
    review.delete()
    counters_add(review.session_id, reviews=-1, rating=-review.rating)


@transaction.atomic
def gamer_participation_remove(*, gamer_id: int) -> None:
    """Delete a gamer's attendances, likes and reviews and take them off their sessions'
    counters, in the caller's transaction. Called by the `pre_delete` receiver of the gamer
    model (`receivers.py`), so an account deletion leaves every counter exact although its
    cascade runs no code of ours (see `sessions_app.counters`).

    Locks the sessions concerned in id order first (the order every other writer follows: the
    session, then its rows; and two account deletions lock shared sessions in the same order).
    Then each `DELETE ... RETURNING` reports exactly the rows it removed, and only those are
    taken off: a row the gamer removed meanwhile (a leave that committed first) is neither
    deleted nor counted twice. Their waiting entries go too, and the seats they held in other
    gamers' sessions go to those sessions' first waiters.
    """
    mine = {"gamer_id": gamer_id}
    touched = (
        GameSession.objects.select_for_update()
        .filter(
            Q(Exists(Attendance.objects.filter(session_id=OuterRef("pk"), **mine)))
            | Q(Exists(Like.objects.filter(session_id=OuterRef("pk"), **mine)))
            | Q(Exists(Review.objects.filter(session_id=OuterRef("pk"), author_id=gamer_id)))
            | Q(Exists(WaitingEntry.objects.filter(session_id=OuterRef("pk"), **mine)))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not list(touched):
        return
    attended = _delete_returning(Attendance, "gamer_id", gamer_id, "session_id", "trend_counted")
    liked = _delete_returning(Like, "gamer_id", gamer_id, "session_id", "trend_counted")
    reviewed = [(row[0], row[1]) for row in _delete_returning(Review, "author_id", gamer_id, "session_id", "rating")]
    waited = [row[0] for row in _delete_returning(WaitingEntry, "gamer_id", gamer_id, "session_id")]
    counters_take_off(
        attendances=[row[0] for row in attended],
        likes=[row[0] for row in liked],
        reviews=reviewed,
        waiting=waited,
        trend=[row[0] for row in [*attended, *liked] if row[1]],
    )
    if attended:
        count_changed(Attendance)
    # The seats they held go to the waiters (not in their own sessions: the cascade takes those).
    freed = GameSession.objects.filter(pk__in=[row[0] for row in attended]).exclude(organizer_id=gamer_id)
    for session in freed.order_by("pk"):
        _promote_waiters(session)


def _delete_returning(model: Any, column: str, value: int, *returning: str) -> list[tuple[Any, ...]]:
    """`DELETE FROM model WHERE column = value RETURNING ...` (PostgreSQL; SQLite 3.35+): the
    ORM's delete() reports how many rows went, not which."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {quote(column)} = %s RETURNING {', '.join(quote(c) for c in returning)}",
            [value],
        )
        return list(cursor.fetchall())


def _update_returning(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def trend_expire(*, now: datetime | None = None, batch: int = 500) -> int:
    """Clock tick: take the likes and joins older than `rules.TREND_WINDOW_DAYS` off their
    sessions' `trend_score`. Returns how many were taken off.

    Idempotent and exact: each row carries `trend_counted`; under the row locks of the sessions
    concerned (taken in id order, like every multi-session writer) one
    `UPDATE ... SET trend_counted = false WHERE trend_counted AND <older than the window>
    RETURNING session_id` flips exactly the rows still counted, and exactly those are taken off.
    A duplicate or late tick finds nothing left to flip; an unlike or a leave (same session
    lock) takes a row off only while it is still counted. The partial indexes on the counted
    rows' dates make "is anything due?" one index probe. Up to `batch` sessions per call.
    """
    cutoff = (now or timezone.now()) - timedelta(days=rules.TREND_WINDOW_DAYS)
    due: set[int] = set()
    for model, stamp in ((Like, "created_at"), (Attendance, "joined_at")):
        old = model.objects.filter(trend_counted=True, **{f"{stamp}__lt": cutoff})
        due.update(old.order_by(stamp).values_list("session_id", flat=True)[:batch])
    if not due:
        return 0
    quote = connection.ops.quote_name
    with transaction.atomic():
        ids = list(
            GameSession.objects.select_for_update().filter(pk__in=due).order_by("pk").values_list("pk", flat=True)
        )
        if not ids:
            return 0
        taken: list[int] = []
        marks = ", ".join(["%s"] * len(ids))
        for model, stamp in ((Like, "created_at"), (Attendance, "joined_at")):
            taken += [
                row[0]
                for row in _update_returning(
                    f"UPDATE {quote(model._meta.db_table)} SET {quote('trend_counted')} = %s"
                    f" WHERE {quote('trend_counted')} AND {quote(stamp)} < %s AND {quote('session_id')} IN ({marks})"
                    f" RETURNING {quote('session_id')}",
                    [False, connection.ops.adapt_datetimefield_value(cutoff), *ids],
                )
            ]
        counters_take_off(trend=taken)
    return len(taken)


def reminders_send_due(*, now: datetime | None = None, batch: int = 200) -> int:
    """Clock tick: send the start reminders of the sessions that start within
    `SESSION_REMINDER_MINUTES` and haven't had them; returns the sessions reminded.

    Exactly once: the sessions are claimed by compare-and-set, `SELECT ... FOR UPDATE SKIP
    LOCKED` of the due rows whose `reminders_sent_at` is NULL, then set to now, in the same
    transaction as the notifications. A second worker or a duplicate tick skips the rows
    being claimed and, once that commits, no longer sees them due; a rollback un-claims them.
    The notification key (per session and start time) backs it up. A late tick still sends
    while the session hasn't started; a started session gets none. Every attendee (the
    organizer attends) gets one; gamers who join later get theirs when they join.
    """
    now = now or timezone.now()
    lead = timedelta(minutes=settings.SESSION_REMINDER_MINUTES)
    with transaction.atomic():
        sessions = list(
            GameSession.objects.select_for_update(skip_locked=True)
            .filter(reminders_sent_at__isnull=True, starts_at__gt=now, starts_at__lte=now + lead)
            .order_by("starts_at", "id")
            .only("pk", "title", "game", "starts_at", "organizer_id")[:batch]
        )
        if not sessions:
            return 0
        GameSession.objects.filter(pk__in=[session.pk for session in sessions]).update(reminders_sent_at=now)
        attending: dict[int, set[int]] = {session.pk: {session.organizer_id} for session in sessions}
        for session_id, gamer_id in Attendance.objects.filter(session_id__in=list(attending)).values_list(
            "session_id", "gamer_id"
        ):
            attending[session_id].add(gamer_id)
        notifications_create_many(
            row for session in sessions for row in _reminder_rows(session, sorted(attending[session.pk]))
        )
    return len(sessions)
