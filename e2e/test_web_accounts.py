"""The account pages in a real browser, each journey at phone and desktop size: register (every
field error at once, then the mailed verification link), forgot and reset the password, /me
(bio, avatar, password, notification mails, Discord code, calendar link, delete), the social
sign-in callback's errors, the coin history, notifications and public profiles."""

from __future__ import annotations

import io
import re
import urllib.error
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from e2e.conftest import api_call, audit_page, new_live_app, serving
from e2e.test_account_mail_pages import mailed_link, same_server

pytestmark = pytest.mark.browser

PASSWORD = "S3cure-pass!9"


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def email_of(username: str) -> str:
    return f"{username.replace(' ', '.')}@example.com"


def new_account(base: str, username: str, password: str = PASSWORD) -> dict:
    """A fresh account made through the API: {"user", "access", "refresh"}."""
    return api_call(
        base, "auth/register", None, {"username": username, "email": email_of(username), "password": password}
    )


def sign_in(page, base: str, login: str, password: str = PASSWORD, next_path: str = "") -> None:
    page.goto(base + "/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Username or email").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(base + (next_path or "/"))


def png_bytes(color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (48, 48), color).save(buffer, format="PNG")
    return buffer.getvalue()


def field_error(page, field_id: str):
    return page.locator(f"#{field_id}-error")


def test_register_shows_every_field_error_at_once_then_the_mailed_link_verifies_the_email(live_app, page_factory, size):
    page = page_factory(**size[1])
    page.goto(live_app.url + "/register")
    audit_page(page, f"register-{size[0]}")

    # Everything wrong: three errors at once, each under its field, in words.
    page.get_by_label("Username").fill("ab")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password").fill("1234")
    page.get_by_role("button", name="Create account").click()
    expect(field_error(page, "username")).to_have_text("A username has 4 to 50 characters.")
    expect(field_error(page, "email")).to_contain_text("doesn't look like an email address")
    expect(field_error(page, "password")).to_have_text("A password has at least 8 characters.")
    expect(page.get_by_label("Username")).to_have_attribute("aria-invalid", "true")
    audit_page(page, f"register-errors-{size[0]}")

    # A taken name (another case of a demo account's) goes under the username field too.
    page.get_by_label("Username").fill("ADMIN")
    page.get_by_label("Email").fill(email_of(unique("taken")))
    page.get_by_label("Password").fill(PASSWORD)
    expect(page.locator("#username-status")).to_have_text("This username is taken. Try another one.")
    page.get_by_role("button", name="Create account").click()
    expect(field_error(page, "username")).to_contain_text("taken")
    expect(field_error(page, "email")).to_have_count(0)
    expect(field_error(page, "password")).to_have_count(0)

    # The server's own checks (a common password) also land under their field, in words.
    name = unique("newcomer")
    page.get_by_label("Username").fill(name)
    expect(page.locator("#username-status")).to_have_text("This username is available.")
    page.get_by_label("Email").fill(email_of(name))
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Create account").click()
    expect(field_error(page, "password")).to_contain_text("too common")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(live_app.url + "/")
    expect(page.locator("#account-name")).to_have_text(name)

    page.goto(live_app.url + "/me")
    expect(page.locator("#email-pending")).to_have_text("Not verified yet")
    page.get_by_role("button", name="Mail me a new link").click()
    expect(page.locator("#email-resend-status")).to_contain_text("A new verification link is on its way")

    page.goto(same_server(live_app, mailed_link(live_app, email_of(name), "/verify-email")))
    expect(page.get_by_role("status")).to_have_text("Thanks: your email address is verified.")
    page.get_by_role("link", name="Go to my account").click()
    page.wait_for_url(live_app.url + "/me")
    expect(page.locator("#email-verified")).to_be_visible()
    expect(page.locator("#email-pending")).to_be_hidden()
    expect(page.get_by_role("button", name="Mail me a new link")).to_be_hidden()


