"""The event pages in a real browser, at phone and desktop sizes: finding events, buying and
cancelling tickets, showing them with their QR codes, and checking people in at the door."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.conftest import api_call, audit_page
from gamers.seed import DEMO_PASSWORD

pytestmark = pytest.mark.browser

PASSWORD = DEMO_PASSWORD  # the demo accounts of seed_demo


def admin_tokens(base: str) -> dict:
    return api_call(base, "auth/token", body={"login": "admin", "password": PASSWORD})


def new_user(base: str, prefix: str) -> dict:
    """A fresh account (its tokens and user), made through the API."""
    name = f"{prefix} {uuid.uuid4().hex[:8]}"
    return api_call(
        base,
        "auth/register",
        body={"username": name, "email": f"{name.replace(' ', '.')}@example.com", "password": PASSWORD},
    )


def new_event(base: str, token: str, *, days: float = 10, total: int = 20, price: str = "25.00", **fields: Any) -> dict:
    body = {
        "title": f"E2E concert {uuid.uuid4().hex[:8]}",
        "starts_at": (datetime.now(UTC) + timedelta(days=days)).isoformat(),
        "location": "Théâtre municipal",
        "city": "Tunis",
        "category": "music",
        "tickets_total": total,
        "ticket_price": price,
        **fields,
    }
    return api_call(base, "events/", token, body)


def signed_in(page_factory: Any, size: tuple, base: str, tokens: dict | None) -> Any:
    """A page of its own browser context, signed in with `tokens` (or anonymous)."""
    page = page_factory(**size[1])
    page.add_init_script(RECORD_VIOLATIONS)
    if tokens:
        page.goto(base + "/favicon.svg")
        page.evaluate(
            "([a, r]) => { localStorage.setItem('gc.access', a); localStorage.setItem('gc.refresh', r); }",
            [tokens["access"], tokens["refresh"]],
        )
    return page


def fits(page: Any) -> None:
    """No horizontal scrolling (tables scroll inside their .table-wrap), and no CSP violation."""
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert page.evaluate("window.__cspViolations || []") == []


RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


def test_buy_show_and_check_in_a_ticket(live_app, page_factory, size):
    base = live_app.url
    admin = admin_tokens(base)
    event = new_event(base, admin["access"], total=20, price="12.50")
    buyer = new_user(base, "buyer")

    page = signed_in(page_factory, size, base, buyer)
    page.goto(f"{base}/events/{event['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(event["title"])
    expect(page.get_by_text("20 seats left")).to_be_visible()
    expect(page.get_by_role("link", name="Check people in")).to_be_hidden()  # not the organizer
    audit_page(page, f"event-{size[0]}")
    fits(page)

    quantity = page.get_by_label("Tickets", exact=True)
    quantity.fill("11")
    page.get_by_role("button", name="Buy").click()
    expect(page.locator("#quantity-error")).to_contain_text("10")
    expect(quantity).to_have_attribute("aria-invalid", "true")
    quantity.fill("2")
    page.get_by_role("button", name="Buy").click()
    bought = page.get_by_role("region", name="Your tickets")
    expect(bought).to_contain_text("You bought 2 tickets for")
    expect(bought.locator("code")).to_have_count(2)
    expect(page.get_by_text("18 seats left")).to_be_visible()

    page.get_by_role("link", name="See your tickets and their QR codes").click()
    page.wait_for_url(f"{base}/me/tickets")
    order = page.locator("li.order").filter(has=page.get_by_role("link", name=event["title"]))
    expect(order).to_contain_text("Active")
    qrs = order.get_by_role("img", name=re.compile("^QR code of ticket "))
    expect(qrs).to_have_count(2)
    assert qrs.first.evaluate("n => n.namespaceURI") == "http://www.w3.org/2000/svg"
    codes = [c.inner_text() for c in order.locator("code").all()]
    assert len(codes) == 2 and all(":" in c for c in codes)
    expect(qrs.first).to_have_attribute("aria-label", f"QR code of ticket {codes[0]}")
    audit_page(page, f"tickets-{size[0]}")
    fits(page)

    door = signed_in(page_factory, size, base, admin)  # the demo admin organizes the event
    door.goto(f"{base}/events/{event['id']}")
    door.get_by_role("link", name="Check people in").click()
    door.wait_for_url(f"{base}/events/{event['id']}/checkin")
    expect(door.get_by_role("heading", level=1)).to_have_text(f"Check-in: {event['title']}")
    attendees = door.get_by_role("table")
    expect(attendees.get_by_role("row").filter(has_text=buyer["user"]["username"])).to_contain_text("0 of 2")
    expect(door.get_by_role("button", name="Scan with camera")).to_be_hidden()  # headless: no camera

    code_field = door.get_by_label("Ticket code")
    code_field.fill(codes[0])
    door.get_by_role("button", name="Check in").click()
    result = door.locator("#result")
    expect(result).to_contain_text("Welcome in: checked in.")
    expect(result).to_contain_text(f"Holder: {buyer['user']['username']}")
    expect(attendees.get_by_role("row").filter(has_text=buyer["user"]["username"])).to_contain_text("1 of 2")
    audit_page(door, f"checkin-{size[0]}")
    fits(door)

    code_field.fill(codes[0])
    door.get_by_role("button", name="Check in").click()
    expect(result).to_contain_text("Already checked in at")

    code_field.fill(codes[1][:-3] + "xyz")  # a mistyped (or forged) signature
    door.get_by_role("button", name="Check in").click()
    expect(result).to_contain_text("Unknown ticket.")
    expect(result).not_to_contain_text("Already")

    page.reload()  # the buyer sees the check-in on the ticket, and can't cancel any more
    expect(order).to_contain_text("Checked in at")
    expect(order.get_by_role("button", name="Cancel order")).to_have_count(0)


def test_cancel_a_ticket_and_the_seats_come_back(live_app, page_factory, size):
    base = live_app.url
    admin = admin_tokens(base)
    event = new_event(base, admin["access"], days=10, total=5)
    soon = new_event(base, admin["access"], days=1, total=5)  # inside TICKET_CANCEL_HOURS (48)
    buyer = new_user(base, "canceller")
    api_call(base, f"events/{event['id']}/tickets", buyer["access"], {"quantity": 2})
    api_call(base, f"events/{soon['id']}/tickets", buyer["access"], {"quantity": 1})

    page = signed_in(page_factory, size, base, buyer)
    page.goto(base + "/me/tickets")
    late = page.locator("li.order").filter(has=page.get_by_role("link", name=soon["title"]))
    order = page.locator("li.order").filter(has=page.get_by_role("link", name=event["title"]))
    expect(order.get_by_role("img", name=re.compile("^QR code of ticket "))).to_have_count(2)
    expect(late).to_contain_text("Active")
    expect(late.get_by_role("button", name="Cancel order")).to_have_count(0)  # too late to cancel

    order.get_by_role("button", name="Cancel order").click()
    expect(order).to_contain_text("Cancel this order? Its 2 tickets go back on sale")
    order.get_by_role("button", name="Keep my tickets").click()
    expect(order.get_by_role("button", name="Yes, cancel the order")).to_be_hidden()
    order.get_by_role("button", name="Cancel order").click()
    order.get_by_role("button", name="Yes, cancel the order").click()
    expect(page.get_by_role("status").filter(has_text="Order cancelled")).to_be_visible()
    expect(order).to_contain_text("Cancelled on")
    expect(order.get_by_role("img")).to_have_count(0)
    expect(order.get_by_role("button", name="Cancel order")).to_have_count(0)

    order.get_by_role("link", name=event["title"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(event["title"])
    expect(page.get_by_text("5 of 5 left")).to_be_visible()


def test_search_and_filter_events_and_an_unknown_event(live_app, page_factory, size):
    base = live_app.url
    admin = admin_tokens(base)
    word = uuid.uuid4().hex[:10]
    heritage = new_event(
        base, admin["access"], title=f"Médina walk {word}", category="heritage", city="Sfax", price="0"
    )
    concert = new_event(base, admin["access"], title=f"Concert {word}", category="music", city="Sfax", total=1)

    page = signed_in(page_factory, size, base, None)  # anonymous
    page.goto(base + "/events")
    expect(page.get_by_role("heading", level=1)).to_have_text("Events")
    expect(page.locator("li.event-card").first).to_be_visible()
    audit_page(page, f"events-{size[0]}")
    fits(page)

    page.get_by_label("Search").fill(word)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status").filter(has_text="2 events found")).to_be_visible()
    page.get_by_label("Category").select_option("heritage")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status").filter(has_text="1 event found")).to_be_visible()
    card = page.locator("li.event-card")
    expect(card).to_have_count(1)
    expect(card.get_by_role("link")).to_have_text(heritage["title"])
    expect(card).to_contain_text("Free")
    expect(card).to_contain_text("Sfax")
    assert "category=heritage" in page.url and f"search={word}" in page.url

    page.reload()  # the filters live in the URL
    expect(page.get_by_label("Category")).to_have_value("heritage")
    expect(page.locator("li.event-card")).to_have_count(1)

    api_call(base, f"events/{concert['id']}/tickets", admin["access"], {"quantity": 1})
    page.get_by_label("Category").select_option("")
    page.get_by_label("Lowest price (TND)").fill("1")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status").filter(has_text="1 event found")).to_be_visible()
    expect(page.locator("li.event-card")).to_contain_text("Sold out")
    page.get_by_label("Tickets available only").check()
    expect(page.get_by_text("No event matches")).to_be_visible()

    page.get_by_label("Highest price (TND)").fill("0.5")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_label("Highest price (TND)")).to_have_attribute("aria-invalid", "true")

    page.goto(base + "/events/987654321")
    expect(page.get_by_role("heading", level=1)).to_have_text("This event doesn't exist")
    expect(page.get_by_role("link", name="Browse all events")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("·")
    expect(page.get_by_role("button", name="Buy")).to_be_hidden()
    audit_page(page, f"event-not-found-{size[0]}")


def test_sold_out_event_offers_the_waiting_list(live_app, page_factory, size):
    base = live_app.url
    admin = admin_tokens(base)
    event = new_event(base, admin["access"], total=1)
    api_call(base, f"events/{event['id']}/tickets", admin["access"], {"quantity": 1})
    page = page_factory(**size[1])
    page.goto(f"{base}/events/{event['id']}")
    expect(page.get_by_role("link", name="Sign in to buy tickets or bookmark this event.")).to_be_visible()
    expect(page.get_by_role("button", name="Join the waiting list")).to_be_hidden()

    page = signed_in(page_factory, size, base, new_user(base, "waiter"))
    page.goto(f"{base}/events/{event['id']}")
    expect(page.get_by_role("button", name="Join the waiting list")).to_be_visible()
    expect(page.get_by_role("button", name="Buy")).to_be_hidden()
    page.get_by_label("Tickets wanted").fill("2")
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_text("You are on the waiting list, number 1.")).to_be_visible()
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_text("You are already on the waiting list, number 1.")).to_be_visible()
    page.get_by_role("button", name="Leave the waiting list").click()
    expect(page.get_by_text("You left the waiting list.")).to_be_visible()
    expect(page.get_by_role("button", name="Leave the waiting list")).to_be_hidden()
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_text("You are on the waiting list, number 1.")).to_be_visible()

    page.get_by_role("button", name="Bookmark").click()
    expect(page.get_by_text("Bookmarked.")).to_be_visible()
    expect(page.get_by_role("button", name="Remove bookmark")).to_be_visible()
    page.goto(base + "/me/tickets")
    bookmarks = page.get_by_role("region", name="My bookmarks")
    expect(bookmarks.get_by_role("link", name=event["title"])).to_be_visible()
    expect(page.get_by_text("You have no tickets yet.")).to_be_visible()

    anonymous = page_factory(**size[1])
    anonymous.goto(base + "/me/tickets")
    anonymous.wait_for_url(re.compile(r"/login\?next=%2Fme%2Ftickets$"))


def test_only_the_organizer_sees_the_check_in_form(live_app, page_factory, size):
    base = live_app.url
    event = new_event(base, admin_tokens(base)["access"])
    page = signed_in(page_factory, size, base, new_user(base, "gatecrasher"))
    page.goto(f"{base}/events/{event['id']}/checkin")
    expect(page.get_by_text("Only the event's organizer or an admin can check people in.")).to_be_visible()
    expect(page.get_by_label("Ticket code")).to_be_hidden()
    expect(page.get_by_role("button", name="Check in")).to_be_hidden()
    expect(page.get_by_role("table")).to_be_hidden()
    audit_page(page, f"checkin-refused-{size[0]}")
    fits(page)

    anonymous = page_factory(**size[1])
    anonymous.goto(f"{base}/events/{event['id']}/checkin")
    expect(anonymous.get_by_role("link", name="Sign in")).to_have_count(2)  # the account bar's and the page's
    expect(anonymous.get_by_label("Ticket code")).to_be_hidden()


# A browser with a camera and BarcodeDetector, for a test: the camera is a canvas stream, and the
# detector "sees" whatever code the test puts in window.__scanCode (once). CSP violations are kept.
FAKE_CAMERA = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
window.__scanCode = null;
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code", "ean_13"]; }
  async detect() {
    const code = window.__scanCode; window.__scanCode = null;
    return code ? [{ rawValue: code, format: "qr_code" }] : [];
  }
};
navigator.mediaDevices.enumerateDevices = async () => [{ kind: "videoinput", deviceId: "fake", groupId: "", label: "" }];
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = document.createElement("canvas"); canvas.width = 64; canvas.height = 64;
  const ctx = canvas.getContext("2d"); let n = 0;
  const draw = () => { ctx.fillStyle = n++ % 2 ? "#222" : "#ddd"; ctx.fillRect(0, 0, 64, 64); };
  draw(); setInterval(draw, 50);
  return canvas.captureStream(20);
};
"""


