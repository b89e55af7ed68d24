"""HTTP through Django's own ASGI handler (what the servers run): every middleware of
settings.MIDDLEWARE does its job, and the chain switches threads only at its ends."""

from __future__ import annotations

from typing import Any

import pytest
from channels.testing import HttpCommunicator
from django.core.asgi import get_asgi_application
from django.test import Client


async def _call(path: str, method: str = "GET", body: bytes = b"", headers: list[Any] | None = None) -> Any:
    headers = [(b"host", b"testserver"), *(headers or [])]
    return await HttpCommunicator(get_asgi_application(), method, path, body, headers).get_response()


def _header(response: dict[str, Any], name: bytes) -> list[bytes]:
    return [v for k, v in response["headers"] if k.lower() == name]


@pytest.mark.django_db(transaction=True)
async def test_csrf_sessions_and_security_headers_work_under_asgi():
    page = await _call("/admin/login/")
    assert page["status"] == 200
    assert _header(page, b"x-frame-options") == [b"DENY"]
    assert _header(page, b"x-content-type-options") == [b"nosniff"]
    cookie = next(c for c in _header(page, b"set-cookie") if c.startswith(b"csrftoken="))
    token = cookie.split(b";")[0].split(b"=", 1)[1]
    form = [(b"content-type", b"application/x-www-form-urlencoded")]
    refused = await _call("/admin/login/", "POST", b"username=x&password=y", form)
    assert refused["status"] == 403  # no CSRF token: the check runs
    body = b"username=x&password=y&csrfmiddlewaretoken=" + token
    checked = await _call("/admin/login/", "POST", body, [*form, (b"cookie", b"csrftoken=" + token)])
    assert checked["status"] == 200  # accepted by the CSRF check; the form says the login is wrong
    assert b"correct username" in checked["body"]


@pytest.mark.django_db(transaction=True)
async def test_trailing_slash_and_body_limit_under_asgi(settings):
    games = await _call("/api/v1/leaderboard/games/")
    assert games["status"] == 200  # the slash is optional, no redirect
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    json_11 = [(b"content-type", b"application/json"), (b"content-length", b"11")]
    too_big = await _call("/api/v1/leaderboard/scores/", "POST", b"x" * 11, json_11)
    assert too_big["status"] == 413
    assert b"request_too_large" in too_big["body"]


@pytest.mark.django_db
def test_trailing_slash_and_body_limit_under_wsgi(settings):
    client = Client()
    assert client.get("/api/v1/leaderboard/games/").status_code == 200
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    too_big = client.post("/api/v1/leaderboard/scores/", b"x" * 11, content_type="application/json")
    assert too_big.status_code == 413 and too_big.json()["code"] == "request_too_large"


@pytest.mark.django_db(transaction=True)
async def test_request_signals_fire_for_api_requests_under_asgi():
    """Error reporting and metrics hook into request_started/request_finished: every request
    sends both (the old edge in front of Django's handler skipped them)."""
    from django.core.signals import request_finished, request_started

    seen: list[str] = []

    def started(**kwargs: Any) -> None:
        seen.append("started")

    def finished(**kwargs: Any) -> None:
        seen.append("finished")

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        headers = [(b"host", b"testserver"), (b"content-type", b"application/json")]
        body = b'{"game": "cod", "score": 1}'
        communicator = HttpCommunicator(get_asgi_application(), "POST", "/api/v1/leaderboard/scores", body, headers)
        response = await communicator.get_response()
        assert response["status"] == 401  # no token
        await communicator.wait(timeout=10)  # the handler closes the response after sending it
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert seen == ["started", "finished"]


@pytest.mark.parametrize("debug_static", [False, True])
def test_the_middleware_chain_switches_threads_only_at_its_ends_under_asgi(settings, caplog, debug_static):
    """Django logs each middleware it has to adapt to another mode (at DEBUG, on `django.request`;
    documented in "Asynchronous support"). Only the sync-only last one may be: everything above
    it then runs synchronously in one thread, instead of a thread switch per MiddlewareMixin hook.
    WhiteNoise (also sync-only, present with DEBUG off) must not add a switch either."""
    from django.core.handlers.asgi import ASGIHandler

    settings.DEBUG = True  # Django logs the adaptations only in debug mode
    if debug_static:
        settings.MIDDLEWARE = [
            *settings.MIDDLEWARE[:2],
            "whitenoise.middleware.WhiteNoiseMiddleware",
            *settings.MIDDLEWARE[2:],
        ]
    assert settings.MIDDLEWARE[-1] == "common.middleware.OptionalTrailingSlashMiddleware"
    with caplog.at_level("DEBUG", logger="django.request"):
        ASGIHandler().load_middleware(is_async=True)
    # A set: the record reaches caplog through the logger's handler and again through the root's.
    adapted = {r.getMessage() for r in caplog.records if "handler adapted for" in r.getMessage()}
    assert adapted == {"Asynchronous handler adapted for middleware common.middleware.OptionalTrailingSlashMiddleware."}
