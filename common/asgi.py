"""Django's ASGI handler, with the per-request worker thread kept for the next request.

Under ASGI, Django gives each request its own thread-sensitive context, so the request's sync
code (signal receivers, sync views, `response.close()`) runs on a thread of its own. Stock
Django makes a new one-thread executor for every request and shuts it down at the end: a thread
started and joined per request, which profiling showed to be the largest single cost of a
cheap request on this stack. asgiref lets the context run on an executor the caller owns; this
handler keeps a free list of such executors and hands one to each request, so every request
still has a thread to itself (same isolation, thread-local database connections handled by
Django's request signals as before) and no thread is created once the pool is warm.
"""

from __future__ import annotations

import functools
import inspect
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler

# Executors kept idle beyond this are shut down (a burst doesn't pin its threads forever).
MAX_IDLE_EXECUTORS = 64


class PooledThreadASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self._idle: list[ThreadPoolExecutor] = []

    def load_middleware(self, is_async: bool = False) -> None:
        """Django's, building the event-loop twin of each Django middleware of MIDDLEWARE
        (common.middleware.INLINE_TWINS) in its place. Runs once, at start-up."""
        from django.core.handlers import base

        from common.middleware import INLINE_TWINS

        real_import = base.import_string

        def twin_or_real(path: str) -> Any:
            return INLINE_TWINS.get(path) or real_import(path)

        base.import_string = twin_or_real  # load_middleware's only way to find the classes
        try:
            super().load_middleware(is_async=is_async)
        finally:
            base.import_string = real_import

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self._idle.pop() if self._idle else ThreadPoolExecutor(1, thread_name_prefix="django-request")
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            if len(self._idle) < MAX_IDLE_EXECUTORS:
                self._idle.append(executor)
            else:
                executor.shutdown(wait=False)


def get_asgi_application() -> PooledThreadASGIHandler:
    """django.core.asgi.get_asgi_application, with the pooled handler."""
    import django

    django.setup(set_prefix=False)
    return PooledThreadASGIHandler()


def tune_daphne() -> list[str]:
    """Switch off two pieces of Twisted's HTTP server that daphne pays for and never uses.

    * Form parsing: Twisted's Request parses every POST with a Content-Type into
      `request.args` (urlencoded forms, and multipart bodies through the `email` package), and
      starts with the `email` header parser even for JSON: about a tenth of the CPU of a score
      submission. Daphne builds the ASGI scope from the raw path and streams the raw body, and
      Django parses the body itself, so that work was thrown away (and a large multipart upload
      was parsed twice). Twisted has a switch for it, `parsePOSTFormSubmission`; daphne just
      doesn't pass it.
    * Twisted's access log: for every request Twisted's HTTPFactory formats a combined-log line
      and hands it to Twisted's legacy log, which daphne never reads (daphne writes its own
      access log, the one on its output). The line goes nowhere; only the formatting is spent.

    Each is applied only where daphne and Twisted still have the shape it expects; returns the
    names of those applied (the tests check both are, on the pinned versions).
    """
    try:
        from daphne.http_protocol import HTTPFactory, WebRequest
        from twisted.web.http import HTTPFactory as TwistedHTTPFactory
        from twisted.web.http import Request
    except ImportError:
        return []
    applied = []
    if getattr(WebRequest, "_form_parsing_skipped", False):
        applied.append("form parsing")
    elif "parsePOSTFormSubmission" in inspect.signature(Request.__init__).parameters:
        original = WebRequest.__init__

        @functools.wraps(original)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            kwargs["parsePOSTFormSubmission"] = False
            original(self, *args, **kwargs)

        WebRequest.__init__ = __init__  # type: ignore[method-assign]
        WebRequest._form_parsing_skipped = True  # type: ignore[attr-defined]
        applied.append("form parsing")
    if HTTPFactory.log is TwistedHTTPFactory.log:  # daphne doesn't override it (not yet skipped)

        def log(self: Any, request: Any) -> None:
            """Daphne logs the request itself (Server.log_action)."""

        log._skipped = True  # type: ignore[attr-defined]
        HTTPFactory.log = log  # type: ignore[method-assign]
    if getattr(HTTPFactory.log, "_skipped", False):
        applied.append("twisted access log")
    return applied
