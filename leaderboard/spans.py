"""Pure calendar arithmetic of the report aggregates (UTC): which buckets a score belongs to,
and how a report range splits into full buckets (read from the aggregates) and partial days
(read from the raw scores). No Django import."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

DAY, MONTH, YEAR, ALL = "day", "month", "year", "all"
ALL_START = date.min  # the one bucket of `all`
_TINY = timedelta(microseconds=1)


def buckets_of(at: datetime) -> list[tuple[str, date]]:
    """The (period, start) of every bucket holding a score achieved at `at`."""
    day = at.astimezone(UTC).date()
    return [(DAY, day), (MONTH, day.replace(day=1)), (YEAR, day.replace(month=1, day=1)), (ALL, ALL_START)]


@dataclass(frozen=True)
class RawPiece:
    """Scores with lo <= achieved_at < hi (or <= hi when `inclusive`)."""

    lo: datetime
    hi: datetime
    inclusive: bool = False


@dataclass(frozen=True)
class Cover:
    """[start, end] as disjoint pieces: raw partial days, and runs of full buckets
    (period, first start, last start); `bound` is the smallest single bucket holding the range."""

    raw: list[RawPiece] = field(default_factory=list)
    runs: list[tuple[str, date, date]] = field(default_factory=list)
    bound: tuple[str, date] = (ALL, ALL_START)


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(), tzinfo=UTC)


def _next_month(d: date) -> date | None:
    if d.month < 12:
        return date(d.year, d.month + 1, 1)
    return date(d.year + 1, 1, 1) if d.year < date.max.year else None


def _next_year(d: date) -> date | None:
    return date(d.year + 1, 1, 1) if d.year < date.max.year else None


def _ceil(d: date, period: str) -> date | None:
    """The first start of a `period` bucket on or after `d` (None past the calendar)."""
    if period == YEAR:
        return d if (d.month, d.day) == (1, 1) else _next_year(d)
    return d if d.day == 1 else _next_month(d)


def _floor(d: date, period: str) -> date:
    return d.replace(month=1, day=1) if period == YEAR else d.replace(day=1)


def _last_start(first_after: date, period: str) -> date:
    """The start of the bucket just before the one starting at `first_after`."""
    before = first_after - timedelta(days=1)
    return _floor(before, period)


def split_days(lo: date, hi: date, periods: tuple[str, ...] = (YEAR, MONTH)) -> list[tuple[str, date, date]]:
    """The full days [lo, hi) as runs of the coarsest aligned buckets: years in the middle,
    then months, then days at the edges. At most two runs per level besides the middle one."""
    if lo >= hi:
        return []
    if not periods:
        return [(DAY, lo, hi - timedelta(days=1))]
    period, finer = periods[0], periods[1:]
    first = _ceil(lo, period)
    last = _floor(hi, period)
    if first is None or first >= last:
        return split_days(lo, hi, finer)
    return [
        *split_days(lo, first, finer),
        (period, first, _last_start(last, period)),
        *split_days(last, hi, finer),
    ]


def bound_bucket(start: datetime, end: datetime) -> tuple[str, date]:
    s, e = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    if s == e:
        return DAY, s
    if (s.year, s.month) == (e.year, e.month):
        return MONTH, s.replace(day=1)
    if s.year == e.year:
        return YEAR, s.replace(month=1, day=1)
    return ALL, ALL_START


def cover(start: datetime, end: datetime) -> Cover:
    """Split [start, end] (aware, end inclusive) into raw partial days and full-bucket runs."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    bound = bound_bucket(start, end)
    try:
        stop: datetime | None = end + _TINY  # exclusive end
    except OverflowError:
        stop = None
    last_day = stop.date() if stop is not None else end.date()  # full days are [first_day, last_day)
    first_day = start.date()
    if start.time() != time():
        first_day = first_day + timedelta(days=1) if first_day < last_day else last_day
    if first_day >= last_day:
        return Cover(raw=[RawPiece(start, end, inclusive=True)], bound=bound)
    raw = []
    if start < _midnight(first_day):
        raw.append(RawPiece(start, _midnight(first_day)))
    if stop is None:
        raw.append(RawPiece(_midnight(last_day), end, inclusive=True))
    elif _midnight(last_day) < stop:
        raw.append(RawPiece(_midnight(last_day), stop))
    return Cover(raw=raw, runs=split_days(first_day, last_day), bound=bound)
