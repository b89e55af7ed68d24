"""Under ASGI every middleware runs on the event loop (common.asgi builds the Inline twins of
Django's), and still does its job there."""

from __future__ import annotations

from typing import Any

import pytest
from channels.testing import HttpCommunicator
from django.conf import settings
from django.utils.deprecation import MiddlewareMixin

from common.asgi import PooledThreadASGIHandler
from common.middleware import INLINE_TWINS, InlineWhiteNoiseMiddleware


def _chain(handler: PooledThreadASGIHandler) -> list[type]:
    """The middleware classes of the handler, outermost first."""
    found, link = [], handler._middleware_chain
    while link is not None:
        link = getattr(link, "__wrapped__", link)  # convert_exception_to_response's wrapper
        if not hasattr(link, "get_response"):
            break
        found.append(type(link))
        link = link.get_response
    return found


def test_the_asgi_handler_runs_every_middleware_hook_on_the_event_loop():
    classes = _chain(PooledThreadASGIHandler())
    assert len(classes) == len(settings.MIDDLEWARE)
    for path, cls in zip(settings.MIDDLEWARE, classes, strict=True):
        if path in INLINE_TWINS:
            assert cls is INLINE_TWINS[path]
        assert getattr(cls, "async_capable", False), path
        if issubclass(cls, MiddlewareMixin):
            # MiddlewareMixin's own __acall__ sends every hook through sync_to_async.
            assert cls.__acall__ is not MiddlewareMixin.__acall__, path
    assert InlineWhiteNoiseMiddleware.async_capable and InlineWhiteNoiseMiddleware.sync_capable


async def _call(path: str, method: str = "GET", body: bytes = b"", headers: list[Any] | None = None) -> Any:
    headers = [(b"host", b"testserver"), *(headers or [])]
    return await HttpCommunicator(PooledThreadASGIHandler(), method, path, body, headers).get_response()


def _header(response: dict[str, Any], name: bytes) -> list[bytes]:
    return [v for k, v in response["headers"] if k.lower() == name]


@pytest.mark.django_db(transaction=True)
async def test_csrf_sessions_and_security_headers_work_on_the_loop():
    page = await _call("/admin/login/")
    assert page["status"] == 200
    assert _header(page, b"x-frame-options") == [b"DENY"]
    assert _header(page, b"x-content-type-options") == [b"nosniff"]
    cookie = next(c for c in _header(page, b"set-cookie") if c.startswith(b"csrftoken="))
    token = cookie.split(b";")[0].split(b"=", 1)[1]
    form = [(b"content-type", b"application/x-www-form-urlencoded")]
    refused = await _call("/admin/login/", "POST", b"username=x&password=y", form)
    assert refused["status"] == 403  # no CSRF token: the check still runs (in a thread)
    body = b"username=x&password=y&csrfmiddlewaretoken=" + token
    checked = await _call("/admin/login/", "POST", body, [*form, (b"cookie", b"csrftoken=" + token)])
    assert checked["status"] == 200  # accepted by the CSRF check; the form says the login is wrong
    assert b"correct username" in checked["body"]


async def test_trailing_slash_and_body_limit_on_the_loop(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    json_11 = [(b"content-type", b"application/json"), (b"content-length", b"11")]
    too_big = await _call("/api/v1/leaderboard/scores/", "POST", b"x" * 11, json_11)
    assert too_big["status"] == 413
    assert b"request_too_large" in too_big["body"]
