"""Session reads.

A session's figures are columns of its row (the counters `attendee_count`, `like_count`,
`review_count`, `rating_sum`, `waiting_count`, `trend_score`, kept exact by
`sessions_app.counters`, and the generated `rating_rank`), so a list reads them without
counting and orders through an index on each ordering. Only `liked_by_me`, `joined_by_me` and
`waiting_by_me` depend on the caller: three `EXISTS` probes of the (session, gamer) unique
indexes per row of the page, in the same query.

The API reads sessions as plain rows (`.values()`, then `session_rows`), without building
model instances or running a serializer per row and field; `serializers.GameSessionSerializer`
describes the same shape for the OpenAPI schema (a test holds the two equal).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.settings import api_settings

from common.counts import CountedQuerySet
from common.errors import NotFound
from gamers.models import Gamer
from sessions_app.models import Attendance, GameSession, Like, Review, WaitingEntry, rating_average
from sessions_app.rules import search_terms

# Accepted `ordering` values and the full ORDER BY each one means (always ending on a unique
# column, so pages never overlap or skip rows). Each is served by an index (models.GameSession).
ORDERINGS: dict[str, tuple[str, ...]] = {
    "starts_at": ("starts_at", "id"),
    "-starts_at": ("-starts_at", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "like_count": ("like_count", "id"),
    "-like_count": ("-like_count", "-id"),
    "attendee_count": ("attendee_count", "id"),
    "-attendee_count": ("-attendee_count", "-id"),
    # Top rated: sessions with at least rules.RATED_MIN_REVIEWS reviews first, by mean rating
    # (`rating_rank`, a generated column of the review counters; see models.GameSession).
    "-avg_rating": ("-rating_rank", "-id"),
    "avg_rating": ("rating_rank", "id"),
    # Most likes and joins of the last rules.TREND_WINDOW_DAYS first (the `trend_score` counter).
    "trending": ("-trend_score", "-id"),
}
DEFAULT_ORDERING = "starts_at"


class _CountStar(Func):
    """`COUNT(*)` as a plain function, so Django adds no GROUP BY to the subquery around it."""

    template = "COUNT(*)"
    output_field = IntegerField()

    def __init__(self) -> None:
        super().__init__()


def _count_of(model: Any, fk: str) -> Subquery:
    """`(SELECT COUNT(*) FROM model WHERE fk = outer.pk)` for the profile stats: 0 when there
    are none, and answered from the (fk, ...) index alone once the table is vacuumed."""
    rows = model.objects.filter(**{fk: OuterRef("pk")}).order_by().annotate(n=_CountStar()).values("n")
    return Subquery(rows, output_field=IntegerField())


def sessions_hosted_expr() -> Any:
    """Profile stat: sessions the gamer (outer pk) organizes."""
    return _count_of(GameSession, "organizer_id")


def sessions_joined_expr() -> Any:
    """Profile stat: sessions the gamer (outer pk) attends."""
    return _count_of(Attendance, "gamer_id")


def with_figures(qs: QuerySet[GameSession], *, user: Any = None) -> QuerySet[GameSession]:
    """Sessions with their organizer and the caller's flags of SPEC §3 (`liked_by_me`,
    `joined_by_me`), in the same query. Without an authenticated `user` both are false."""
    return _with_flags(qs.select_related("organizer"), user=user)


def _with_flags(qs: QuerySet[GameSession], *, user: Any) -> QuerySet[GameSession]:
    user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    if user_id is None:
        no = Value(False, output_field=BooleanField())
        return qs.annotate(liked_by_me=no, joined_by_me=no, waiting_by_me=no)
    return qs.annotate(
        liked_by_me=_mine(Like, user_id),
        joined_by_me=_mine(Attendance, user_id),
        waiting_by_me=_mine(WaitingEntry, user_id),
    )


def _mine(model: type[Like] | type[Attendance] | type[WaitingEntry], user_id: int) -> RawSQL:
    """`EXISTS (SELECT 1 FROM <likes or attendances> WHERE session_id = <this session> AND
    gamer_id = <caller>)`: one probe of the (session, gamer) unique index per row.

    Written as SQL rather than `Exists(Model.objects.filter(session_id=OuterRef("pk"), ...))`:
    the two `Exists` cost about 1.1 ms of CPU per request to build and compile (measured with
    py-spy on the list under load: a tenth of the request), this one next to nothing. It is only
    used on top-level session queries, where the session table is not aliased.
    """
    quote, meta = connection.ops.quote_name, model._meta
    session, gamer = quote(meta.get_field("session").column), quote(meta.get_field("gamer").column)
    this_session = f"{quote(GameSession._meta.db_table)}.{quote(GameSession._meta.pk.column)}"
    sql = f"EXISTS (SELECT 1 FROM {quote(meta.db_table)} WHERE {session} = {this_session} AND {gamer} = %s)"
    return RawSQL(sql, (user_id,), output_field=BooleanField())


def _filtered(
    *,
    game: str | None = None,
    platform: str | None = None,
    organizer_id: int | None = None,
    attendee_id: int | None = None,
    involving_id: int | None = None,
    joinable: bool = False,
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
    search: str | None = None,
    now: datetime | None = None,
) -> QuerySet[GameSession]:
    qs = GameSession.objects.all()
    if game:
        # UPPER(game) = UPPER(%s) on every backend: what `session_by_game` indexes.
        qs = qs.alias(game_upper=Upper("game")).filter(game_upper=Upper(Value(game.strip())))
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
    if joinable:
        qs = qs.filter(is_available=True, starts_at__gt=now or timezone.now(), attendee_count__lt=F("max_attendees"))
    return qs


def session_list(*, user: Any = None, ordering: str | None = None, **filters: Any) -> QuerySet[GameSession]:
    """Sessions with the caller's flags, filtered and ordered (SPEC §3 `GET /sessions/`).

    Filters (keywords): `game` matches ignoring case; `joinable` keeps sessions that are
    switched on, not started and not full at `now`; `search` terms must each appear (ignoring
    case) in the title, game or description; `attendee_id` / `organizer_id` / `involving_id`
    (either) serve "my sessions"; `platform`, `starts_after`, `starts_before`.
    Raises ValueError for an unknown `ordering`.
    """
    return with_figures(_filtered(**filters), user=user).order_by(*ORDERINGS[_ordering(ordering)])


def _ordering(ordering: str | None) -> str:
    if ordering is None:
        return DEFAULT_ORDERING
    if ordering not in ORDERINGS:
        raise ValueError(f"unknown ordering {ordering!r}")
    return ordering


# The columns of a session as the API shows it (see `session_rows`).
ROW_COLUMNS = (
    "id",
    "title",
    "game",
    "description",
    "platform",
    "starts_at",
    "max_attendees",
    "is_available",
    "organizer_id",
    "organizer__username",
    "created_at",
    "updated_at",
    "attendee_count",
    "like_count",
    "review_count",
    "rating_sum",
    "waiting_count",
    "liked_by_me",
    "joined_by_me",
    "waiting_by_me",
)


def session_pages(*, user: Any = None, ordering: str | None = None, joinable: bool = False, **filters: Any) -> Any:
    """The session list of the API as something Django's paginator pages: rows of `ROW_COLUMNS`
    (turn a page into the API shape with `session_rows`) and an exact count.

    The count is cached per version of the tables it reads (`common.counts`): sessions, and
    attendances when a filter looks at who attends. `joinable` compares with the current time,
    so its count is taken directly.
    """
    counted = _filtered(joinable=joinable, **filters)
    rows = _with_flags(counted, user=user).order_by(*ORDERINGS[_ordering(ordering)]).values(*ROW_COLUMNS)
    if joinable:
        return CountedQuerySet(rows, counted=counted, depends_on=None)
    reads_attendance = filters.get("attendee_id") is not None or filters.get("involving_id") is not None
    depends_on: tuple[type[Any], ...] = (GameSession, Attendance) if reads_attendance else (GameSession,)
    # Counted as `SELECT COUNT(*) ... WHERE <filters>`; its cache key is the SQL of the one-column
    # select, which compiles in a fraction of the time of the full row's.
    return CountedQuerySet(rows, counted=counted.values("pk"), depends_on=depends_on)


def session_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sessions read with `ROW_COLUMNS`, in the shape of `serializers.GameSessionSerializer`
    (same keys in the same order, same values: datetimes in the API's format and time zone,
    `avg_rating` to 2 places or None, `is_full` from the counter)."""
    zone = timezone.get_current_timezone()
    fmt = api_settings.DATETIME_FORMAT

    def when(value: datetime) -> str:
        return value.astimezone(zone).strftime(fmt)

    return [
        {
            "id": row["id"],
            "title": row["title"],
            "game": row["game"],
            "description": row["description"],
            "platform": row["platform"],
            "starts_at": when(row["starts_at"]),
            "max_attendees": row["max_attendees"],
            "is_available": row["is_available"],
            "organizer": {"id": row["organizer_id"], "username": row["organizer__username"]},
            "created_at": when(row["created_at"]),
            "updated_at": when(row["updated_at"]),
            "attendee_count": row["attendee_count"],
            "is_full": row["attendee_count"] >= row["max_attendees"],
            "like_count": row["like_count"],
            "review_count": row["review_count"],
            "avg_rating": rating_average(row["rating_sum"], row["review_count"]),
            "waiting_count": row["waiting_count"],
            "liked_by_me": bool(row["liked_by_me"]),
            "joined_by_me": bool(row["joined_by_me"]),
            "waiting_by_me": bool(row["waiting_by_me"]),
        }
        for row in rows
    ]


