"""The counters on each session: `attendee_count`, `like_count`, `review_count`, `rating_sum`,
`waiting_count` and `trend_score` (the likes and attendances still flagged `trend_counted`:
those of the last `rules.TREND_WINDOW_DAYS`, see `services.trend_expire`).

Lists order by them and show them, so they must equal the rows they count at every commit.
How that holds, path by path:

* **The services** (`sessions_app.services`) change a counter with `counters_add`, a single
  `UPDATE ... SET n = n + d` (an `F()` expression, never read-modify-write in Python), in
  the same transaction as the insert or delete it counts: both commit or neither does. Every
  service that adds or removes a session's attendance, like or review first locks the
  session's row (`SELECT ... FOR UPDATE`, or the counter `UPDATE` itself), so writers of one
  session are serialised and the decrement matches a row that really went.
* **Deleting a gamer's account** cascades to their attendances, likes and reviews across many
  sessions, and Django's cascade runs no code of ours per row. `receivers.py` connects a
  `pre_delete` receiver on the gamer model (in `SessionsAppConfig.ready()`); Django sends it
  inside the delete's transaction, before any row goes. It calls
  `services.gamer_participation_remove`, which locks the sessions concerned (in id order, so
  two account deletions can't deadlock), deletes the gamer's rows itself with
  `DELETE ... RETURNING session_id` and takes exactly the returned rows off the counters. The
  cascade then finds nothing left to delete. This is the pattern the code base already uses
  for deletions other apps must follow (`leaderboard.signals` takes a deleted account off the
  boards from `post_delete`).
* **Deleting a session** takes its rows with it; its counters go with the row.
* **The Django admin** deletes reviews through `services.review_delete` and attendees (the
  inline on a session) through `services.session_leave`; nothing else there writes these rows.
* **Bulk inserts** (the demo seeder, the benchmark's COPY, test factories) send no signals and
  bypass the services: they call `counters_recount` for the sessions they filled.
* **Repair**: `manage.py recount_session_counters` (and the admin action "Recount counters")
  recompute counters from the rows with one `UPDATE` of correlated subqueries; `--check` only
  reports sessions whose counters differ. Nothing should need it; it is there for rows
  written by raw SQL or restored from a backup.

The counter columns are positive integers: a decrement below zero is refused by the database
(check constraint) instead of leaving a counter wrong.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from sessions_app.models import Attendance, GameSession, Like, Review, WaitingEntry

COUNTERS = ("attendee_count", "like_count", "review_count", "rating_sum", "waiting_count", "trend_score")


def counters_add(
    session_id: int,
    *,
    attendees: int = 0,
    likes: int = 0,
    reviews: int = 0,
    rating: int = 0,
    waiting: int = 0,
    trend: int = 0,
) -> int:
    """Add the deltas to one session's counters in one `UPDATE` (`F()` expressions). Call it in
    the transaction that inserts or deletes the rows counted. Returns the rows updated (0 when
    the session doesn't exist). The database recomputes `rating_rank` in the same statement."""
    deltas = {
        "attendee_count": attendees,
        "like_count": likes,
        "review_count": reviews,
        "rating_sum": rating,
        "waiting_count": waiting,
        "trend_score": trend,
    }
    changes = {name: F(name) + delta for name, delta in deltas.items() if delta}
    if not changes:
        return 0
    return GameSession.objects.filter(pk=session_id).update(**changes)


def counters_take_off(
    *,
    attendances: Iterable[int] = (),
    likes: Iterable[int] = (),
    reviews: Iterable[tuple[int, int]] = (),
    waiting: Iterable[int] = (),
    trend: Iterable[int] = (),
) -> None:
    """Decrement the counters of many sessions for rows that were just deleted: one attendance,
    like or waiting entry per session id given (a gamer has at most one per session), reviews
    as (session id, rating), `trend` one per counted like or attendance (a session id may
    repeat). A few `UPDATE`s whatever the number of sessions."""
    for ids, name in (
        (sorted(set(attendances)), "attendee_count"),
        (sorted(set(likes)), "like_count"),
        (sorted(set(waiting)), "waiting_count"),
    ):
        for chunk in _chunks(ids):
            GameSession.objects.filter(pk__in=chunk).update(**{name: F(name) - 1})
    trend_by_n: dict[int, list[int]] = {}
    for session_id, n in Counter(trend).items():
        trend_by_n.setdefault(n, []).append(session_id)
    for n, ids in sorted(trend_by_n.items()):
        for chunk in _chunks(sorted(ids)):
            GameSession.objects.filter(pk__in=chunk).update(trend_score=F("trend_score") - n)
    by_rating: dict[int, list[int]] = {}
    for session_id, rating in reviews:
        by_rating.setdefault(rating, []).append(session_id)
    for rating, ids in sorted(by_rating.items()):
        for chunk in _chunks(sorted(ids)):
            GameSession.objects.filter(pk__in=chunk).update(
                review_count=F("review_count") - 1, rating_sum=F("rating_sum") - rating
            )


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _per_session(model: Any, aggregate: Any, **where: Any) -> Coalesce:
    """`(SELECT aggregate FROM model WHERE session_id = outer.id)`, 0 without rows."""
    rows = model.objects.filter(session_id=OuterRef("pk"), **where).order_by().values("session_id")
    return Coalesce(Subquery(rows.annotate(v=aggregate).values("v"), output_field=IntegerField()), 0)


def _true_counters() -> dict[str, Any]:
    return {
        "attendee_count": _per_session(Attendance, Count("*")),
        "like_count": _per_session(Like, Count("*")),
        "review_count": _per_session(Review, Count("*")),
        "rating_sum": _per_session(Review, Sum("rating")),
        "waiting_count": _per_session(WaitingEntry, Count("*")),
        "trend_score": _per_session(Like, Count("*"), trend_counted=True)
        + _per_session(Attendance, Count("*"), trend_counted=True),
    }


def _sessions(session_ids: Iterable[int] | None) -> QuerySet[GameSession]:
    qs = GameSession.objects.all()
    return qs if session_ids is None else qs.filter(pk__in=list(session_ids))


def counters_recount(*, session_ids: Iterable[int] | None = None) -> int:
    """Set the counters of these sessions (all when None) from their rows: one `UPDATE` with
    correlated subqueries, on SQLite and PostgreSQL. Returns the sessions updated.

    For bulk inserts that bypass the services, and for repair. On a live database run it where
    no writer races it (or per session): it doesn't lock the rows it counts."""
    return _sessions(session_ids).update(**_true_counters())


def counters_drift(*, session_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Sessions whose stored counters differ from their rows, by id:
    `{"id": ..., "stored": {counter: value}, "true": {counter: value}}`."""
    true_names = {name: f"true_{name}" for name in COUNTERS}
    qs = _sessions(session_ids).annotate(**{true_names[name]: expr for name, expr in _true_counters().items()})
    differs = Q()
    for name, true_name in true_names.items():
        differs |= ~Q(**{name: F(true_name)})
    rows = qs.filter(differs).order_by("pk").values("pk", *COUNTERS, *true_names.values())
    return [
        {
            "id": row["pk"],
            "stored": {name: row[name] for name in COUNTERS},
            "true": {name: row[true_names[name]] for name in COUNTERS},
        }
        for row in rows
    ]
