"""Pure leaderboard rules (no Django import): periods, their keys and bounds, and the sorted-set
score that ranks players by value first and by who reached it first.

Periods are UTC: a calendar day, an ISO week (Monday 00:00 to the next Monday) and a calendar
month; `all` has no bounds.

Sorted-set score layout (Redis stores doubles, so only integers below 2**53 are exact):

    score = value * 2**33 + (2**33 - 1 - tie)

* `value` takes the high 20 bits: 0 <= value <= VALUE_MAX = 2**20 - 1 = 1,048,575. A game
  board holds one game's best (<= its max_score); the `all` board holds the sum of a player's
  bests, so the sum of every game's max_score must stay <= VALUE_MAX (Game validation checks it).
* `tie` takes the low 33 bits and says when the value was reached; a smaller tie gives a larger
  score, so on equal values whoever got there first ranks higher.
  - day, week and month boards: milliseconds since the period began (a 31-day month is
    2,678,400,000 ms < 2**33), so the row's date is decoded from the score;
  - `all`-time boards: the id of the score row that reached the value. Milliseconds since a
    fixed epoch would need 41 bits for 70 years and leave 12 bits for the value; seconds would
    fit but would rank two players who tie within the same second by user id. Row ids grow in
    submission order, so they order ties exactly; 2**33 allows 8.5 billion submissions. The
    row's date comes from that score row.
  On the `all` board the tie is the latest of the player's game ties (the moment the sum was
  reached). Equal value and equal tie (same millisecond) fall back to Redis's member order.

20 + 33 = 53 bits: every score is an exact integer in a double, in Redis and in Lua.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

PERIODS: tuple[str, ...] = ("all", "month", "week", "day")
ALL_BOARD = "all"

VALUE_BITS = 20
TIE_BITS = 33
VALUE_MAX = (1 << VALUE_BITS) - 1
TIE_MAX = (1 << TIE_BITS) - 1
SHIFT = 1 << TIE_BITS
# Period keys live this long after their period ends, so a process whose clock lags a little
# still finds the board it writes to; readers always pick the key of the current period.
EXPIRY_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class PeriodWindow:
    period: str
    key: str  # e.g. "all", "m2026-01", "w2026-W03", "d2026-01-15"
    start: datetime | None  # None for `all`
    end: datetime | None  # exclusive; None for `all`

    @property
    def timed(self) -> bool:
        """Ties are milliseconds since `start` (else score ids)."""
        return self.start is not None

    @functools.cached_property
    def start_ms(self) -> int | None:
        return None if self.start is None else epoch_ms(self.start)

    @functools.cached_property
    def expire_at(self) -> int:
        """Unix time at which the period's boards may go (0: never)."""
        return 0 if self.end is None else int((self.end + EXPIRY_GRACE).timestamp())


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("aware datetimes only")
    return at.astimezone(UTC)


def period_window(period: str, at: datetime) -> PeriodWindow:
    """The period of kind `period` that contains the instant `at`."""
    at = _utc(at)
    day = datetime(at.year, at.month, at.day, tzinfo=UTC)
    if period == "day":
        return PeriodWindow("day", f"d{day:%Y-%m-%d}", day, day + timedelta(days=1))
    if period == "week":
        start = day - timedelta(days=day.weekday())
        iso_year, iso_week, _ = day.isocalendar()
        return PeriodWindow("week", f"w{iso_year}-W{iso_week:02d}", start, start + timedelta(days=7))
    if period == "month":
        start = day.replace(day=1)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
        return PeriodWindow("month", f"m{start:%Y-%m}", start, end)
    if period == "all":
        return PeriodWindow("all", "all", None, None)
    raise ValueError(f"unknown period {period!r}")


def period_windows(at: datetime) -> list[PeriodWindow]:
    """The four windows containing `at` (a new list: callers may filter it)."""
    return list(_day_windows(_utc(at).date()))


@functools.lru_cache(maxsize=16)
def _day_windows(day: date) -> tuple[PeriodWindow, ...]:
    # Every period starts and ends at midnight UTC: the windows only depend on the day.
    at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return tuple(period_window(p, at) for p in PERIODS)


def tie_for(window: PeriodWindow, *, at: datetime, score_id: int) -> int:
    """The tie field of a score reached at `at` by row `score_id` (see the module docstring)."""
    return tie_at_ms(window, at_ms=epoch_ms(at), score_id=score_id)


def tie_at_ms(window: PeriodWindow, *, at_ms: int, score_id: int) -> int:
    """tie_for with the instant as whole milliseconds since the epoch (epoch_ms): periods start
    on a whole millisecond, so the milliseconds since the start are the difference."""
    tie = score_id if window.start_ms is None else at_ms - window.start_ms
    return min(max(tie, 0), TIE_MAX)


def time_of(window: PeriodWindow, tie: int) -> datetime | None:
    """The instant a timed tie stands for (to the millisecond); None on `all` boards."""
    return None if window.start is None else window.start + timedelta(milliseconds=tie)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def epoch_ms(at: datetime) -> int:
    """Whole milliseconds since the Unix epoch (floor, exact: no float arithmetic)."""
    return (_utc(at) - EPOCH) // _MS


def from_epoch_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def encode(value: int, tie: int) -> int:
    if not 0 <= value <= VALUE_MAX:
        raise ValueError(f"value {value} does not fit in {VALUE_BITS} bits")
    if not 0 <= tie <= TIE_MAX:
        raise ValueError(f"tie {tie} does not fit in {TIE_BITS} bits")
    return value * SHIFT + (TIE_MAX - tie)


def decode(score: float | int) -> tuple[int, int]:
    """(value, tie) of a sorted-set score (Redis hands scores back as floats: exact here)."""
    n = int(score)
    value, low = divmod(n, SHIFT)
    return value, TIE_MAX - low


def board_key(board: str, window: PeriodWindow) -> str:
    """Redis key of one board: `board` is a game slug or `all`."""
    return board_key_of(board, window.key)


def board_key_of(board: str, window_key: str) -> str:
    """board_key from the window's key (`PeriodWindow.key`)."""
    return f"lb:b:{board}:{window_key}"


def day_bounds(d: date) -> tuple[datetime, datetime]:
    """First and last microsecond of a UTC calendar day (reports take dates as whole days)."""
    start = datetime(d.year, d.month, d.day, tzinfo=UTC)
    return start, start + timedelta(days=1) - timedelta(microseconds=1)


def as_utc(value: datetime | str) -> datetime:
    """A timestamp from raw SQL (SQLite hands back strings or naive datetimes; storage is UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
