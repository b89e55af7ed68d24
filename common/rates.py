"""Throttle rates as written in settings (`THROTTLE_*_RATE`), as a pure function.

DRF's `SimpleRateThrottle.parse_rate` reads only the first letter of the period, so `10/15min`
(SPEC §2's per-account login rate) would be read as "1..." and fail with a KeyError on the
first request. This accepts `<requests>/<period>` where the period is an optional count followed
by a unit: `10/min`, `600/minute`, `10/15min`, `5/2h`, `100/30 s`. No Django import: settings
validates the rates with it at start-up, so a typo stops the process instead of every login.
"""

from __future__ import annotations

import re

_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([A-Za-z]+)\s*$")


def parse_rate(rate: str) -> tuple[int, int]:
    """`(requests allowed, window in seconds)` for a rate string. Raises ValueError naming the rate
    when it is not `<n>/<k><unit>` with a known unit, or when the window would be zero."""
    match = _RATE.match(rate or "")
    unit = _UNITS.get(match.group(3).lower()) if match else None
    if match is None or unit is None:
        raise ValueError(
            f"{rate!r} is not a rate: write <requests>/<period>, e.g. 10/min, 600/hour or 10/15min"
            " (units s, min, h, day)"
        )
    count = int(match.group(2)) if match.group(2) else 1
    if count == 0:
        raise ValueError(f"{rate!r} is not a rate: its period is zero")
    return int(match.group(1)), count * unit