def test_forgot_password_then_reset_through_the_mailed_link_and_sign_in(live_app, page_factory, size):
    name = unique("forgetful")
    new_account(live_app.url, name)
    page = page_factory(**size[1])
    page.goto(live_app.url + "/login")
    audit_page(page, f"login-{size[0]}")
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url(live_app.url + "/password/reset")
    page.get_by_role("button", name="Mail me a link").click()
    expect(field_error(page, "email")).to_have_text("Type the email of your account.")
    page.get_by_label("Email").fill(email_of(name))
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_role("status")).to_contain_text("If an account uses that email")
    audit_page(page, f"password-reset-{size[0]}")

    page.goto(same_server(live_app, mailed_link(live_app, email_of(name), "/reset-password")))
    page.get_by_label("New password").fill("12345678")
    page.get_by_role("button", name="Set password").click()
    expect(field_error(page, "new_password")).to_contain_text("numeric")
    page.get_by_label("New password").fill("Brand-new-pass!7")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")

    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.wait_for_url(live_app.url + "/login")
    page.get_by_label("Username or email").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong username/email or password")
    sign_in(page, live_app.url, name, "Brand-new-pass!7")
    expect(page.locator("#account-name")).to_have_text(name)


def test_me_saves_bio_avatar_password_and_notification_mails_then_deletes_the_account(live_app, page_factory, size):
    name = unique("me page")
    new_account(live_app.url, name)
    page = page_factory(**size[1])
    sign_in(page, live_app.url, name, next_path="/me")
    expect(page.get_by_label("Bio")).to_be_visible()
    expect(page.locator("#email-current")).to_have_text(email_of(name))
    audit_page(page, f"me-{size[0]}")

    # Not a picture: the avatar field says so, in words.
    page.get_by_label("Avatar").set_input_files(
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image"}
    )
    page.get_by_role("button", name="Save profile").click()
    expect(field_error(page, "avatar")).to_contain_text("not a picture we can read")

    page.get_by_label("Avatar").set_input_files({"name": "me.png", "mimeType": "image/png", "buffer": png_bytes()})
    expect(page.locator("#avatar-preview")).to_have_attribute("src", re.compile(r"^data:image/png"))
    page.get_by_label("Bio").fill("Support main, late-night ranked.")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#profile-status")).to_have_text("Your profile is saved.")
    expect(page.locator("#avatar-preview")).to_have_attribute("src", re.compile(r"/media/"))
    expect(field_error(page, "avatar")).to_have_count(0)

    # Notification mails: one checkbox per kind, in words; the choice is kept.
    reminders = page.get_by_label("Reminders before my sessions start")
    expect(reminders).to_be_checked()
    reminders.uncheck()
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.locator("#notify-status")).to_have_text("Your notification settings are saved.")

    # Password: a wrong current one is said under its field; the right one keeps this tab signed in.
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password").fill("Another-pass!42")
    page.get_by_role("button", name="Change password").click()
    expect(field_error(page, "current_password")).to_have_text("This is not your current password.")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-status")).to_contain_text("Your password is changed")

    page.reload()
    expect(page.get_by_label("Bio")).to_have_value("Support main, late-night ranked.")
    expect(page.get_by_label("Reminders before my sessions start")).not_to_be_checked()
    expect(page.get_by_label("A seat freed up for me on a waiting list")).to_be_checked()
    token = api_call(live_app.url, "auth/token", None, {"login": name, "password": "Another-pass!42"})["access"]
    me = api_call(live_app.url, "auth/me", token)
    assert me["bio"] == "Support main, late-night ranked." and me["avatar_url"]
    assert me["notify"]["session_reminder"] is False and me["notify"]["waitlist_promotion"] is True

    # Discord code and calendar link.
    page.get_by_role("button", name="Get a link code").click()
    expect(page.locator("#discord-code")).to_have_text(re.compile(r"^\S{8}$"))
    page.get_by_role("button", name="Get my calendar link").click()
    expect(page.get_by_label("Calendar link")).to_have_value(re.compile(r"/me/calendar\.ics\?key="))
    audit_page(page, f"me-filled-{size[0]}")

    # Delete, after a confirmation step that can be backed out of.
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_role("button", name="Keep my account").click()
    expect(page.get_by_role("button", name="Yes, delete it for good")).to_be_hidden()
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_role("button", name="Yes, delete it for good").click()
    page.wait_for_url(live_app.url + "/")
    with pytest.raises(urllib.error.HTTPError) as refused:
        api_call(live_app.url, "auth/token", None, {"login": name, "password": "Another-pass!42"})
    assert refused.value.code == 401


def test_an_admin_gets_a_sentence_instead_of_the_delete_button(live_app, page_factory, size):
    page = page_factory(**size[1])
    sign_in(page, live_app.url, "admin", "GameConnect2026!", next_path="/me")
    expect(page.get_by_text("Admins can't delete their own account.")).to_be_visible()
    expect(page.get_by_role("button", name="Delete my account")).to_be_hidden()


