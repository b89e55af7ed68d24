"""Template context every page shares (SPEC §9): the time zone the pages show times in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def pages(request: HttpRequest) -> dict[str, Any]:
    return {"DISPLAY_TIME_ZONE": settings.DISPLAY_TIME_ZONE}
