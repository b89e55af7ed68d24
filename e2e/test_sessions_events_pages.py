"""A session join and a ticket purchase through the pages, against a live server."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from e2e.conftest import api_call, register_in_browser

pytestmark = pytest.mark.browser


def host_token(base: str) -> str:
    return api_call(base, "auth/token", body={"login": "admin", "password": "GameConnect2026!"})["access"]


def test_join_and_like_a_session_through_its_page(live_app, page_factory):
    starts = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    session = api_call(
        live_app.url,
        "sessions/",
        host_token(live_app.url),
        {"title": "E2E scrim", "game": "Valorant", "platform": "pc", "starts_at": starts, "max_attendees": 5},
    )
    page = page_factory()
    register_in_browser(page, live_app.url, "session joiner")
    page.goto(f"{live_app.url}/sessions/{session['id']}")
    page.get_by_role("heading", name="E2E scrim").wait_for()
    expect(page.locator("#attendees")).to_have_text("1")  # the organizer attends their own session
    page.get_by_role("button", name="Join").click()
    page.get_by_text("You joined this session.").wait_for()
    expect(page.locator("#attendees")).to_have_text("2")
    expect(page.get_by_role("button", name="Leave")).to_be_visible()
    page.get_by_role("button", name="Like").click()
    page.get_by_text("Liked!").wait_for()
    expect(page.locator("#likes")).to_have_text("1")


def test_buy_tickets_and_bookmark_through_the_event_page(live_app, page_factory):
    starts = (datetime.now(UTC) + timedelta(days=9)).isoformat()
    event = api_call(
        live_app.url,
        "events/",
        host_token(live_app.url),
        {
            "title": "E2E Festival de Carthage",
            "starts_at": starts,
            "location": "Théâtre romain",
            "city": "Tunis",
            "category": "festival",
            "tickets_total": 30,
            "ticket_price": "25.00",
        },
    )
    page = page_factory()
    register_in_browser(page, live_app.url, "ticket buyer")
    page.goto(f"{live_app.url}/events/{event['id']}")
    page.get_by_role("heading", name="E2E Festival de Carthage").wait_for()
    page.get_by_label("Tickets", exact=True).fill("3")
    page.get_by_role("button", name="Buy").click()
    page.get_by_text("You bought 3 tickets for TND 75.00.").wait_for()
    expect(page.get_by_text("27 of 30 left")).to_be_visible()
    page.get_by_role("button", name="Bookmark").click()
    page.get_by_text("Bookmarked.").wait_for()
    expect(page.get_by_role("button", name="Remove bookmark")).to_be_visible()


def test_home_lists_upcoming_events_for_anonymous_visitors(live_app, page_factory):
    page = page_factory()
    page.goto(live_app.url + "/")
    first = page.locator("#events li a").first
    first.wait_for()
    assert first.get_attribute("href").startswith("/events/")
