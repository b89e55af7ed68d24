"""The Content-Security-Policy header on every page (django-csp; e2e/test_csp.py checks the pages
in a real browser), and pages with nothing inline for it to block."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
# Every web page (docs/web.md) and the other HTML the site serves.
PAGES = [
    "/",
    "/play",
    "/login",
    "/register",
    "/leaderboards",
    "/leaderboards/pending",
    "/sessions",
    "/sessions/new",
    "/sessions/1",
    "/sessions/1/edit",
    "/events",
    "/events/new",
    "/events/1",
    "/events/1/checkin",
    "/me",
    "/me/tickets",
    "/me/notifications",
    "/me/coins",
    "/gamers/1",
    "/password/reset",
    "/reset-password",
    "/verify-email",
    "/auth/callback/google",
    "/discord/link",
    "/admin/login/",
    "/api/docs",
    "/api/redoc",
]


def _policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_strict_policy(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no host
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["connect-src"] == ["'self'", "ws://testserver"]
    expected_styles = ["'self'", "'unsafe-inline'"] if path == "/api/redoc" else ["'self'"]
    assert policy["style-src"] == expected_styles


def test_sockets_over_https_are_wss_of_the_same_host(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = False
    response = Client().get("/", secure=True, HTTP_HOST="localhost")
    assert _policy(response)["connect-src"] == ["'self'", "wss://localhost"]


def test_json_answers_carry_the_policy_too() -> None:
    assert "frame-ancestors 'none'" in Client().get("/api/v1/leaderboard/games")["Content-Security-Policy"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_style_or_handler(path: str) -> None:
    html = Client().get(path).content.decode()
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []
    assert "<style" not in html
    assert re.findall(r"\son[a-z]+\s*=", html) == []
    assert re.findall(r"\sstyle\s*=", html) == []


def test_the_swagger_script_is_served_from_its_own_url() -> None:
    page = Client().get("/api/docs").content.decode()
    assert '<script src="/api/docs?script="></script>' in page
    script = Client().get("/api/docs?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.django_db
def test_the_admin_dashboard_is_styled_without_style_attributes(admin: Any) -> None:
    client = Client()
    client.force_login(admin)
    html = client.get("/admin/").content.decode()
    assert 'id="dashboard"' in html
    assert "css/admin_dashboard.css" in html
    assert re.findall(r"\sstyle\s*=", html) == []
