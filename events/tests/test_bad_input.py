"""No input of any shape produces a 500 (SPEC §1)."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.models import Event
from events.tests.factories import EventFactory
from events.tests.test_api import new_event_body

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("starts_at", "9999-12-31T23:59:59-05:00"),  # overflows when converted to UTC
        ("starts_at", "0001-01-01T00:00:00+05:00"),
        ("starts_at", "next tuesday"),
        ("starts_at", 12345),
        ("ticket_price", "NaN"),
        ("ticket_price", "Infinity"),
        ("ticket_price", "1e9"),
        ("ticket_price", 1e9),
        ("ticket_price", "12.345"),
        ("ticket_price", [1]),
        ("tickets_total", "abc"),
        ("tickets_total", 10**30),
        ("tickets_total", 1.5),
        ("image_url", "ftp://example.com/x.png"),
        ("image_url", "http://"),
        ("image_url", "https://" + "a" * 600 + ".com"),
        ("title", "\ud800 lone surrogate"),
        ("title", "nul \x00 byte"),
        ("title", {"nested": "object"}),
        ("description", "x" * 5001),
        ("city", "c" * 101),
        ("location", None),
    ],
)
def test_create_with_hostile_fields_is_400(gamer_client, field, value):
    payload = json.dumps(new_event_body(**{field: value}))  # ASCII-escaped: a lone surrogate survives
    response = gamer_client.generic("POST", EVENTS, payload, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Event.objects.exists()


@pytest.mark.parametrize("body", ["[]", '"just a string"', "42", "null", "{", '{"quantity": }'])
def test_non_object_bodies_are_400(gamer_client, body):
    event = EventFactory()
    for url in (EVENTS, f"/api/v1/events/{event.pk}/tickets"):
        response = gamer_client.generic("POST", url, body, content_type="application/json")
        assert response.status_code == 400, (url, body, response.content)


def test_patch_with_a_non_object_body_is_400(gamer_client, gamer):
    event = EventFactory(organizer=gamer)
    response = gamer_client.generic("PATCH", f"/api/v1/events/{event.pk}", "[1, 2]", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("event_id", ["0", "99999999999999999999", "9223372036854775808"])
def test_out_of_range_event_ids_are_404(gamer_client, event_id):
    for method, suffix in (("get", ""), ("post", "/tickets"), ("post", "/bookmark"), ("delete", "/bookmark")):
        url = f"/api/v1/events/{event_id}{suffix}"
        response = getattr(gamer_client, method)(url, {"quantity": 1}, format="json")
        assert response.status_code == 404, (method, url, response.content)
    assert gamer_client.patch(f"/api/v1/events/{event_id}", {"title": "x"}, format="json").status_code == 404
    assert gamer_client.delete(f"/api/v1/events/{event_id}").status_code == 404


@pytest.mark.parametrize("event_id", ["-1", "abc", "1.5"])
def test_non_numeric_event_ids_are_404(api, event_id):
    assert api.get(f"/api/v1/events/{event_id}").status_code == 404


def test_huge_page_numbers_and_sizes_are_handled(api):
    EventFactory()
    assert api.get(EVENTS, {"page": "99999999999999999999"}).status_code == 404
    assert api.get(EVENTS, {"page_size": "99999999999999999999"}).status_code == 200


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(
        st.sampled_from(["title", "starts_at", "location", "city", "category", "image_url", "tickets_total",
                         "ticket_price", "description", "quantity"]),
        json_values,
    )
)  # fmt: skip
def test_random_json_never_causes_a_server_error(gamer_client, gamer, body):
    event = EventFactory(organizer=gamer)
    payload = json.dumps(body)
    for method, url in (
        ("POST", EVENTS),
        ("PATCH", f"/api/v1/events/{event.pk}"),
        ("POST", f"/api/v1/events/{event.pk}/tickets"),
    ):
        response = gamer_client.generic(method, url, payload, content_type="application/json")
        assert response.status_code < 500, (method, url, payload, response.content)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(
        st.sampled_from(["search", "category", "city", "starts_after", "starts_before", "min_price", "max_price",
                         "available", "ordering", "page", "page_size"]),
        st.text(max_size=40),
    )
)  # fmt: skip
def test_random_query_strings_never_cause_a_server_error(api, params):
    response = api.get(EVENTS, params)
    assert response.status_code in (200, 400, 404), (params, response.content)
