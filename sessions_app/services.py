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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from audit.services import audit_record
from common.counts import count_changed
from common.errors import Conflict, NotFound, PermissionDenied
from common.roles import Cap, can, is_owner_or_can
from sessions_app import rules
from sessions_app.counters import counters_add, counters_take_off
from sessions_app.models import Attendance, GameSession, Like, Review

# Fields an organizer may set (create and update).
EDITABLE_FIELDS = ("title", "game", "description", "platform", "starts_at", "max_attendees", "is_available")

_DETAILS = {
    rules.ALREADY_JOINED: "You already joined this session.",
    rules.SESSION_FULL: "This session is full.",
    rules.SESSION_UNAVAILABLE: "This session can't be joined: it is switched off or has started.",
}


@dataclass(frozen=True)
class AttendanceResult:
    """What join and leave return: the session and its attendee count right after the change."""

    session: GameSession
    attendee_count: int
    detail: str


def _not_found() -> NotFound:
    return NotFound("No session with that id.", code="not_found")


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
    """Host a session. `starts_at` must be in the future (400 otherwise)."""
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
        raise ValidationError({"starts_at": [problem]})
    return GameSession.objects.create(organizer=organizer, **fields)


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
        raise PermissionDenied("Only the organizer or an admin can edit this session.", code="not_organizer")
    changes = _validated(changes)
    errors: dict[str, list[str]] = {}
    if "starts_at" in changes and changes["starts_at"] != session.starts_at:
        problem = rules.start_time_problem(starts_at=changes["starts_at"], now=timezone.now())
        if problem:
            errors["starts_at"] = [problem]
    if "max_attendees" in changes:
        problem = rules.capacity_problem(max_attendees=changes["max_attendees"], attendee_count=session.attendee_count)
        if problem:
            errors["max_attendees"] = [problem]
    if errors:
        raise ValidationError(errors)
    for name, value in changes.items():
        setattr(session, name, value)
    session.save(update_fields=[*changes, "updated_at"])
    return session


@transaction.atomic
def session_delete(*, actor: Any, session_id: int, reason: str = "") -> None:
    """Remove a session with its attendances, likes and reviews (organizer, moderator, admin).

    When the actor isn't the organizer, the removal is a moderation action and is audited.
    """
    session = _locked_session(session_id)
    if not is_owner_or_can(actor, session.organizer_id, Cap.SESSIONS_MODERATE):
        raise PermissionDenied("Only the organizer or a moderator can delete this session.", code="not_organizer")
    if session.organizer_id != getattr(actor, "pk", None):
        audit_record(
            actor=actor,
            action="delete_session",
            target_type="session",
            target_id=session.pk,
            reason=reason or f"{session.title} ({session.game})",
        )
    session.delete()


@transaction.atomic
def session_join(*, session_id: int, user: Any) -> AttendanceResult:
    """Join a session. 409 `already_joined`, `session_unavailable` (switched off or started),
    `session_full`; 404 when there is no such session.

    Holds the session's row lock from reading its attendee count to the insert and the
    counter's increment (see the module docstring).
    """
    session = _locked_session(session_id)
    count = session.attendee_count
    refusal = rules.join_refusal(
        already_joined=Attendance.objects.filter(session_id=session.pk, gamer_id=user.pk).exists(),
        is_available=session.is_available,
        starts_at=session.starts_at,
        now=timezone.now(),
        attendee_count=count,
        max_attendees=session.max_attendees,
    )
    if refusal:
        raise Conflict(_DETAILS[refusal], code=refusal, extra={"attendee_count": count})
    try:
        with transaction.atomic():
            Attendance.objects.create(session=session, gamer=user)
    except IntegrityError as exc:
        # Only reachable without the row lock's protection (a writer that skipped the service).
        raise Conflict(_DETAILS[rules.ALREADY_JOINED], code=rules.ALREADY_JOINED) from exc
    counters_add(session.pk, attendees=1)
    session.attendee_count = count + 1
    return AttendanceResult(session=session, attendee_count=count + 1, detail=f"You joined {session.title}.")


