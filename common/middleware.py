"""Request-level plumbing shared by every app.

Under ASGI every middleware runs on the event loop without a thread hop. Django's
`MiddlewareMixin` runs each `process_request`/`process_response` of a built-in middleware
through `sync_to_async` (a trip to a worker thread and back), and a sync-only middleware
splits the chain in two adapters; with the stock list that made more than a dozen thread
switches per request. The hooks of the built-ins we use only look at headers and cookies (no
I/O), so the `Inline*` subclasses below call them directly on the loop; the hooks that can do
I/O (a session save, the CSRF check of a non-exempt view, which reads the body) still go to a
thread. Settings keep Django's dotted paths (its deploy checks look for them); the ASGI handler
(common/asgi.py) builds the twin listed in INLINE_TWINS instead. WSGI runs Django's classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware
from whitenoise.middleware import WhiteNoiseMiddleware

# Paths whose own URLconf relies on trailing slashes.
_KEEP_SLASH_PREFIXES = ("/admin/", "/static/", "/media/")


class _EitherMode:
    """A middleware that runs in the mode of the chain it is built into: `_acall` when the next
    handler is a coroutine (ASGI), `_call` when it isn't (WSGI). Call `_set_mode` in __init__."""

    sync_capable = True
    async_capable = True
    async_mode = False

    def _set_mode(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        return self._acall(request) if self.async_mode else self._call(request)

    def _call(self, request: HttpRequest) -> Any:
        raise NotImplementedError

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError


class OptionalTrailingSlashMiddleware(_EitherMode):
    """Every path answers with and without a trailing slash, for every method, without a redirect.

    URL patterns are written without the slash; this strips one from the request path before
    resolution. It also refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with a JSON 413, since
    DRF's JSON parser reads the stream without Django's size check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self._set_mode(get_response)

    def _call(self, request: HttpRequest) -> Any:
        return self._refuse(request) or self.get_response(request)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        return self._refuse(request) or await self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse | None:
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


class _InlineHooks:
    """For a MiddlewareMixin whose hooks do no I/O: in async mode call them on the loop."""

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        response = None
        if hasattr(self, "process_request"):
            response = self.process_request(request)
        response = response or await self.get_response(request)  # type: ignore[attr-defined]
        if hasattr(self, "process_response"):
            response = await self._aprocess_response(request, response)
        return response

    async def _aprocess_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        return self.process_response(request, response)  # type: ignore[attr-defined]


class InlineSecurityMiddleware(_InlineHooks, SecurityMiddleware):
    pass


class InlineCommonMiddleware(_InlineHooks, CommonMiddleware):
    pass


class InlineXFrameOptionsMiddleware(_InlineHooks, XFrameOptionsMiddleware):
    pass


class InlineAuthenticationMiddleware(_InlineHooks, AuthenticationMiddleware):
    """Sets the lazy `request.user` / `request.auser`; nothing is loaded until they are used."""


class InlineMessageMiddleware(_InlineHooks, MessageMiddleware):
    """Message storage (cookie, then session) only touches the request and the response."""


class InlineSessionMiddleware(_InlineHooks, SessionMiddleware):
    """Loading the session is lazy; only saving it touches the database, in a thread."""

    async def _aprocess_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST):
            return await sync_to_async(self.process_response, thread_sensitive=True)(request, response)
        return self.process_response(request, response)


class InlineCsrfViewMiddleware(_InlineHooks, CsrfViewMiddleware):
    """The cookie checks run inline; checking a non-exempt view (which reads the body) in a thread."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)
        if self.async_mode:
            # The handler picks process_view up after __init__: give it a coroutine, so an
            # exempt view (every API view) costs no thread hop.
            self.process_view = self._aprocess_view  # type: ignore[method-assign]

    async def _aprocess_view(
        self, request: HttpRequest, callback: Any, callback_args: Any, callback_kwargs: Any
    ) -> HttpResponse | None:
        if getattr(request, "csrf_processing_done", False) or getattr(callback, "csrf_exempt", False):
            return None
        check = super().process_view
        return await sync_to_async(check, thread_sensitive=True)(request, callback, callback_args, callback_kwargs)


class InlineWhiteNoiseMiddleware(_EitherMode, WhiteNoiseMiddleware):
    """WhiteNoise (production static files) is sync-only; in async mode look the path up on the
    loop (a dict lookup without autorefresh) and serve a hit from a thread."""

    def __init__(self, get_response: Callable[[HttpRequest], Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(get_response, *args, **kwargs)
        self._set_mode(get_response)

    def _call(self, request: HttpRequest) -> Any:
        return WhiteNoiseMiddleware.__call__(self, request)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        if self.autorefresh:
            static_file = await sync_to_async(self.find_file, thread_sensitive=False)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            return await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)
        return await self.get_response(request)


# Django's middleware -> the twin the ASGI handler builds in its place.
INLINE_TWINS = {
    "django.middleware.security.SecurityMiddleware": InlineSecurityMiddleware,
    "django.contrib.sessions.middleware.SessionMiddleware": InlineSessionMiddleware,
    "django.middleware.common.CommonMiddleware": InlineCommonMiddleware,
    "django.middleware.csrf.CsrfViewMiddleware": InlineCsrfViewMiddleware,
    "django.contrib.auth.middleware.AuthenticationMiddleware": InlineAuthenticationMiddleware,
    "django.contrib.messages.middleware.MessageMiddleware": InlineMessageMiddleware,
    "django.middleware.clickjacking.XFrameOptionsMiddleware": InlineXFrameOptionsMiddleware,
    "whitenoise.middleware.WhiteNoiseMiddleware": InlineWhiteNoiseMiddleware,
}
