"""The pages mailed links open (/verify-email, /reset-password) and /forgot-password: served,
with their script, without inline scripts or styles (a strict CSP allows neither)."""

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/verify-email?uid=MQ&token=abc-123",
        "/reset-password?uid=MQ&token=abc-123",
        "/forgot-password",
        "/forgot-password/",
    ],
)
def test_account_page_is_served_with_its_script_and_nothing_inline(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/js/account.js" in html
    assert '<main id="main"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert "<style" not in html and " style=" not in html and " on" + "click=" not in html


def test_login_page_links_to_forgot_password(client):
    html = client.get("/login").content.decode()
    assert '<a href="/forgot-password">Forgot your password?</a>' in html


def test_account_script_is_served(client):
    from django.contrib.staticfiles import finders

    path = finders.find("js/account.js")
    assert path
    source = open(path, encoding="utf-8").read()
    for endpoint in ["auth/email/verify", "auth/password/reset", "auth/password/reset/confirm"]:
        assert f'"{endpoint}"' in source
