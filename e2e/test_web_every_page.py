"""Every page, at phone and desktop size, in English and in Arabic: it loads without a script
error or a Content-Security-Policy violation, fits the screen, is right-to-left with translated
labels in Arabic, and axe-core finds no serious or critical accessibility problem. Screenshots
of each go to test-artifacts/pages/ (SPEC §9)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.conftest import SIZES, api_call, audit_page
from gamers.seed import DEMO_PASSWORD

pytestmark = pytest.mark.browser

PASSWORD = DEMO_PASSWORD  # the demo accounts of seed_demo
RECORD_ERRORS = """
window.__pageErrors = [];
document.addEventListener("securitypolicyviolation", (e) => window.__pageErrors.push(`CSP ${e.violatedDirective} ${e.blockedURI}`));
"""

# (name, path, who is signed in: None | "gamer" | "admin"). {session}, {event}, {gamer} are filled in.
PAGES = [
    ("home", "/", None),
    ("sessions", "/sessions", None),
    ("session", "/sessions/{session}", None),
    ("session-new", "/sessions/new", "gamer"),
    ("session-edit", "/sessions/{session}/edit", "admin"),
    ("events", "/events", None),
    ("event-new", "/events/new", "gamer"),
    ("event", "/events/{event}", None),
    ("event-checkin", "/events/{event}/checkin", "admin"),
    ("tickets", "/me/tickets", "gamer"),
    ("play", "/play", "gamer"),
    ("leaderboards", "/leaderboards", None),
    ("leaderboards-pending", "/leaderboards/pending", "admin"),
    ("login", "/login", None),
    ("register", "/register", None),
    ("password-reset", "/password/reset", None),
    ("reset-password", "/reset-password?uid=x&token=y", None),
    ("verify-email", "/verify-email?uid=x&token=y", None),
    ("auth-callback", "/auth/callback/google?code=x&state=y", None),
    ("me", "/me", "gamer"),
    ("notifications", "/me/notifications", "gamer"),
    ("coins", "/me/coins", "gamer"),
    ("gamer", "/gamers/{gamer}", "gamer"),
    ("discord-link", "/discord/link", "gamer"),
    ("not-found", "/no/such/page", None),
]
LANGUAGES = ["en", "ar"]


@pytest.fixture(scope="module")
def fixtures(live_app: Any) -> dict[str, Any]:
    """A session and an event of the demo admin, and a fresh gamer with their tokens."""
    admin = api_call(live_app.url, "auth/token", body={"login": "admin", "password": PASSWORD})
    name = f"walker {uuid.uuid4().hex[:8]}"
    gamer = api_call(
        live_app.url, "auth/register", body={"username": name, "email": f"{name[7:]}@example.com", "password": PASSWORD}
    )
    soon = datetime.now(UTC) + timedelta(days=5)
    session = api_call(
        live_app.url,
        "sessions/",
        admin["access"],
        {
            "title": "Every-page scrim",
            "game": "Valorant",
            "platform": "pc",
            "starts_at": soon.isoformat(),
            "max_attendees": 4,
        },
    )
    event = api_call(
        live_app.url,
        "events/",
        admin["access"],
        {
            "title": "Every-page festival",
            "description": "Music and games in the medina.",
            "starts_at": (soon + timedelta(days=3)).isoformat(),
            "location": "Dar Lasram",
            "city": "Tunis",
            "category": "festival",
            "tickets_total": 50,
            "ticket_price": "12.50",
        },
    )
    return {
        "ids": {"session": session["id"], "event": event["id"], "gamer": gamer["user"]["id"]},
        "tokens": {"admin": admin, "gamer": gamer},
    }


def open_page(
    page_factory: Any, live_app: Any, fixtures: dict, size: str, lang: str, path: str, who: str | None
) -> Any:
    page = page_factory(**SIZES[size])
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.add_init_script(RECORD_ERRORS)
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_app.url}])
    if who:
        tokens = fixtures["tokens"][who]
        page.goto(live_app.url + "/favicon.ico")  # our origin, so the tokens land in its localStorage
        page.evaluate(
            "([a, r]) => { localStorage.setItem('gc.access', a); localStorage.setItem('gc.refresh', r); }",
            [tokens["access"], tokens["refresh"]],
        )
    page.goto(live_app.url + path.format(**fixtures["ids"]))
    page.locator("main h1:visible").first.wait_for()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".state-loading:visible")).to_have_count(0)
    page.errors = errors
    return page


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize(("name", "path", "who"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_loads_fits_and_passes_axe(
    live_app: Any, page_factory: Any, fixtures: dict, name: str, path: str, who: str | None, size: str, lang: str
) -> None:
    page = open_page(page_factory, live_app, fixtures, size, lang, path, who)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    if lang == "ar":
        # The interface is translated: the main navigation reads in Arabic script.
        nav = page.get_by_role("navigation", name="الرئيسية").inner_text()
        assert "Sessions" not in nav and any("\u0600" <= c <= "\u06ff" for c in nav), nav
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways"
    assert page.errors == [] and page.evaluate("window.__pageErrors") == []
    audit_page(page, f"{name}-{size}-{lang}")


@pytest.mark.parametrize("size", sorted(SIZES))
def test_switching_to_arabic_turns_the_page_right_to_left(live_app: Any, page_factory: Any, size: str) -> None:
    page = page_factory(**SIZES[size])
    page.goto(live_app.url + "/sessions")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("link", name="Events", exact=True)).to_be_visible()
    page.get_by_label("Language").select_option("ar")  # the switcher submits on change
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    assert page.url.endswith("/sessions")  # back on the same page
    expect(page.get_by_role("link", name="الفعاليات", exact=True)).to_be_visible()
    # The header starts on the right in Arabic: the brand sits right of the navigation.
    brand = page.locator(".brand").bounding_box()
    nav_box = page.locator(".mainnav").bounding_box()
    assert brand and nav_box
    if size == "desktop":
        assert brand["x"] > nav_box["x"]
    # Scripts speak Arabic too: a date on the page is written by the JavaScript catalog's language.
    page.wait_for_function("window.GC && GC.gettext('Loading…') !== 'Loading…'")
    page.get_by_label("اللغة").select_option("en")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
