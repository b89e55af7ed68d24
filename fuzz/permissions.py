"""Which operations a plain gamer may call, read from the permission matrix
(moderation/tests/matrix.py), the tests' one table of who may do what."""

from __future__ import annotations

import re
from functools import cache

from django.urls import resolve

from moderation.tests.matrix import GAMER, OWNER, ROWS

# A sample value per path parameter, enough for the URL resolver to name the route.
_SAMPLES = {"id": "1", "board": "all", "provider": "google", "username": "someone"}


@cache
def _allowed() -> dict[tuple[str, str], frozenset[str]]:
    return {(row.name, row.method): row.allowed for row in ROWS}


def matrix_allows_gamer(method: str, path: str) -> bool:
    """True unless the matrix reserves the operation to moderators or admins (an operation the
    matrix doesn't know counts as allowed, so it gets the full fuzzing)."""
    url = re.sub(r"\{(\w+)\}", lambda m: _SAMPLES.get(m.group(1), "1"), path)
    allowed = _allowed().get((resolve(url).url_name or "", method.upper()))
    return allowed is None or bool(allowed & {GAMER, OWNER})