def test_the_social_callback_refuses_a_state_it_did_not_start_and_explains_a_disabled_provider(
    live_app, page_factory, size
):
    page = page_factory(**size[1])
    page.goto(live_app.url + "/auth/callback/google?code=abc&state=forged")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("did not start on this page")
    expect(page).to_have_url(live_app.url + "/auth/callback/google")  # the code left the address bar
    expect(page.get_by_role("link", name="Back to sign in")).to_be_visible()
    audit_page(page, f"callback-google-{size[0]}")

    # The state /login kept matches: the code goes to the API, which has no Discord credentials here.
    page.goto(live_app.url + "/login")
    expect(page.locator("[data-social]")).to_have_count(0)  # no provider configured: no button
    page.evaluate(
        """() => sessionStorage.setItem("gc.oauth", JSON.stringify({provider: "discord", state: "s1", next: "/me"}))"""
    )
    page.goto(live_app.url + "/auth/callback/discord?code=abc&state=s1")
    expect(page.get_by_role("alert")).to_contain_text("not available right now")

    page.goto(live_app.url + "/auth/callback/discord?error=access_denied&state=s1")
    expect(page.get_by_role("alert")).to_contain_text("cancelled")


@pytest.fixture(scope="module")
def social_app(tmp_path_factory):
    """A server with Google and Discord client credentials set (they are never used: no network)."""
    app = new_live_app(tmp_path_factory.mktemp("social"))
    app.env.update(
        {
            "GOOGLE_CLIENT_ID": "e2e-google-id.apps.googleusercontent.com",
            "GOOGLE_CLIENT_SECRET": "e2e-google-secret",
            "DISCORD_CLIENT_ID": "1234567890",
            "DISCORD_CLIENT_SECRET": "e2e-discord-secret",
        }
    )
    with serving(app):
        yield app


@pytest.mark.parametrize(
    ("provider", "authorize", "scope"),
    [
        ("Google", "https://accounts.google.com/o/oauth2/v2/auth", "openid email profile"),
        ("Discord", "https://discord.com/oauth2/authorize", "identify email"),
    ],
)
def test_a_configured_provider_button_sends_the_browser_to_its_authorize_url_with_a_kept_state(
    social_app, page_factory, size, provider, authorize, scope
):
    page = page_factory(**size[1])
    asked = []

    def provider_page(route):  # stands in for the provider (there is no network here)
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>provider</title>")

    page.route(authorize + "*", provider_page)
    page.goto(social_app.url + "/login?next=/me/coins")
    expect(page.get_by_role("button", name="Sign in with Google")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in with Discord")).to_be_visible()
    if provider == "Google":
        audit_page(page, f"login-social-{size[0]}")
    page.get_by_role("button", name=f"Sign in with {provider}").click()
    page.wait_for_url(authorize + "*")
    page.go_back()  # the tab's sessionStorage of our origin keeps the state for the callback page
    expect(page).to_have_url(re.compile(re.escape(social_app.url + "/login?")))
    kept = page.evaluate("""() => JSON.parse(sessionStorage.getItem("gc.oauth"))""")
    query = {k: v[0] for k, v in parse_qs(urlsplit(asked[0]).query).items()}
    key = provider.lower()
    assert query["client_id"] == {"google": "e2e-google-id.apps.googleusercontent.com", "discord": "1234567890"}[key]
    assert query["redirect_uri"] == f"{social_app.url}/auth/callback/{key}"
    assert query["response_type"] == "code" and query["scope"] == scope
    assert len(query["state"]) == 32 and kept == {"provider": key, "state": query["state"], "next": "/me/coins"}
    assert "secret" not in asked[0]


def test_coin_history_shows_the_starting_coins(live_app, page_factory, size):
    name = unique("coins")
    new_account(live_app.url, name)
    page = page_factory(**size[1])
    sign_in(page, live_app.url, name, next_path="/me/coins")
    expect(page.locator("#balance")).to_have_text("100 coins")
    row = page.get_by_role("row").filter(has_text="Starting coins")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(1)).to_have_text("+100")
    expect(row.get_by_role("cell").nth(3)).to_have_text("100")
    audit_page(page, f"coins-{size[0]}")


