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
        "/password/reset",
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
    assert '<a href="/password/reset">Forgot your password?</a>' in html


def test_login_page_shows_no_social_button_without_credentials(client, settings):
    settings.GOOGLE_CLIENT_ID = settings.GOOGLE_CLIENT_SECRET = ""
    settings.DISCORD_CLIENT_ID = settings.DISCORD_CLIENT_SECRET = ""
    html = client.get("/login").content.decode()
    assert "data-social" not in html and "Sign in with" not in html


def test_login_page_shows_a_button_per_configured_provider_with_its_public_id_only(client, settings):
    settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET = "google-id.apps", "google-secret"
    settings.DISCORD_CLIENT_ID, settings.DISCORD_CLIENT_SECRET = "1234", ""  # no secret: not configured
    html = client.get("/login").content.decode()
    assert 'data-social="google"' in html and 'data-client-id="google-id.apps"' in html
    assert 'data-authorize="https://accounts.google.com/o/oauth2/v2/auth"' in html
    assert 'data-scope="openid email profile"' in html
    assert "Sign in with Google" in html
    assert 'data-social="discord"' not in html
    assert "google-secret" not in html


@pytest.mark.parametrize("provider", ["google", "discord"])
def test_social_callback_page_is_served_for_each_provider(client, provider):
    response = client.get(f"/auth/callback/{provider}?code=abc&state=xyz")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-provider="{provider}"' in html and "/static/js/social.js" in html


def test_social_callback_page_of_an_unknown_provider_is_the_404_page(client):
    response = client.get("/auth/callback/facebook?code=abc", HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


@pytest.mark.parametrize(
    ("path", "script"),
    [
        ("/me", "me.js"),
        ("/me/notifications", "notifications.js"),
        ("/me/coins", "coins.js"),
        ("/gamers/1", "gamer.js"),
        ("/register", "auth.js"),
    ],
)
def test_account_pages_are_served_with_their_script_and_nothing_inline(client, path, script):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/static/js/{script}" in html and "/static/css/accounts.css" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html and " on" + "click=" not in html


def test_account_script_is_served(client):
    from django.contrib.staticfiles import finders

    path = finders.find("js/account.js")
    assert path
    source = open(path, encoding="utf-8").read()
    for endpoint in ["auth/email/verify", "auth/password/reset", "auth/password/reset/confirm"]:
        assert f'"{endpoint}"' in source
