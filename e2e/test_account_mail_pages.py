"""Mailed links through the pages, as a newcomer running `make run` would follow them: the mail
is read from the server's console output (EMAIL_URL unset), and its link opened in the browser."""

from __future__ import annotations

import re
import time

import pytest

from e2e.conftest import register_in_browser

pytestmark = pytest.mark.browser


def mailed_link(live_app, to: str, path: str, timeout: float = 10.0) -> str:
    """The newest SITE_URL link to `path` in a mail to `to` that the server printed."""
    deadline = time.monotonic() + timeout
    while True:
        log = live_app.log_path.read_text(errors="replace")
        mails = [chunk for chunk in log.split("Subject: ")[1:] if f"To: {to}" in chunk]
        links = [link for mail in mails for link in re.findall(r"https?://\S+" + re.escape(path) + r"\?\S+", mail)]
        if links:
            return links[-1]
        assert time.monotonic() < deadline, f"no mail to {to} with a {path} link"
        time.sleep(0.1)


def same_server(live_app, link: str) -> str:
    """The link's path and query on the live server (SITE_URL is the default localhost:8000)."""
    return live_app.url + link[link.index("/", len("https://")) :]


def test_register_then_follow_the_verification_link(live_app, page_factory):
    page = page_factory()
    register_in_browser(page, live_app.url, "mail reader")
    link = mailed_link(live_app, "mail.reader@example.com", "/verify-email")
    page.goto(same_server(live_app, link))
    page.get_by_text("your email address is verified").wait_for()
    me = page.evaluate(
        """async () => (await fetch("/api/v1/auth/me",
             {headers: {Authorization: `Bearer ${localStorage.getItem("gc.access")}`}})).json()"""
    )
    assert me["email_verified"] is True


def test_forgot_password_then_reset_it_through_the_mailed_link(live_app, page_factory):
    page = page_factory()
    register_in_browser(page, live_app.url, "forgetful one")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.click()  # shown once signed out
    page.wait_for_url(live_app.url + "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("forgetful.one@example.com")
    page.get_by_role("button", name="Mail me a link").click()
    page.get_by_text("If an account uses that email").wait_for()

    link = mailed_link(live_app, "forgetful.one@example.com", "/reset-password")
    page.goto(same_server(live_app, link))
    page.get_by_label("New password").fill("Brand-new-pass!7")
    page.get_by_role("button", name="Set password").click()
    page.get_by_text("Your password is changed").wait_for()

    page.goto(live_app.url + "/login")
    page.get_by_label("Username or email").fill("forgetful one")
    page.get_by_label("Password").fill("Brand-new-pass!7")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_app.url + "/")
    page.locator("#account-name").wait_for()
    assert page.locator("#account-name").inner_text() == "forgetful one"