@transaction.atomic
def session_leave(*, session_id: int, user: Any) -> AttendanceResult:
    """Leave a session. 409 `not_joined` when the gamer isn't attending; 404 when there is no such session.

    Also how staff remove an attendee (the admin's attendees inline)."""
    session = _locked_session(session_id)
    deleted, _ = Attendance.objects.filter(session_id=session.pk, gamer_id=user.pk).delete()
    if not deleted:
        raise Conflict(
            "You are not attending this session.", code="not_joined", extra={"attendee_count": session.attendee_count}
        )
    counters_add(session.pk, attendees=-1)
    session.attendee_count -= 1
    return AttendanceResult(session=session, attendee_count=session.attendee_count, detail=f"You left {session.title}.")


def session_like(*, session_id: int, user: Any) -> Like:
    """Like a session. 409 `already_liked`; 404 when there is no such session.

    The counter's increment comes first: it takes the session's row lock (and finds out whether
    the session exists); a duplicate like then fails on the unique (session, gamer) constraint
    and the whole transaction, increment included, rolls back.
    """
    try:
        with transaction.atomic():
            if not counters_add(session_id, likes=1):
                raise _not_found()
            return Like.objects.create(session_id=session_id, gamer=user)
    except IntegrityError as exc:
        if not GameSession.objects.filter(pk=session_id).exists():  # deleted meanwhile
            raise _not_found() from exc
        raise Conflict("You already like this session.", code="already_liked") from exc


@transaction.atomic
def session_unlike(*, session_id: int, user: Any) -> None:
    """Take a like back. 404 `not_liked` when there is none; 404 `not_found` without the session."""
    if not _lock_session_row(session_id):
        raise _not_found()
    deleted, _ = Like.objects.filter(session_id=session_id, gamer_id=user.pk).delete()
    if not deleted:
        raise NotFound("You don't like this session.", code="not_liked")
    counters_add(session_id, likes=-1)


def _lock_session_row(session_id: int) -> bool:
    """Take the session's row lock (call inside atomic()); False when there is no such session."""
    return bool(list(GameSession.objects.select_for_update().filter(pk=session_id).values_list("pk", flat=True)))


@transaction.atomic
def review_create(*, session_id: int, user: Any, rating: int, content: str = "") -> Review:
    """Review a session you attend. 403 `not_an_attendee`; 409 `already_reviewed`."""
    if not _lock_session_row(session_id):
        raise _not_found()
    if not Attendance.objects.filter(session_id=session_id, gamer_id=user.pk).exists():
        raise PermissionDenied("Only attendees can review this session.", code="not_an_attendee")
    problems = rules.review_field_problems(rating=rating, content=content)
    if problems:
        raise ValidationError(problems)
    review = Review(session_id=session_id, author=user, rating=rating, content=content)
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as exc:
        raise Conflict("You already reviewed this session.", code="already_reviewed") from exc
    counters_add(session_id, reviews=1, rating=rating)
    return review


def _my_review_locked(*, session_id: int, user: Any) -> Review:
    """The caller's review of the session, with the session's and the review's row locks."""
    if not _lock_session_row(session_id):
        raise _not_found()
    review = Review.objects.select_for_update().filter(session_id=session_id, author_id=user.pk).first()
    if review is None:
        raise NotFound("You have not reviewed this session.", code="not_reviewed")
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
        raise PermissionDenied("Only moderators and admins can remove reviews.", code="forbidden_role")
    session_id = Review.objects.filter(pk=review_id).values_list("session_id", flat=True).first()
    # Read again under the session's lock: the author may have deleted it meanwhile.
    locked = session_id is not None and _lock_session_row(session_id)
    review = Review.objects.select_for_update().filter(pk=review_id).first() if locked else None
    if review is None:
        raise NotFound("No review with that id.", code="not_found")
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
    deleted nor counted twice.
    """
    mine = {"gamer_id": gamer_id}
    touched = (
        GameSession.objects.select_for_update()
        .filter(
            Q(Exists(Attendance.objects.filter(session_id=OuterRef("pk"), **mine)))
            | Q(Exists(Like.objects.filter(session_id=OuterRef("pk"), **mine)))
            | Q(Exists(Review.objects.filter(session_id=OuterRef("pk"), author_id=gamer_id)))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not list(touched):
        return
    attended = [row[0] for row in _delete_returning(Attendance, "gamer_id", gamer_id, "session_id")]
    liked = [row[0] for row in _delete_returning(Like, "gamer_id", gamer_id, "session_id")]
    reviewed = [(row[0], row[1]) for row in _delete_returning(Review, "author_id", gamer_id, "session_id", "rating")]
    counters_take_off(attendances=attended, likes=liked, reviews=reviewed)
    if attended:
        count_changed(Attendance)


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
