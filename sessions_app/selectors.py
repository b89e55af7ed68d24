"""Session reads. Every figure a read view shows is computed by the database in the same query
as the rows (correlated subqueries), so a page costs the same number of queries whatever its size."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import (
    Avg,
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils import timezone

from common.errors import NotFound
from gamers.models import Gamer
from sessions_app.models import Attendance, GameSession, Like, Review
from sessions_app.rules import search_terms

# Accepted `ordering` values and the full ORDER BY each one means (always ending on a unique
# column, so pages never overlap or skip rows).
ORDERINGS: dict[str, tuple[str, ...]] = {
    "starts_at": ("starts_at", "id"),
    "-starts_at": ("-starts_at", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "like_count": ("like_count", "id"),
    "-like_count": ("-like_count", "-id"),
    "attendee_count": ("attendee_count", "id"),
    "-attendee_count": ("-attendee_count", "-id"),
}
DEFAULT_ORDERING = "starts_at"


class _CountStar(Func):
    """`COUNT(*)` as a plain function, so Django adds no GROUP BY to the subquery around it."""

    template = "COUNT(*)"
    output_field = IntegerField()

    def __init__(self) -> None:
        super().__init__()


def _count_of(model: Any, fk: str) -> Subquery:
    """`(SELECT COUNT(*) FROM model WHERE fk = outer.pk)`: 0 when there are none, and answered
    from the (fk, gamer) index alone (no table rows read) once the table is vacuumed."""
    rows = model.objects.filter(**{fk: OuterRef("pk")}).order_by().annotate(n=_CountStar()).values("n")
    return Subquery(rows, output_field=IntegerField())


def attendee_count_expr() -> Subquery:
    return _count_of(Attendance, "session_id")


def sessions_hosted_expr() -> Subquery:
    """Profile stat: sessions the gamer (outer pk) organizes."""
    return _count_of(GameSession, "organizer_id")


def sessions_joined_expr() -> Subquery:
    """Profile stat: sessions the gamer (outer pk) attends."""
    return _count_of(Attendance, "gamer_id")


def with_figures(qs: QuerySet[GameSession], *, user: Any = None) -> QuerySet[GameSession]:
    """Add the read-view figures of SPEC §3 to each session row, in the same query.

    `user` (the caller) decides `liked_by_me` / `joined_by_me`; without one they are false.
    """
    avg_rating = (
        Review.objects.filter(session_id=OuterRef("pk"))
        .order_by()
        .values("session_id")
        .annotate(avg=Avg("rating"))
        .values("avg")
    )
    user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    if user_id is not None:
        liked_by_me: Any = Exists(Like.objects.filter(session_id=OuterRef("pk"), gamer_id=user_id))
        joined_by_me: Any = Exists(Attendance.objects.filter(session_id=OuterRef("pk"), gamer_id=user_id))
    else:
        liked_by_me = joined_by_me = Value(False, output_field=BooleanField())
    return (
        qs.select_related("organizer")
        .annotate(
            attendee_count=attendee_count_expr(),
            like_count=_count_of(Like, "session_id"),
            review_count=_count_of(Review, "session_id"),
            avg_rating=Subquery(avg_rating, output_field=FloatField()),
            liked_by_me=liked_by_me,
            joined_by_me=joined_by_me,
        )
        .annotate(is_full=ExpressionWrapper(Q(attendee_count__gte=F("max_attendees")), output_field=BooleanField()))
    )


def session_list(
    *,
    user: Any = None,
    game: str | None = None,
    platform: str | None = None,
    organizer_id: int | None = None,
    attendee_id: int | None = None,
    involving_id: int | None = None,
    joinable: bool = False,
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
    search: str | None = None,
    ordering: str | None = None,
    now: datetime | None = None,
) -> QuerySet[GameSession]:
    """Sessions with their figures, filtered and ordered (SPEC §3 `GET /sessions/`).

    `game` matches ignoring case; `joinable` keeps sessions that are switched on, not started
    and not full at `now`; `search` terms must each appear (ignoring case) in the title, game
    or description; `attendee_id` / `organizer_id` / `involving_id` (either) serve "my sessions".
    Raises ValueError for an unknown `ordering`.
    """
    if ordering is None:
        ordering = DEFAULT_ORDERING
    if ordering not in ORDERINGS:
        raise ValueError(f"unknown ordering {ordering!r}")
    qs = GameSession.objects.all()
    if game:
        qs = qs.filter(game__iexact=game.strip())
    if platform:
        qs = qs.filter(platform=platform)
    if organizer_id is not None:
        qs = qs.filter(organizer_id=organizer_id)
    if attendee_id is not None:
        qs = qs.filter(Exists(Attendance.objects.filter(session_id=OuterRef("pk"), gamer_id=attendee_id)))
    if involving_id is not None:
        qs = qs.filter(
            Q(organizer_id=involving_id)
            | Q(Exists(Attendance.objects.filter(session_id=OuterRef("pk"), gamer_id=involving_id)))
        )
    if starts_after is not None:
        qs = qs.filter(starts_at__gte=starts_after)
    if starts_before is not None:
        qs = qs.filter(starts_at__lte=starts_before)
    for term in search_terms(search or ""):
        qs = qs.filter(Q(title__icontains=term) | Q(game__icontains=term) | Q(description__icontains=term))
    qs = with_figures(qs, user=user)
    if joinable:
        qs = qs.filter(is_available=True, starts_at__gt=now or timezone.now(), attendee_count__lt=F("max_attendees"))
    return qs.order_by(*ORDERINGS[ordering])


def session_detail(*, session_id: int, user: Any = None) -> GameSession:
    """One session with its figures; NotFound when there is none."""
    session = with_figures(GameSession.objects.filter(pk=session_id), user=user).first()
    if session is None:
        raise NotFound("No session with that id.", code="not_found")
    return session


def session_must_exist(session_id: int) -> None:
    if not GameSession.objects.filter(pk=session_id).exists():
        raise NotFound("No session with that id.", code="not_found")


def session_like_count(*, session_id: int) -> int:
    return Like.objects.filter(session_id=session_id).count()


def session_attendees(*, session_id: int) -> QuerySet[Gamer]:
    """The gamers attending a session (public profiles), in the order they joined."""
    session_must_exist(session_id)
    return (
        Gamer.objects.filter(attendances__session_id=session_id)
        .annotate(joined_at=F("attendances__joined_at"))
        .order_by("attendances__joined_at", "attendances__id")
    )


def review_list(
    *,
    session_id: int | None = None,
    author_id: int | None = None,
    rating: int | None = None,
    search: str | None = None,
) -> QuerySet[Review]:
    """Reviews, newest first, with their author and session in the same query."""
    qs = Review.objects.select_related("author", "session")
    if session_id is not None:
        qs = qs.filter(session_id=session_id)
    if author_id is not None:
        qs = qs.filter(author_id=author_id)
    if rating is not None:
        qs = qs.filter(rating=rating)
    for term in search_terms(search or ""):
        qs = qs.filter(content__icontains=term)
    return qs.order_by("-created_at", "-id")


def session_reviews(*, session_id: int) -> QuerySet[Review]:
    session_must_exist(session_id)
    return review_list(session_id=session_id)


def review_mine(*, session_id: int, user: Any) -> Review:
    review = Review.objects.select_related("author").filter(session_id=session_id, author_id=user.pk).first()
    if review is None:
        session_must_exist(session_id)
        raise NotFound("You have not reviewed this session.", code="not_reviewed")
    return review


def review_get(*, review_id: int) -> Review:
    review = Review.objects.select_related("author", "session").filter(pk=review_id).first()
    if review is None:
        raise NotFound("No review with that id.", code="not_found")
    return review
