"""The session pages in a real browser, at phone and desktop sizes: find (/sessions), host and
edit (/sessions/new, /sessions/{id}/edit), cancel, join the waiting list and get promoted, post
results as the organizer, review as an attendee."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.conftest import api_call, audit_page, register_in_browser

pytestmark = pytest.mark.browser

PASSWORD = "S3cure-pass!9"


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def new_gamer(base: str, prefix: str) -> tuple[int, str]:
    """A fresh account made through the API: (id, access token)."""
    name = unique(prefix)
    body = api_call(
        base,
        "auth/register",
        body={"username": name, "email": f"{name.replace(' ', '.')}@example.com", "password": PASSWORD},
    )
    return body["user"]["id"], body["access"]


def browser_token(page: Any) -> str:
    return page.evaluate("localStorage.getItem('gc.access')")


def new_session(base: str, token: str, *, starts_in: timedelta, **fields: Any) -> dict:
    body = {
        "title": unique("E2E session"),
        "game": "Valorant",
        "platform": "pc",
        "starts_at": (datetime.now(UTC) + starts_in).isoformat(),
        "max_attendees": 5,
        **fields,
    }
    return api_call(base, "sessions/", token, body)


def test_host_edit_find_and_cancel_a_session(live_app, page_factory, size):
    base = live_app.url
    page = page_factory(**size[1])
    register_in_browser(page, base, unique("host"))
    page.goto(base + "/sessions")
    page.get_by_role("link", name="Host a session").click()
    page.wait_for_url(base + "/sessions/new")
    page.get_by_role("heading", name="Host a session").wait_for()

    title = unique("Rocket League cup")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Game", exact=True).fill("Rocket League")
    page.get_by_label("Description").fill("Three rounds, casual level.")
    page.get_by_label("Platform").select_option("pc")
    page.get_by_label("Seats (you included)").fill("6")
    page.get_by_label("Starts at").fill("2020-03-01T20:00")  # in the past: the API refuses it
    page.get_by_role("button", name="Host this session").click()
    error = page.locator("#starts_at-error")
    expect(error).to_have_text("A session must start in the future.")
    expect(page.get_by_label("Starts at")).to_have_attribute("aria-invalid", "true")
    audit_page(page, f"sessions-new-{size[0]}")

    later = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Starts at").fill(later)
    page.get_by_role("button", name="Host this session").click()
    page.wait_for_url(re.compile(r"/sessions/\d+$"))
    session_id = int(page.url.rsplit("/", 1)[1])
    page.get_by_role("heading", name=title).wait_for()
    expect(page.get_by_text("You are hosting this session.")).to_be_visible()
    expect(page.locator("#attendees")).to_have_text("1")
    expect(page.locator("#max")).to_have_text("6")
    # The organizer neither joins nor leaves their own session.
    expect(page.get_by_role("button", name="Join")).to_have_count(0)
    expect(page.get_by_role("button", name="Leave", exact=True)).to_have_count(0)

    page.get_by_role("link", name="Edit").click()
    page.wait_for_url(f"{base}/sessions/{session_id}/edit")
    expect(page.get_by_label("Title")).to_have_value(title)
    audit_page(page, f"sessions-edit-{size[0]}")
    page.get_by_label("Seats (you included)").fill("0")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#max_attendees-error")).to_contain_text("greater than or equal to 1")
    edited = title + " (finals)"
    page.get_by_label("Title").fill(edited)
    page.get_by_label("Seats (you included)").fill("8")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    expect(page.locator("#max_attendees-error")).to_have_count(0)

    # Found by its search words; the filters are in the address bar.
    page.goto(base + "/sessions")
    page.get_by_role("searchbox", name="Search").fill(edited.split()[-2])  # the unique part
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"search="))
    card = page.get_by_role("link", name=edited)
    expect(card).to_have_attribute("href", f"/sessions/{session_id}")
    expect(page.locator(".session-card")).to_have_count(1)
    expect(page.locator(".session-card")).to_contain_text("1 of 8 attending")
    audit_page(page, f"sessions-list-{size[0]}")
    page.reload()
    expect(page.get_by_role("searchbox", name="Search")).to_have_value(edited.split()[-2])
    expect(page.get_by_role("link", name=edited)).to_be_visible()

    page.goto(f"{base}/sessions/{session_id}/edit")
    page.get_by_role("button", name="Cancel this session").click()
    page.get_by_role("button", name="Yes, cancel the session").click()
    page.wait_for_url(base + "/sessions")
    expect(page.get_by_role("status").filter(has_text="was cancelled")).to_be_visible()
    with pytest.raises(Exception) as gone:
        api_call(base, f"sessions/{session_id}/")
    assert getattr(gone.value, "code", None) == 404


def test_list_filters_back_button_and_signed_out_view(live_app, page_factory, size):
    base = live_app.url
    _, token = new_gamer(base, "lister")
    game = unique("Tekken")
    pc = new_session(base, token, starts_in=timedelta(days=4), game=game, platform="pc")
    ps = new_session(base, token, starts_in=timedelta(days=6), game=game, platform="playstation")
    page = page_factory(**size[1])  # signed out: reading is public
    page.goto(f"{base}/sessions?game={game.replace(' ', '+')}")
    expect(page.locator(".session-card")).to_have_count(2)
    expect(page.get_by_role("link", name="Host a session")).to_be_hidden()
    page.get_by_label("Platform").select_option("playstation")
    page.wait_for_url(re.compile(r"platform=playstation"))
    expect(page.locator(".session-card")).to_have_count(1)
    expect(page.get_by_role("link", name=ps["title"])).to_be_visible()
    page.go_back()
    expect(page.get_by_label("Platform")).to_have_value("")
    expect(page.locator(".session-card")).to_have_count(2)
    # The day the first session starts on in Tunis (UTC+1): the second starts two days later.
    tunis_day = (datetime.fromisoformat(pc["starts_at"].replace("Z", "+00:00")) + timedelta(hours=1)).strftime(
        "%Y-%m-%d"
    )
    page.get_by_label("Starts on or before").fill(tunis_day)
    page.get_by_label("Starts on or before").dispatch_event("change")
    expect(page.get_by_role("link", name=pc["title"])).to_be_visible()
    expect(page.locator(".session-card")).to_have_count(1)
    page.get_by_label("Search").fill("no such session " + uuid.uuid4().hex)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("No session matches these filters.")).to_be_visible()

    page.goto(f"{base}/sessions/{pc['id']}")
    page.get_by_role("heading", name=pc["title"]).wait_for()
    expect(page.get_by_role("link", name="Sign in to join or like this session")).to_be_visible()
    expect(page.get_by_role("button", name="Join")).to_have_count(0)
    expect(page.get_by_role("button", name="Like")).to_have_count(0)
    page.goto(f"{base}/sessions/987654321")
    expect(page.get_by_role("heading", name="This session doesn't exist")).to_be_visible()


def test_waiting_list_promotion(live_app, page_factory, size):
    base = live_app.url
    _, host = new_gamer(base, "full host")
    _, first = new_gamer(base, "seat taker")
    session = new_session(base, host, starts_in=timedelta(days=2), max_attendees=2)
    api_call(base, f"sessions/{session['id']}/join", first, {})  # the organizer + 1: full

    page = page_factory(**size[1])
    register_in_browser(page, base, unique("waiter"))
    page.goto(f"{base}/sessions/{session['id']}")
    page.get_by_role("heading", name=session["title"]).wait_for()
    expect(page.locator("#tags")).to_contain_text("Full")
    expect(page.get_by_role("button", name="Join the waiting list")).to_be_visible()
    expect(page.get_by_role("button", name="Join", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.locator("#status")).to_have_text("You are number 1 on the waiting list.")
    expect(page.get_by_text("You are on the waiting list.")).to_be_visible()
    expect(page.get_by_role("button", name="Leave the waiting list")).to_be_visible()
    audit_page(page, f"session-waiting-{size[0]}")

    api_call(base, f"sessions/{session['id']}/leave", first, {})  # a seat frees: the waiter gets it
    page.reload()
    expect(page.get_by_text("You are attending this session.")).to_be_visible()
    expect(page.get_by_role("button", name="Leave", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Leave the waiting list")).to_have_count(0)
    expect(page.locator("#attendees")).to_have_text("2")
    notes = api_call(base, "me/notifications", browser_token(page))["results"]
    assert [n["kind"] for n in notes if n["kind"] == "waitlist_promotion"] == ["waitlist_promotion"]


def test_organizer_posts_results_after_the_start(live_app, page_factory, size):
    base = live_app.url
    page = page_factory(**size[1])
    register_in_browser(page, base, unique("results host"))
    host = browser_token(page)
    games = api_call(base, "leaderboard/games")
    game = next(g for g in games if g["trust"] == "open")
    ids = []
    names = []
    session = new_session(base, host, starts_in=timedelta(seconds=8), game=game["label"])
    for prefix in ("scorer", "overflow"):
        player_id, token = new_gamer(base, prefix)
        api_call(base, f"sessions/{session['id']}/join", token, {})
        ids.append(player_id)
        names.append(api_call(base, f"gamers/{player_id}", token)["username"])

    page.goto(f"{base}/sessions/{session['id']}")
    page.get_by_role("heading", name=session["title"]).wait_for()
    # The form appears by itself once the session has started (no reload).
    expect(page.get_by_role("heading", name="Post results")).to_be_visible(timeout=30000)
    expect(page.get_by_label("Leaderboard game")).to_have_value(game["slug"])
    expect(page.get_by_role("link", name="Scores waiting for your confirmation")).to_have_attribute(
        "href", "/leaderboards/pending"
    )
    page.get_by_label(f"Score of {names[0]}").fill("42")
    page.get_by_label(f"Score of {names[1]}").fill(str(game["max_score"] + 1))
    page.get_by_role("button", name="Post results").click()
    rows = page.locator("#results-rows tr")
    expect(rows.filter(has_text=names[0])).to_contain_text("Recorded")
    expect(rows.filter(has_text=names[1])).to_contain_text("Rejected: the score is out of this game's range.")
    expect(page.locator("#results-status")).to_have_text("1 of 2 scores recorded.")
    audit_page(page, f"session-results-{size[0]}")
    # Posting the same row again is refused as a duplicate, in words.
    page.get_by_role("button", name="Post results").click()
    expect(rows.filter(has_text=names[0])).to_contain_text("already posted")

    # A started session offers no Join (nor a waiting list) to anyone.
    outsider = page_factory(**size[1])
    register_in_browser(outsider, base, unique("late comer"))
    outsider.goto(f"{base}/sessions/{session['id']}")
    expect(outsider.locator("#tags")).to_have_text("Started")
    expect(outsider.get_by_role("button", name="Like")).to_be_visible()
    expect(outsider.get_by_role("button", name="Join")).to_have_count(0)
    expect(outsider.get_by_role("heading", name="Post results")).to_have_count(0)


def test_attendee_reviews_and_a_non_attendee_sees_no_form(live_app, page_factory, size):
    base = live_app.url
    _, host = new_gamer(base, "review host")
    session = new_session(base, host, starts_in=timedelta(days=1))

    outsider = page_factory(**size[1])
    register_in_browser(outsider, base, unique("outsider"))
    outsider.goto(f"{base}/sessions/{session['id']}")
    expect(outsider.get_by_role("button", name="Join", exact=True)).to_be_visible()
    expect(outsider.get_by_text("No reviews yet. Attendees can review the session.")).to_be_visible()
    expect(outsider.get_by_role("button", name="Publish my review")).to_have_count(0)
    expect(outsider.get_by_label("Rating")).to_be_hidden()

    page = page_factory(**size[1])
    register_in_browser(page, base, unique("reviewer"))
    page.goto(f"{base}/sessions/{session['id']}")
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.locator("#status")).to_have_text("You joined this session.")
    page.get_by_role("button", name="Publish my review").click()  # no rating yet
    expect(page.locator("#rating-error")).to_have_text("Choose a rating from 1 to 5.")
    page.get_by_label("Rating").select_option("4")
    page.get_by_label("Your words").fill("Friendly lobby, good comms.")
    page.get_by_role("button", name="Publish my review").click()
    expect(page.locator("#review-status")).to_have_text("Your review was published.")
    review = page.locator("#review-list li").filter(has_text="Friendly lobby, good comms.")
    expect(review).to_contain_text("4 stars")
    expect(page.locator("#rating")).to_have_value("4")
    page.get_by_role("button", name="Like").click()
    expect(page.locator("#likes")).to_have_text("1")
    expect(page.get_by_role("button", name="Unlike")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#attendee-list li")).to_have_count(2)
    expect(review).to_be_visible()
    audit_page(page, f"session-detail-{size[0]}")

    page.get_by_label("Rating").select_option("5")
    page.get_by_role("button", name="Save my review").click()
    expect(page.locator("#review-status")).to_have_text("Your review was saved.")
    expect(page.locator("#review-list li").first).to_contain_text("5 stars")
    page.get_by_role("button", name="Delete my review").click()
    expect(page.locator("#review-status")).to_have_text("Your review was deleted.")
    expect(page.get_by_text("No reviews yet. Attendees can review the session.")).to_be_visible()

    outsider.reload()
    outsider.get_by_role("button", name="Report this session").click()
    outsider.get_by_label("What is wrong with this session?").fill("Spam link in the description.")
    outsider.get_by_role("button", name="Send the report").click()
    expect(outsider.locator("#status")).to_have_text("Thank you. A moderator will look at your report.")


def test_only_the_organizer_or_an_admin_edits_and_staff_cancel(live_app, page_factory, size):
    base = live_app.url
    _, host = new_gamer(base, "guarded host")
    session = new_session(base, host, starts_in=timedelta(days=6))
    sentence = "Only the organizer of this session or an admin can edit it."

    gamer = page_factory(**size[1])
    register_in_browser(gamer, base, unique("curious"))
    gamer.goto(f"{base}/sessions/{session['id']}")
    expect(gamer.get_by_role("button", name="Join", exact=True)).to_be_visible()
    expect(gamer.get_by_role("link", name="Edit")).to_be_hidden()
    expect(gamer.get_by_role("link", name="Cancel this session")).to_be_hidden()
    gamer.goto(f"{base}/sessions/{session['id']}/edit")
    expect(gamer.get_by_text(sentence)).to_be_visible()
    expect(gamer.get_by_label("Title")).to_be_hidden()
    expect(gamer.get_by_role("button", name="Cancel this session")).to_be_hidden()

    moderator = page_factory(**size[1])
    moderator.goto(base + "/login")
    moderator.get_by_label("Username or email").fill("moderator")
    moderator.get_by_label("Password").fill("GameConnect2026!")
    moderator.get_by_role("button", name="Sign in").click()
    moderator.wait_for_url(base + "/")
    moderator.goto(f"{base}/sessions/{session['id']}")
    moderator.get_by_role("link", name="Cancel this session").click()
    expect(moderator.get_by_text(sentence)).to_be_visible()
    expect(moderator.get_by_label("Title")).to_be_hidden()
    moderator.get_by_role("button", name="Cancel this session").click()
    moderator.get_by_role("button", name="No, keep it").click()
    expect(moderator.get_by_role("button", name="Yes, cancel the session")).to_be_hidden()
    assert api_call(base, f"sessions/{session['id']}/")["id"] == session["id"]  # still there
    moderator.get_by_role("button", name="Cancel this session").click()
    moderator.get_by_role("button", name="Yes, cancel the session").click()
    moderator.wait_for_url(base + "/sessions")
    with pytest.raises(Exception) as gone:
        api_call(base, f"sessions/{session['id']}/")
    assert getattr(gone.value, "code", None) == 404


@pytest.mark.parametrize("path", ["/sessions", "/sessions/new", "/sessions/{id}", "/sessions/{id}/edit"])
def test_session_pages_run_under_the_policy_without_errors(live_app, page_factory, path):
    from e2e.test_csp import _violations, _watch

    base = live_app.url
    page = page_factory()
    register_in_browser(page, base, unique("policy host"))
    session = new_session(base, browser_token(page), starts_in=timedelta(days=2))
    errors = _watch(page)
    page.goto(base + path.format(id=session["id"]))
    page.locator("main h1:visible").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert _violations(page) == []
    assert [e for e in errors if "Content Security Policy" in e or "page error" in e] == []
