"""Every middleware runs on the event loop under ASGI, and still does its job there."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import AsyncClient
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string

from common.middleware import InlineWhiteNoiseMiddleware


def test_every_middleware_runs_its_hooks_on_the_event_loop():
    for path in [*settings.MIDDLEWARE, "common.middleware.InlineWhiteNoiseMiddleware"]:
        cls = import_string(path)
        assert getattr(cls, "async_capable", False), path
        if issubclass(cls, MiddlewareMixin):
            # MiddlewareMixin's own __acall__ sends every hook through sync_to_async.
            assert cls.__acall__ is not MiddlewareMixin.__acall__, path
    assert InlineWhiteNoiseMiddleware.sync_capable


@pytest.mark.django_db(transaction=True)
async def test_csrf_sessions_and_security_headers_work_under_asgi():
    client = AsyncClient(enforce_csrf_checks=True)
    page = await client.get("/admin/login/")
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "csrftoken" in page.cookies
    refused = await client.post("/admin/login/", {"username": "x", "password": "y"})
    assert refused.status_code == 403  # no CSRF token: the check still runs (in a thread)
    token = page.cookies["csrftoken"].value
    wrong = await client.post("/admin/login/", {"username": "x", "password": "y", "csrfmiddlewaretoken": token})
    assert wrong.status_code == 200  # checked, accepted, the form says the login is wrong


async def test_trailing_slash_and_body_limit_under_asgi(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    client = AsyncClient()
    too_big = await client.post("/api/v1/leaderboard/scores/", "x" * 11, content_type="application/json")
    assert too_big.status_code == 413
    assert too_big.json()["code"] == "request_too_large"