def test_scan_a_ticket_with_the_camera(live_app, page_factory, size):
    base = live_app.url
    admin = admin_tokens(base)
    event = new_event(base, admin["access"])
    buyer = new_user(base, "scanned")
    order = api_call(base, f"events/{event['id']}/tickets", buyer["access"], {"quantity": 1})

    door = signed_in(page_factory, size, base, admin)
    door.add_init_script(FAKE_CAMERA)
    errors: list[str] = []
    door.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    door.goto(f"{base}/events/{event['id']}/checkin")
    door.get_by_role("button", name="Scan with camera").click()
    expect(door.get_by_role("button", name="Stop the camera")).to_be_visible()
    door.wait_for_function("document.getElementById('video').readyState >= 2")
    door.evaluate("code => { window.__scanCode = code; }", order["tickets"][0]["code"])
    result = door.locator("#result")
    expect(result).to_contain_text("Welcome in: checked in.")
    expect(result).to_contain_text(f"Holder: {buyer['user']['username']}")
    expect(door.get_by_role("table").get_by_role("row").filter(has_text=buyer["user"]["username"])).to_contain_text(
        "1 of 1"
    )
    door.get_by_role("button", name="Stop the camera").click()
    expect(door.get_by_role("button", name="Scan with camera")).to_be_visible()
    assert door.evaluate("document.getElementById('video').srcObject") is None
    # A MediaStream in a <video> needs no media-src: the page's policy (default-src 'self') is enough.
    assert door.evaluate("window.__cspViolations") == []
    assert errors == []


