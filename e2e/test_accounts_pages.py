"""Accounts through the pages: register, sign out, sign in, errors shown to the user."""

import pytest

from e2e.conftest import register_in_browser

pytestmark = pytest.mark.browser


def test_register_sign_out_and_sign_in_through_the_pages(live_app, page_factory):
    page = page_factory()
    register_in_browser(page, live_app.url, "browser user")
    account = page.locator("#account-name")
    account.wait_for()
    assert account.inner_text() == "browser user"
    assert page.locator("#account-coins").inner_text() == "100"

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_app.url + "/")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Username or email").fill("BROWSER USER")
    page.get_by_label("Password").fill("S3cure-pass!9")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_app.url + "/")
    page.locator("#account-name").wait_for()
    assert page.locator("#account-name").inner_text() == "browser user"


def test_wrong_password_is_shown_on_the_login_page(live_app, page_factory):
    page = page_factory()
    page.goto(live_app.url + "/login")
    page.get_by_label("Username or email").fill("admin")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Wrong username/email or password" in alert.inner_text()


def test_pages_fit_a_phone_screen(live_app, page_factory):
    page = page_factory(width=375, height=740)
    page.goto(live_app.url + "/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
