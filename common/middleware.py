"""Request-level plumbing shared by every app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

# Paths whose own URLconf relies on trailing slashes.
_KEEP_SLASH_PREFIXES = ("/admin/", "/static/", "/media/")


class OptionalTrailingSlashMiddleware:
    """Every path answers with and without a trailing slash, for every method, without a redirect.

    URL patterns are written without the slash; this strips one from the request path before
    resolution. It also refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with a JSON 413, since
    DRF's JSON parser reads the stream without Django's size check.

    Sync and async capable, in Django's documented way ("Asynchronous support" in the
    middleware docs): it runs in the mode of the handler it is built into, so neither WSGI nor
    ASGI pays an adapter around it.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.async_mode:
            return self.__acall__(request)
        return refuse(request) or self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        return refuse(request) or await self.get_response(request)


def refuse(request: HttpRequest) -> HttpResponse | None:
    """Strip the trailing slash; a 413 for a body that is too large, else None."""
    path = request.path_info
    if len(path) > 1 and path.endswith("/") and not path.startswith(_KEEP_SLASH_PREFIXES):
        request.path_info = path.rstrip("/") or "/"
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and length > limit and not request.path_info.startswith("/admin/"):
        return JsonResponse(
            {"detail": f"The request body is larger than {limit} bytes.", "code": "request_too_large"},
            status=413,
        )
    return None
