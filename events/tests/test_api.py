"""Every SPEC §4 endpoint: happy path, each error code, each refused role, anonymous access."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditLog
from events.models import Bookmark, Event, TicketOrder
from events.services import bookmark_add
from events.tests.factories import EventFactory, sell

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"


def detail(event) -> str:
    return f"/api/v1/events/{event.pk}/"


def tickets(event) -> str:
    return f"/api/v1/events/{event.pk}/tickets"


def bookmark(event) -> str:
    return f"/api/v1/events/{event.pk}/bookmark"


def new_event_body(**overrides):
    body = {
        "title": "Festival International de Carthage",
        "description": "Opening night.",
        "starts_at": (timezone.now() + timedelta(days=40)).isoformat(),
        "location": "Roman Theatre of Carthage",
        "city": "Tunis",
        "category": "festival",
        "image_url": "https://example.com/carthage.jpg",
        "tickets_total": 7000,
        "ticket_price": "60.00",
    }
    body.update(overrides)
    return body


# -- GET /events/ and /events/{id}/ --------------------------------------------------------


def test_anonymous_can_list_events_without_a_token(api):
    EventFactory(title="Tabarka Jazz")
    response = api.get(EVENTS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert set(body) == {"count", "page", "pages", "page_size", "next", "previous", "results"}
    event = body["results"][0]
    assert event["title"] == "Tabarka Jazz"
    assert event["bookmarked_by_me"] is False
    assert set(event) == {
        "id", "title", "description", "starts_at", "location", "city", "category", "image_url",
        "tickets_total", "tickets_available", "tickets_sold", "tickets_held", "ticket_price", "organizer",
        "created_at", "updated_at", "bookmark_count", "bookmarked_by_me",
    }  # fmt: skip


def test_list_answers_without_trailing_slash(api):
    EventFactory()
    assert api.get("/api/v1/events").status_code == 200


def test_anonymous_can_read_one_event(api):
    event = EventFactory(ticket_price=Decimal("12.50"))
    body = api.get(detail(event)).json()
    assert body["id"] == event.pk
    assert body["ticket_price"] == "12.50"
    assert body["organizer"] == {"id": event.organizer_id, "username": event.organizer.username}
    assert body["starts_at"].endswith("Z")


def test_detail_shows_bookmarked_by_me_and_the_count_when_signed_in(gamer_client, gamer, other_gamer):
    event = EventFactory()
    bookmark_add(event_id=event.pk, user=gamer)
    bookmark_add(event_id=event.pk, user=other_gamer)
    mine = gamer_client.get(detail(event)).json()
    assert (mine["bookmarked_by_me"], mine["bookmark_count"]) == (True, 2)
    listed = gamer_client.get(EVENTS).json()["results"][0]
    assert (listed["bookmarked_by_me"], listed["bookmark_count"]) == (True, 2)


def test_detail_of_a_missing_event_is_404(api):
    response = api.get("/api/v1/events/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_bad_token_on_the_public_list_is_401(api):
    response = api.get(EVENTS, HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401


# -- POST /events/ -------------------------------------------------------------------------


def test_signed_in_gamer_creates_an_event_and_organises_it(gamer_client, gamer):
    response = gamer_client.post(EVENTS, new_event_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["organizer"]["id"] == gamer.pk
    assert (body["tickets_total"], body["tickets_available"], body["tickets_sold"]) == (7000, 7000, 0)
    assert body["bookmark_count"] == 0
    event = Event.objects.get(pk=body["id"])
    assert event.organizer == gamer and event.ticket_price == Decimal("60.00")


def test_create_defaults_description_category_and_image(gamer_client):
    body = new_event_body()
    for name in ("description", "category", "image_url"):
        body.pop(name)
    response = gamer_client.post(EVENTS, body, format="json")
    assert response.status_code == 201
    assert (response.json()["category"], response.json()["image_url"], response.json()["description"]) == (
        "other",
        "",
        "",
    )


def test_anonymous_cannot_create_an_event(api):
    response = api.post(EVENTS, new_event_body(), format="json")
    assert response.status_code == 401
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("starts_at", "2001-01-01T20:00:00Z"),
        ("ticket_price", "-1.00"),
        ("ticket_price", "10.005"),
        ("tickets_total", -5),
        ("image_url", "not a url"),
        ("image_url", "javascript:alert(1)"),
        ("category", "karaoke"),
        ("title", ""),
        ("title", "x" * 201),
    ],
)
def test_create_refuses_bad_fields_with_field_messages(gamer_client, field, value):
    response = gamer_client.post(EVENTS, new_event_body(**{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Event.objects.exists()


@pytest.mark.parametrize("missing", ["title", "starts_at", "location", "city", "tickets_total", "ticket_price"])
def test_create_requires_the_essentials(gamer_client, missing):
    body = new_event_body()
    body.pop(missing)
    response = gamer_client.post(EVENTS, body, format="json")
    assert response.status_code == 400
    assert missing in response.json()


# -- PATCH /events/{id}/ -------------------------------------------------------------------


def test_organizer_patches_their_event(gamer_client, gamer):
    event = EventFactory(organizer=gamer)
    response = gamer_client.patch(detail(event), {"title": "Nouveau titre", "ticket_price": "9.90"}, format="json")
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["ticket_price"]) == ("Nouveau titre", "9.90")


def test_admin_patches_anyones_event(admin_client_api, gamer):
    event = EventFactory(organizer=gamer)
    response = admin_client_api.patch(detail(event), {"city": "Sousse"}, format="json")
    assert response.status_code == 200
    assert response.json()["city"] == "Sousse"


@pytest.mark.parametrize("who", ["other_client", "moderator_client"])
def test_others_cannot_patch(request, gamer, who):
    event = EventFactory(organizer=gamer, title="Mine")
    response = request.getfixturevalue(who).patch(detail(event), {"title": "Theirs"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_organizer"
    event.refresh_from_db()
    assert event.title == "Mine"


def test_anonymous_cannot_patch_or_delete(api):
    event = EventFactory()
    assert api.patch(detail(event), {"title": "x"}, format="json").status_code == 401
    assert api.delete(detail(event)).status_code == 401
    assert Event.objects.filter(pk=event.pk).exists()


def test_patch_tickets_total_adjusts_available_and_keeps_sold(gamer_client, gamer, other_gamer):
    event = EventFactory(organizer=gamer, tickets_total=10)
    sell(event, other_gamer, 4)
    body = gamer_client.patch(detail(event), {"tickets_total": 20}, format="json").json()
    assert (body["tickets_total"], body["tickets_available"], body["tickets_sold"]) == (20, 16, 4)


def test_patch_cannot_drop_the_total_below_the_tickets_sold(gamer_client, gamer, other_gamer):
    event = EventFactory(organizer=gamer, tickets_total=10)
    sell(event, other_gamer, 4)
    response = gamer_client.patch(detail(event), {"tickets_total": 3}, format="json")
    assert response.status_code == 400
    assert "tickets_total" in response.json()
    event.refresh_from_db()
    assert (event.tickets_total, event.tickets_available) == (10, 6)


def test_patch_cannot_set_the_available_counter(gamer_client, gamer):
    event = EventFactory(organizer=gamer, tickets_total=10)
    response = gamer_client.patch(detail(event), {"tickets_available": 500}, format="json")
    assert response.status_code == 200  # unknown fields are ignored, as DRF does
    event.refresh_from_db()
    assert event.tickets_available == 10


def test_patch_refuses_a_past_date(gamer_client, gamer):
    event = EventFactory(organizer=gamer)
    response = gamer_client.patch(detail(event), {"starts_at": "2020-05-01T10:00:00Z"}, format="json")
    assert response.status_code == 400 and "starts_at" in response.json()


def test_patch_of_a_missing_event_is_404(gamer_client):
    assert gamer_client.patch("/api/v1/events/999999/", {"title": "x"}, format="json").status_code == 404


def test_put_is_not_allowed(gamer_client, gamer):
    event = EventFactory(organizer=gamer)
    response = gamer_client.put(detail(event), new_event_body(), format="json")
    assert response.status_code == 405


# -- DELETE /events/{id}/ ------------------------------------------------------------------


def test_organizer_deletes_an_event_without_sales(gamer_client, gamer):
    event = EventFactory(organizer=gamer)
    assert gamer_client.delete(detail(event)).status_code == 204
    assert not Event.objects.filter(pk=event.pk).exists()
    assert not AuditLog.objects.exists()


def test_delete_is_409_tickets_sold_once_tickets_are_sold(gamer_client, gamer, other_gamer):
    event = EventFactory(organizer=gamer)
    sell(event, other_gamer, 2)
    response = gamer_client.delete(detail(event))
    assert response.status_code == 409
    assert response.json()["code"] == "tickets_sold"
    assert response.json()["tickets_sold"] == 2
    assert Event.objects.filter(pk=event.pk).exists()


def test_admin_deletes_someone_elses_event_and_it_is_audited(admin_client_api, admin, gamer):
    event = EventFactory(organizer=gamer)
    assert admin_client_api.delete(detail(event) + "?reason=duplicate").status_code == 204
    log = AuditLog.objects.get()
    assert (log.actor_id, log.action, log.target_id, log.reason) == (
        admin.pk,
        "delete_event",
        str(event.pk),
        "duplicate",
    )


@pytest.mark.parametrize("who", ["other_client", "moderator_client"])
def test_others_cannot_delete(request, gamer, who):
    event = EventFactory(organizer=gamer)
    response = request.getfixturevalue(who).delete(detail(event))
    assert response.status_code == 403
    assert Event.objects.filter(pk=event.pk).exists()


def test_delete_of_a_missing_event_is_404(admin_client_api):
    assert admin_client_api.delete("/api/v1/events/999999").status_code == 404


# -- POST /events/{id}/tickets -------------------------------------------------------------


def test_buying_tickets_returns_the_order(gamer_client, gamer):
    event = EventFactory(tickets_total=10, ticket_price=Decimal("15.00"))
    response = gamer_client.post(tickets(event), {"quantity": 3}, format="json")
    assert response.status_code == 201
    body = response.json()
    # SPEC §4's fields, and (issue 21) the status and one ticket per seat with its QR code.
    assert {"id", "event", "quantity", "unit_price", "total_price", "purchased_at", "code"} <= set(body)
    assert (body["status"], len(body["tickets"])) == ("confirmed", 3)
    assert all(t["qr"].startswith("<svg") and ":" in t["code"] for t in body["tickets"])
    assert (body["quantity"], body["unit_price"], body["total_price"]) == (3, "15.00", "45.00")
    assert body["event"]["id"] == event.pk and body["event"]["title"] == event.title
    assert TicketOrder.objects.get(code=body["code"]).buyer == gamer
    event.refresh_from_db()
    assert event.tickets_available == 7


def test_sold_out_says_how_many_are_left(gamer_client):
    event = EventFactory(tickets_total=2)
    response = gamer_client.post(tickets(event), {"quantity": 3}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["available"]) == ("sold_out", 2)
    assert body["detail"]


def test_event_started_is_409(gamer_client):
    event = EventFactory(starts_at=timezone.now() - timedelta(hours=1))
    response = gamer_client.post(tickets(event), {"quantity": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "event_started"


@pytest.mark.parametrize("quantity", [0, -1, 11, "abc", 1e9, "1e9", 2.5, None, True, [], {}])
def test_bad_quantity_is_400(gamer_client, quantity):
    event = EventFactory(tickets_total=10)
    response = gamer_client.post(tickets(event), {"quantity": quantity}, format="json")
    assert response.status_code == 400
    assert "quantity" in response.json()
    event.refresh_from_db()
    assert event.tickets_available == 10


def test_missing_quantity_is_400(gamer_client):
    event = EventFactory()
    response = gamer_client.post(tickets(event), {}, format="json")
    assert response.status_code == 400 and "quantity" in response.json()


def test_buying_for_a_missing_event_is_404(gamer_client):
    response = gamer_client.post("/api/v1/events/999999/tickets", {"quantity": 1}, format="json")
    assert response.status_code == 404


def test_anonymous_cannot_buy(api):
    event = EventFactory()
    assert api.post(tickets(event), {"quantity": 1}, format="json").status_code == 401


def test_get_on_tickets_is_405(gamer_client):
    event = EventFactory()
    assert gamer_client.get(tickets(event)).status_code == 405


# -- GET /me/tickets -----------------------------------------------------------------------


def test_my_tickets_are_mine_newest_first(gamer_client, other_client):
    first, second = EventFactory(title="First"), EventFactory(title="Second")
    a = gamer_client.post(tickets(first), {"quantity": 1}, format="json").json()
    b = gamer_client.post(tickets(second), {"quantity": 2}, format="json").json()
    other_client.post(tickets(first), {"quantity": 1}, format="json")
    body = gamer_client.get("/api/v1/me/tickets").json()
    assert body["count"] == 2
    assert [o["code"] for o in body["results"]] == [b["code"], a["code"]]
    assert body["results"][0]["event"]["title"] == "Second"


def test_an_order_says_until_when_it_can_be_cancelled(gamer_client, settings):
    settings.TICKET_CANCEL_HOURS = 48
    event = EventFactory(starts_at=datetime(2031, 5, 10, 18, 30, tzinfo=UTC))
    gamer_client.post(tickets(event), {"quantity": 1}, format="json")
    order = gamer_client.get("/api/v1/me/tickets").json()["results"][0]
    assert datetime.fromisoformat(order["cancellable_until"]) == datetime(2031, 5, 8, 18, 30, tzinfo=UTC)


def test_my_tickets_needs_a_token(api):
    assert api.get("/api/v1/me/tickets").status_code == 401


# -- bookmarks -----------------------------------------------------------------------------


def test_bookmark_is_201_then_200_and_delete_is_204(gamer_client, gamer):
    event = EventFactory()
    first = gamer_client.post(bookmark(event))
    assert first.status_code == 201 and first.json()["bookmarked"] is True
    assert gamer_client.post(bookmark(event)).status_code == 200
    assert Bookmark.objects.filter(user=gamer, event=event).count() == 1
    assert gamer_client.get(detail(event)).json()["bookmarked_by_me"] is True
    assert gamer_client.delete(bookmark(event)).status_code == 204
    assert not Bookmark.objects.filter(user=gamer).exists()
    assert gamer_client.delete(bookmark(event)).status_code == 204
    assert gamer_client.get(detail(event)).json()["bookmarked_by_me"] is False


def test_bookmarking_a_missing_event_is_404(gamer_client):
    assert gamer_client.post("/api/v1/events/999999/bookmark").status_code == 404
    assert gamer_client.delete("/api/v1/events/999999/bookmark").status_code == 404


def test_anonymous_cannot_bookmark(api):
    event = EventFactory()
    assert api.post(bookmark(event)).status_code == 401
    assert api.delete(bookmark(event)).status_code == 401


def test_my_bookmarks_lists_my_bookmarked_events_latest_first(gamer_client, other_client):
    one, two, _ = EventFactory(title="One"), EventFactory(title="Two"), EventFactory(title="Three")
    gamer_client.post(bookmark(one))
    gamer_client.post(bookmark(two))
    other_client.post(bookmark(one))
    body = gamer_client.get("/api/v1/me/bookmarks").json()
    assert body["count"] == 2
    assert [e["title"] for e in body["results"]] == ["Two", "One"]
    assert all(e["bookmarked_by_me"] for e in body["results"])
    assert [e["bookmark_count"] for e in body["results"]] == [1, 2]


def test_my_bookmarks_needs_a_token(api):
    assert api.get("/api/v1/me/bookmarks").status_code == 401


# -- schema ----------------------------------------------------------------------------------


def test_events_are_in_the_openapi_schema_with_their_errors(api):
    doc = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = doc["paths"]
    assert {"/api/v1/events", "/api/v1/events/{id}", "/api/v1/events/{id}/tickets", "/api/v1/events/{id}/bookmark",
            "/api/v1/me/tickets", "/api/v1/me/bookmarks"} <= set(paths)  # fmt: skip
    purchase = paths["/api/v1/events/{id}/tickets"]["post"]["responses"]
    assert {"201", "400", "401", "404", "409"} <= set(purchase)
    assert {"204", "403", "409"} <= set(paths["/api/v1/events/{id}"]["delete"]["responses"])
    params = {p["name"] for p in paths["/api/v1/events"]["get"]["parameters"]}
    assert {"search", "category", "city", "starts_after", "starts_before", "min_price", "max_price", "available",
            "ordering", "page", "page_size"} <= params  # fmt: skip


def test_an_event_without_image_matches_its_documented_schema(gamer_client, api):
    """`image_url` is "" when there is no image; the schema once said `format: uri` only (found by
    the API fuzzing)."""
    from urllib.parse import urlsplit

    import jsonschema

    formats = jsonschema.FormatChecker()
    formats.checks("uri")(lambda value: bool(urlsplit(value).scheme and urlsplit(value).netloc))
    doc = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    created = gamer_client.post(EVENTS, new_event_body(image_url=""), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["image_url"] == ""
    event_schema = doc["paths"]["/api/v1/events"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    root = {**event_schema, "components": doc["components"]}
    jsonschema.validate(created.json(), root, format_checker=formats)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**created.json(), "image_url": "not a url"}, root, format_checker=formats)
