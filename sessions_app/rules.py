"""Pure session rules: no Django, no database. The services apply them under their locks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

# Machine codes of SPEC §3.
ALREADY_JOINED = "already_joined"
SESSION_FULL = "session_full"
SESSION_UNAVAILABLE = "session_unavailable"

ALREADY_WAITING = "already_waiting"
ORGANIZER_CANNOT_LEAVE = "organizer_cannot_leave"

MAX_SEARCH_TERMS = 8
# The `-avg_rating` ordering lists sessions with at least this many reviews first.
RATED_MIN_REVIEWS = 3
# `trending` counts the likes and joins of this many last days.
TREND_WINDOW_DAYS = 7


def join_refusal(
    *,
    already_joined: bool,
    is_available: bool,
    starts_at: datetime,
    now: datetime,
    attendee_count: int,
    max_attendees: int,
) -> str | None:
    """Why a gamer can't join, as a SPEC code, or None when they can.

    Order: what the gamer already did first (a gamer already in a full or started session is
    told they joined), then the organizer's switch and the start time, then capacity.
    """
    if already_joined:
        return ALREADY_JOINED
    if not is_available or starts_at <= now:
        return SESSION_UNAVAILABLE
    if attendee_count >= max_attendees:
        return SESSION_FULL
    return None


JOIN = "join"
WAIT = "wait"


def join_outcome(
    *,
    already_joined: bool,
    already_waiting: bool,
    wait: bool,
    is_available: bool,
    starts_at: datetime,
    now: datetime,
    attendee_count: int,
    max_attendees: int,
) -> str:
    """What a join request does: JOIN, WAIT (a place on the waiting list), or a refusal code.

    `wait` only matters on a full session: with a free seat the gamer simply joins (and leaves
    the waiting list if they were on it), without `wait` a full session is `session_full`. A
    switched-off or started session can't be waited for either (`session_unavailable`).
    """
    refusal = join_refusal(
        already_joined=already_joined,
        is_available=is_available,
        starts_at=starts_at,
        now=now,
        attendee_count=attendee_count,
        max_attendees=max_attendees,
    )
    if refusal != SESSION_FULL:
        return refusal or JOIN
    if not wait:
        return SESSION_FULL
    return ALREADY_WAITING if already_waiting else WAIT


def seats_to_offer(
    *, is_available: bool, starts_at: datetime, now: datetime, attendee_count: int, max_attendees: int, waiting: int
) -> int:
    """How many waiters to promote now: the free seats, as long as the session can be joined
    (a switched-off or started session keeps its list until it can be joined again)."""
    if not is_available or starts_at <= now:
        return 0
    return max(0, min(waiting, max_attendees - attendee_count))


def reminder_due(*, starts_at: datetime, now: datetime, sent: bool, lead_minutes: int) -> bool:
    """A session's reminders are due once, from `lead_minutes` before its start until it starts."""
    return not sent and now < starts_at <= now + timedelta(minutes=lead_minutes)


def is_joinable(
    *, is_available: bool, starts_at: datetime, now: datetime, attendee_count: int, max_attendees: int
) -> bool:
    """What `joinable=true` means: switched on, not started, not full."""
    return is_available and starts_at > now and attendee_count < max_attendees


def search_terms(text: str) -> list[str]:
    """Split a search box into terms (each must match title, game or description).

    Bounded so a long query can't build an unbounded WHERE clause.
    """
    return text.split()[:MAX_SEARCH_TERMS]


def gettext_noop(message: str) -> str:
    """Marks a message for translation (`make messages` collects it) without importing Django;
    the service translates it where it answers (`gettext(problem)`)."""
    return message


def start_time_problem(*, starts_at: datetime, now: datetime) -> str | None:
    if starts_at <= now:
        return gettext_noop("A session must start in the future.")
    return None


def capacity_problem(*, max_attendees: int, attendee_count: int) -> str | None:
    if max_attendees < attendee_count:
        noun = "gamer has" if attendee_count == 1 else "gamers have"
        return f"{attendee_count} {noun} already joined; max_attendees can't go below that."
    return None


# Field limits of SPEC §3 (the models and serializers use the same numbers).
TITLE_MAX = 120
GAME_MAX = 80
DESCRIPTION_MAX = 2000
MAX_ATTENDEES_MIN, MAX_ATTENDEES_MAX = 1, 1000
REVIEW_MAX = 2000
RATING_MIN, RATING_MAX = 1, 5
PLATFORMS = ("pc", "playstation", "xbox", "switch", "mobile", "other")  # models.Platform values


def session_field_problems(fields: dict[str, Any]) -> dict[str, list[str]]:
    """Range and length problems of the session fields present in `fields`, by field name."""
    problems: dict[str, list[str]] = {}
    for name, limit in (("title", TITLE_MAX), ("game", GAME_MAX)):
        if name in fields:
            value = fields[name]
            if not isinstance(value, str) or not value.strip():
                problems[name] = ["This field may not be blank."]
            elif len(value) > limit:
                problems[name] = [f"Ensure this field has no more than {limit} characters."]
    if "description" in fields and len(fields["description"] or "") > DESCRIPTION_MAX:
        problems["description"] = [f"Ensure this field has no more than {DESCRIPTION_MAX} characters."]
    if "platform" in fields and fields["platform"] not in PLATFORMS:
        problems["platform"] = [f"Platform must be one of {', '.join(PLATFORMS)}."]
    if "max_attendees" in fields:
        value = fields["max_attendees"]
        if isinstance(value, bool) or not isinstance(value, int) or not MAX_ATTENDEES_MIN <= value <= MAX_ATTENDEES_MAX:
            problems["max_attendees"] = [f"Must be a whole number from {MAX_ATTENDEES_MIN} to {MAX_ATTENDEES_MAX}."]
    return problems


def review_field_problems(*, rating: Any = None, content: str | None = None) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if rating is not None and (
        isinstance(rating, bool) or not isinstance(rating, int) or not RATING_MIN <= rating <= RATING_MAX
    ):
        problems["rating"] = [f"Rating must be a whole number from {RATING_MIN} to {RATING_MAX}."]
    if content is not None and len(content) > REVIEW_MAX:
        problems["content"] = [f"Ensure this field has no more than {REVIEW_MAX} characters."]
    return problems
