"""Request-level plumbing shared by every app."""

from __future__ import annotations

from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

from common.hashers import HashingBusy

# Paths whose own URLconf relies on trailing slashes.
_KEEP_SLASH_PREFIXES = ("/admin/", "/static/", "/media/")


class OptionalTrailingSlashMiddleware:
    """Every path answers with and without a trailing slash, for every method, without a redirect.

    URL patterns are written without the slash; this strips one from the request path before
    resolution. It also refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with a JSON 413, since
    DRF's JSON parser reads the stream without Django's size check.

    Synchronous only, and last in MIDDLEWARE, on purpose. Django builds the chain from the bottom
    up and runs each middleware in the mode of the handler below it when it can ("Asynchronous
    support" in Django's middleware docs): a sync-only middleware at the bottom makes every
    middleware above it (all of them sync capable) run synchronously, so under ASGI the whole
    chain runs in one worker thread, entered once. With an async handler at the bottom instead,
    each MiddlewareMixin hook (process_request, process_response) is its own sync_to_async call,
    a thread switch each: about 1.5 ms of CPU per request on this stack (docs/deployment.md).
    common/tests/test_asgi_http.py checks with Django's own debug log that only this
    middleware is adapted.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return refuse(request) or self.get_response(request)


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


class HashingBusyMiddleware(MiddlewareMixin):
    """A view outside DRF (the admin's login, Django's password forms) whose password hash found
    no free slot (common/hashers.py): 503 with Retry-After, JSON under /api/ and a short page
    elsewhere, instead of a 500. DRF views answer it in common.exceptions."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, HashingBusy):
            return None
        if request.path_info.startswith("/api/"):
            response: HttpResponse = JsonResponse(exception.as_dict(), status=503)
        else:
            response = HttpResponse(
                "<!doctype html><title>Busy</title><h1>Busy</h1><p>The server is busy signing other people in."
                " Try again in a moment.</p>",
                status=503,
            )
        response["Retry-After"] = str(exception.retry_after)
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (CONTENT_SECURITY_POLICY in settings), with the WebSocket origin
    of the page added to connect-src: `ws://host` over http, `wss://host` over https. CSP 3 lets
    'self' cover them, but not every browser in use does; the host is known only per request."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        try:
            host = request.get_host()
        except DisallowedHost:
            return parts
        socket_origin = f"{'wss' if request.is_secure() else 'ws'}://{host}"
        update = dict(parts.update or {})
        update["connect-src"] = [*(update.get("connect-src") or []), socket_origin]
        parts.update = update
        return parts