def session_detail(*, session_id: int, user: Any = None) -> GameSession:
    """One session with the caller's flags; NotFound when there is none."""
    session = with_figures(GameSession.objects.filter(pk=session_id), user=user).first()
    if session is None:
        raise NotFound(gettext("No session with that id."), code="not_found")
    return session


def session_detail_row(*, session_id: int, user: Any = None) -> dict[str, Any]:
    """One session in the API shape (`session_rows`); NotFound when there is none."""
    found = list(_with_flags(GameSession.objects.filter(pk=session_id), user=user).values(*ROW_COLUMNS))
    if not found:
        raise NotFound(gettext("No session with that id."), code="not_found")
    return session_rows(found)[0]


def session_must_exist(session_id: int) -> None:
    if not GameSession.objects.filter(pk=session_id).exists():
        raise NotFound(gettext("No session with that id."), code="not_found")


def session_like_count(*, session_id: int) -> int:
    return GameSession.objects.filter(pk=session_id).values_list("like_count", flat=True).first() or 0


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
        raise NotFound(gettext("You have not reviewed this session."), code="not_reviewed")
    return review


def review_get(*, review_id: int) -> Review:
    review = Review.objects.select_related("author", "session").filter(pk=review_id).first()
    if review is None:
        raise NotFound(gettext("No review with that id."), code="not_found")
    return review


# --- squads ---------------------------------------------------------------------------------

# A squad board (leaderboard, SPEC §6) ranks me and at most this many co-attendees: the ones
# whose shared session started most recently.
SQUAD_MAX = 500


def squad_member_ids(*, user_id: int, limit: int = SQUAD_MAX) -> list[int]:
    """Everyone who attended a session I attended (the organizer attends their own), not me:
    the `limit` with the most recent shared session (by its start), then by id. One query,
    through the (gamer, session) and (session, gamer) attendance indexes."""
    rows = (
        Attendance.objects.filter(session__attendances__gamer_id=user_id)
        .exclude(gamer_id=user_id)
        .values("gamer_id")
        .annotate(last=Max("session__starts_at"))
        .order_by("-last", "gamer_id")[:limit]
    )
    return [row["gamer_id"] for row in rows]
