"""The edge: the hottest write endpoint answered in front of Django's ASGI handler.

`POST /leaderboard/scores` is already answered on the event loop by common.fastpath, but a
request that reaches it has crossed Django's ASGI handler first: the request_started and
request_finished signals (each a trip to the request's thread), a task watching for the
client going away, URL resolution and nine middleware, for about as much CPU as the
submission itself. `Edge(app)` sits in front of the handler for the URLs registered with
`fast_view(..., edge=True)` (no URL parameters) and gives the request straight to the same
`FastRoute.answer`, with the same Django request object. What the middleware of MIDDLEWARE do
to such a request is done here by calling those middleware's own hooks:

* before: SecurityMiddleware's SSL redirect and CommonMiddleware's checks (ALLOWED_HOSTS, the
  user-agent and `www.` rules) must let the request through;
* after: the response hooks that set headers (security headers, X-Frame-Options, CORS and its
  `Vary`, Content-Length) run on the response, in Django's order.

The other middleware have nothing to do for such a request: the view is CSRF-exempt and
authenticates by token, so the session and the user are never loaded and no message is
stored. A request carrying cookies, a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (the JSON
413 of OptionalTrailingSlashMiddleware), a bad host, a redirect, or anything the fast route
hands back (wrong method, no token, invalid input, see common.fastpath) goes to Django's
handler unchanged, with the body it sent. If MIDDLEWARE holds a middleware not listed below,
the edge takes nothing at all. `leaderboard/tests/test_edge.py` compares every header, status
and body with Django's own answer.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.exception import response_for_exception
from django.http import HttpRequest, HttpResponse
from django.urls import get_resolver, reverse
from django.utils.log import log_response
from django.utils.module_loading import import_string

logger = logging.getLogger("gameconnect.edge")
# Requests of edge routes answered here / handed to Django's handler (tests, benchmark).
stats: Counter[str] = Counter()

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _unused(request: HttpRequest) -> HttpResponse:  # the get_response the hooks are never passed to
    raise AssertionError("edge middleware hooks don't call the chain")


# What each middleware does to an edge request. "request": its process_request may answer
# (then Django's handler takes the request); "response": its process_response adds headers;
# "cors": corsheaders' add_response_headers; None: nothing for a token-authenticated,
# CSRF-exempt JSON request without cookies (see the module docstring).
_ROLES: dict[str, tuple[str, ...]] = {
    "common.middleware.OptionalTrailingSlashMiddleware": (),
    "django.middleware.security.SecurityMiddleware": ("request", "response"),
    "whitenoise.middleware.WhiteNoiseMiddleware": (),
    "corsheaders.middleware.CorsMiddleware": ("cors",),
    "django.contrib.sessions.middleware.SessionMiddleware": (),
    "django.middleware.common.CommonMiddleware": ("request", "response"),
    "django.middleware.csrf.CsrfViewMiddleware": (),
    "django.contrib.auth.middleware.AuthenticationMiddleware": (),
    "django.contrib.messages.middleware.MessageMiddleware": (),
    "django.middleware.clickjacking.XFrameOptionsMiddleware": ("response",),
}


class _Middleware:
    """The hooks of MIDDLEWARE that act on edge requests, or None if one is unknown."""

    def __init__(self, paths: list[str]) -> None:
        self.request_hooks: list[Callable[[HttpRequest], Any]] = []
        self.response_hooks: list[Callable[[HttpRequest, HttpResponse], Any]] = []
        for path in paths:
            roles = _ROLES[path]
            if not roles:
                continue
            instance = import_string(path)(_unused)
            if "request" in roles:
                self.request_hooks.append(instance.process_request)
            if "response" in roles:
                self.response_hooks.append(instance.process_response)
            if "cors" in roles:
                self.response_hooks.append(instance.add_response_headers)
        self.response_hooks.reverse()  # Django runs response hooks from the last middleware up

    @classmethod
    def load(cls) -> _Middleware | None:
        unknown = [path for path in settings.MIDDLEWARE if path not in _ROLES]
        if unknown:
            logger.info("edge off: no edge role for middleware %s", ", ".join(unknown))
            return None
        return cls(list(settings.MIDDLEWARE))


class Edge:
    """ASGI app: edge routes answered here, everything else passed to `app` untouched."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app
        self._loaded = False
        self.routes: dict[str, Any] = {}  # path -> FastRoute
        self.middleware: _Middleware | None = None

    def load(self) -> None:
        """Routes and middleware hooks, on first use (the URLconf imports the views)."""
        from common.fastpath import EDGE_VIEWS

        get_resolver().url_patterns  # noqa: B018 - imports the URLconf, which registers the views
        self.middleware = _Middleware.load()
        self.routes = {}
        if self.middleware is not None:
            for view in EDGE_VIEWS:
                path = reverse(view)
                # OptionalTrailingSlashMiddleware: both spellings are the same endpoint.
                self.routes[path] = self.routes[path + "/"] = view.fast_route  # type: ignore[attr-defined]
        self._loaded = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if not self._loaded:
            self.load()
        route = self.routes.get(scope["path"])
        if route is None or scope.get("root_path") or not self._plain(scope):
            return await self.app(scope, receive, send)
        body, complete = await _read_body(receive)
        if not complete:
            return None  # the client went away before sending its whole body
        request = self._admit(scope, body)
        response = None
        if request is not None:
            try:
                response = await route.answer(request)
            except Exception as exc:  # noqa: BLE001 - answered as Django answers an unhandled error
                response = response_for_exception(request, exc)
        if response is None:
            stats["to django"] += 1
            return await self.app(scope, _replay(body, receive), send)
        stats["answered"] += 1
        assert self.middleware is not None
        for hook in self.middleware.response_hooks:
            response = hook(request, response)
        if response.status_code >= 400:
            # As Django's handler does (django.request): "Too Many Requests: /api/...". Once.
            log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        await _send(response, send)
        return None

    @staticmethod
    def _plain(scope: Scope) -> bool:
        """No cookies, a declared body within DATA_UPLOAD_MAX_MEMORY_SIZE."""
        length = None
        for name, value in scope["headers"]:
            if name == b"cookie":
                return False
            if name == b"content-length":
                length = value
        if length is None or not length.isdigit():
            return False
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return limit is None or int(length) <= limit

    def _admit(self, scope: Scope, body: bytes) -> ASGIRequest | None:
        """The Django request, if no middleware would answer it before the view."""
        request = ASGIRequest(scope, io.BytesIO(body))
        assert self.middleware is not None
        try:
            for hook in self.middleware.request_hooks:
                if hook(request) is not None:
                    return None
        except Exception:  # noqa: BLE001 - a bad host, a refused user agent...: Django answers it
            return None
        return request


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` for Django's handler: the body already read, then the real channel."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> dict[str, Any]:
        return pending.pop() if pending else await receive()

    return replay


async def _send(response: HttpResponse, send: Send) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
    for cookie in response.cookies.values():
        headers.append((b"set-cookie", cookie.output(header="").encode("ascii").strip()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.content})
