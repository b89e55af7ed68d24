"""The personal calendar feed (SPEC §3 "Calendar"): a key-authenticated iCalendar document,
because calendar apps can't send a JWT, and the signed-in endpoint that issues the key."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from calendars.feed import feed_cached
from calendars.selectors import calendar_items, calendar_owner
from calendars.serializers import CalendarFeedQuerySerializer, CalendarKeySerializer
from calendars.services import calendar_key_issue
from common.api import PublicApiView
from common.errors import NotFound
from common.schema import ERRORS_AUTH, error

CONTENT_TYPE = "text/calendar; charset=utf-8"


class ICalendarRenderer(BaseRenderer):
    """Lets a calendar app that asks for `text/calendar` only get its answer. The feed itself is
    an HttpResponse of bytes; an error (the 404 of a wrong key) arrives here as its JSON body."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


class CalendarFeedApi(PublicApiView):
    """GET /me/calendar.ics?key=: the feed; the key authenticates (no JWT). A wrong or revoked
    key is 404, like an address that doesn't exist."""

    renderer_classes = [JSONRenderer, ICalendarRenderer]

    @extend_schema(
        parameters=[CalendarFeedQuerySerializer],
        responses={
            (200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, description="An RFC 5545 VCALENDAR."),
            304: OpenApiResponse(description="Unchanged since the ETag sent in If-None-Match."),
            404: error("No feed for that key (wrong, revoked, or its owner's account is deactivated)."),
        },
        auth=[],
    )
    def get(self, request: Request) -> HttpResponse:
        user_id = calendar_owner(key=request.query_params.get("key", ""))
        if user_id is None:
            raise NotFound("No calendar feed with that key.", code="not_found")
        site = urlsplit(settings.SITE_URL)
        body, digest = feed_cached(
            calendar_items(user_id=user_id),
            host=site.hostname or "gameconnect",
            site_url=settings.SITE_URL,
            name="GameConnect",
        )
        etag = f'"{digest[:32]}"'
        if etag in request.headers.get("If-None-Match", ""):
            not_modified = HttpResponse(status=304)
            not_modified["ETag"] = etag
            return not_modified
        response = HttpResponse(body, content_type=CONTENT_TYPE)
        response["ETag"] = etag
        response["Content-Disposition"] = 'inline; filename="gameconnect.ics"'
        response["Cache-Control"] = "private, max-age=300"
        return response


class CalendarKeyApi(APIView):
    """POST /me/calendar/key: a new feed key (201 `{key, url}`); the previous key stops working."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: CalendarKeySerializer, 401: ERRORS_AUTH[401]})
    def post(self, request: Request) -> Response:
        key = calendar_key_issue(user=request.user)
        url = settings.SITE_URL.rstrip("/") + reverse("my-calendar-feed") + "?" + urlencode({"key": key})
        return Response(CalendarKeySerializer({"key": key, "url": url}).data, status=201)