def test_a_waiting_list_promotion_appears_in_my_notifications_and_is_marked_read(live_app, page_factory, size):
    organizer, seated, waiter = (new_account(live_app.url, unique(n)) for n in ("host", "seated", "waiter"))
    starts = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    title = unique("Promo night")
    session = api_call(
        live_app.url,
        "sessions",
        organizer["access"],
        {"title": title, "game": "Chess", "platform": "pc", "starts_at": starts, "max_attendees": 2},
    )
    api_call(live_app.url, f"sessions/{session['id']}/join", seated["access"], {})
    api_call(live_app.url, f"sessions/{session['id']}/join", waiter["access"], {"wait": True})  # full: waits
    api_call(live_app.url, f"sessions/{session['id']}/leave", seated["access"], method="POST")

    page = page_factory(**size[1])
    sign_in(page, live_app.url, waiter["user"]["username"], next_path="/me/notifications")
    item = page.get_by_role("listitem").filter(has_text=title)
    expect(item).to_have_count(1)
    expect(item.get_by_text("Unread")).to_be_visible()
    expect(page.locator("#account-unread")).to_have_text("1")
    audit_page(page, f"notifications-{size[0]}")

    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_role("status").filter(has_text="marked as read")).to_have_text("1 notification marked as read.")
    expect(item.get_by_text("Unread")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark all as read")).to_be_hidden()
    expect(page.locator("#account-unread")).to_be_hidden()
    item.get_by_role("link").click()
    page.wait_for_url(live_app.url + f"/sessions/{session['id']}")


def test_my_notifications_say_when_there_are_none(live_app, page_factory, size):
    name = unique("quiet")
    new_account(live_app.url, name)
    page = page_factory(**size[1])
    sign_in(page, live_app.url, name, next_path="/me/notifications")
    expect(page.get_by_text("No notifications yet.")).to_be_visible()
    expect(page.get_by_role("button", name="Mark all as read")).to_be_hidden()


def test_a_gamer_profile_needs_sign_in_shows_the_profile_and_says_when_nobody_has_that_id(live_app, page_factory, size):
    name = unique("profiled")
    account = new_account(live_app.url, name)
    api_call(live_app.url, "auth/me", account["access"], {"bio": "Speedrunner."}, method="PATCH")
    page = page_factory(**size[1])
    page.goto(live_app.url + f"/gamers/{account['user']['id']}")
    expect(page.get_by_text("Sign in to see gamer profiles.")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("Username or email").fill("player one")
    page.get_by_label("Password").fill("GameConnect2026!")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(live_app.url + f"/gamers/{account['user']['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_text("Speedrunner.")).to_be_visible()
    expect(page.locator("#gamer-role")).to_have_text("Gamer")
    expect(page.locator("#gamer-coins")).to_have_text("100")
    expect(page.locator("#gamer-hosted")).to_have_text("0")
    expect(page.get_by_role("link", name="Edit my profile")).to_be_hidden()
    audit_page(page, f"gamer-{size[0]}")

    page.goto(live_app.url + "/gamers/987654321")
    expect(page.get_by_text("There is no gamer with this number.")).to_be_visible()
    expect(page.locator("#gamer-profile")).to_be_hidden()


def test_the_discord_link_page_explains_an_incomplete_link(live_app, page_factory, size):
    page = page_factory(**size[1])
    page.goto(live_app.url + "/discord/link")
    expect(page.get_by_role("status")).to_have_text("This link is incomplete. Send /link to the bot for a new one.")
    expect(page.get_by_role("button", name="Link Discord")).to_be_hidden()
    audit_page(page, f"discord-link-{size[0]}")


def test_the_account_pages_mirror_in_arabic(live_app, page_factory, size):
    account = new_account(live_app.url, unique("rtl"))
    page = page_factory(**size[1])
    page.context.add_cookies([{"name": "django_language", "value": "ar", "url": live_app.url}])
    page.goto(live_app.url + "/register")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("document.documentElement.scrollWidth") <= size[1]["width"]
    audit_page(page, f"register-ar-{size[0]}")
    page.evaluate(
        "([access, refresh]) => { localStorage.setItem('gc.access', access); localStorage.setItem('gc.refresh', refresh); }",
        [account["access"], account["refresh"]],
    )
    page.goto(live_app.url + "/me")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("#bio")).to_be_visible()
    expect(page.locator("#email-current")).to_have_text(account["user"]["email"])
    assert page.evaluate("document.documentElement.scrollWidth") <= size[1]["width"]
    audit_page(page, f"me-ar-{size[0]}")