def test_the_ticket_pages_in_arabic_read_right_to_left(live_app, page_factory, size):
    base = live_app.url
    admin = admin_tokens(base)
    word = uuid.uuid4().hex[:8]
    event = new_event(base, admin["access"], title=f"مهرجان {word}")
    buyer = new_user(base, "arabic")
    api_call(base, f"events/{event['id']}/tickets", buyer["access"], {"quantity": 1})
    page = signed_in(page_factory, size, base, buyer)
    page.context.add_cookies([{"name": "django_language", "value": "ar", "url": base}])
    for path, name in (
        (f"/events/{event['id']}", "event"),
        ("/me/tickets", "tickets"),
        (f"/events?search={word}", "events"),
    ):
        page.goto(base + path)
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("main .state-loading")).to_have_count(0)
        expect(
            page.get_by_role("link", name=event["title"]).or_(page.get_by_role("heading", name=event["title"])).first
        ).to_be_visible()
        audit_page(page, f"{name}-ar-{size[0]}")
        fits(page)


def test_create_an_event_from_the_web(live_app, page_factory, size):
    base = live_app.url
    organizer = new_user(base, "organizer")
    page = signed_in(page_factory, size, base, organizer)
    page.goto(base + "/events")
    page.get_by_role("link", name="Create an event").click()
    page.wait_for_url(base + "/events/new")
    title = f"Soirée malouf {uuid.uuid4().hex[:8]}"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Starts at").fill("2020-01-01T20:00")
    page.get_by_label("Place").fill("Dar Lasram")
    page.get_by_label("City").fill("Tunis")
    page.get_by_label("Tickets for sale").fill("-3")
    page.get_by_label("Price per ticket (TND)").fill("15")
    page.get_by_role("button", name="Create the event").click()
    expect(page.locator("#starts_at-error")).to_contain_text("future")
    expect(page.get_by_label("Tickets for sale")).to_have_attribute("aria-invalid", "true")
    audit_page(page, f"events-new-{size[0]}")
    fits(page)

    starts = datetime.now(UTC) + timedelta(days=30)
    page.get_by_label("Starts at").fill(starts.strftime("%Y-%m-%dT20:00"))
    page.get_by_label("Tickets for sale").fill("40")
    page.get_by_label("Category").select_option("music")
    page.get_by_role("button", name="Create the event").click()
    page.wait_for_url(re.compile(r"/events/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("40 seats left")).to_be_visible()
    expect(page.get_by_text("20:00")).to_be_visible()  # the time typed, in Tunisia time
    expect(page.get_by_role("link", name="Check people in")).to_be_visible()  # its organizer

    anonymous = page_factory(**size[1])
    anonymous.goto(base + "/events")
    expect(anonymous.locator("li.event-card").first).to_be_visible()
    expect(anonymous.get_by_role("link", name="Create an event")).to_be_hidden()
