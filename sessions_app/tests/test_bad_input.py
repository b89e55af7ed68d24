"""No input of any shape produces a 500: bad bodies are 400 naming the field, bad ids 404."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import GameSession
from sessions_app.tests.factories import AttendanceFactory, GameSessionFactory, payload

pytestmark = pytest.mark.django_db
LIST = "/api/v1/sessions/"
HUGE = str(10**30)
BIGINT_PLUS_ONE = str(2**63)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"starts_at": (timezone.now() - timedelta(minutes=1)).isoformat()}, "starts_at"),
        ({"starts_at": "next friday"}, "starts_at"),
        ({"starts_at": 12345}, "starts_at"),
        ({"starts_at": "9999-12-31T23:59:59-14:00"}, "starts_at"),
        ({"starts_at": None}, "starts_at"),
        ({"max_attendees": 0}, "max_attendees"),
        ({"max_attendees": -5}, "max_attendees"),
        ({"max_attendees": 10**9}, "max_attendees"),
        ({"max_attendees": 10**30}, "max_attendees"),
        ({"max_attendees": "ten"}, "max_attendees"),
        ({"max_attendees": 2.5}, "max_attendees"),
        ({"max_attendees": [3]}, "max_attendees"),
        ({"platform": "amiga"}, "platform"),
        ({"platform": ["pc"]}, "platform"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"title": {"a": 1}}, "title"),
        ({"title": "nul\x00byte"}, "title"),
        ({"game": "x" * 81}, "game"),
        ({"description": "x" * 2001}, "description"),
        ({"is_available": "sometimes"}, "is_available"),
    ],
)
def test_bad_session_bodies_are_400_naming_the_field(gamer_client, overrides, field):
    response = gamer_client.post(LIST, payload(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not GameSession.objects.exists()


@pytest.mark.parametrize("body", ["[1, 2]", '"a string"', "null", "42", "{not json"])
def test_bodies_that_are_not_objects_are_400(gamer_client, body):
    response = gamer_client.generic("POST", LIST, body, content_type="application/json")
    assert response.status_code == 400, response.content


def test_a_missing_body_is_400_listing_the_required_fields(gamer_client):
    response = gamer_client.post(LIST, {}, format="json")
    assert response.status_code == 400
    assert {"title", "game", "platform", "starts_at", "max_attendees"} <= set(response.json())


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/sessions/{id}"),
        ("patch", "/api/v1/sessions/{id}"),
        ("delete", "/api/v1/sessions/{id}"),
        ("post", "/api/v1/sessions/{id}/join"),
        ("post", "/api/v1/sessions/{id}/leave"),
        ("get", "/api/v1/sessions/{id}/attendees"),
        ("post", "/api/v1/sessions/{id}/like"),
        ("delete", "/api/v1/sessions/{id}/like"),
        ("get", "/api/v1/sessions/{id}/reviews"),
        ("post", "/api/v1/sessions/{id}/reviews"),
        ("put", "/api/v1/sessions/{id}/reviews/mine"),
        ("delete", "/api/v1/sessions/{id}/reviews/mine"),
        ("delete", "/api/v1/reviews/{id}"),
    ],
)
@pytest.mark.parametrize("bad_id", ["0", "987654", HUGE, BIGINT_PLUS_ONE, "-1", "abc", "1.5"])
def test_ids_that_do_not_exist_are_404_never_500(admin_client_api, method, path, bad_id):
    body = {"rating": 3, "title": "x"}
    response = getattr(admin_client_api, method)(path.format(id=bad_id), body, format="json")
    assert response.status_code == 404, (response.status_code, response.content)
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("page", ["-1", "0", "abc", "1e3", HUGE, "99"])
@pytest.mark.parametrize("path", ["/api/v1/sessions", "/api/v1/me/sessions", "/api/v1/reviews"])
def test_negative_huge_and_past_the_end_pages_are_404(moderator_client, path, page):
    AttendanceFactory()
    response = moderator_client.get(path, {"page": page})
    assert response.status_code == 404, response.content


@pytest.mark.parametrize("page_size", ["-1", "0", "abc", HUGE])
def test_odd_page_sizes_fall_back_or_cap_without_error(gamer_client, page_size):
    GameSessionFactory()
    response = gamer_client.get(LIST, {"page_size": page_size})
    assert response.status_code == 200
    assert response.json()["page_size"] in (20, 100)


@pytest.mark.parametrize(
    "params",
    [
        {"organizer": HUGE},
        {"organizer": BIGINT_PLUS_ONE},
        {"starts_after": "9999-12-31T23:59:59-14:00"},
        {"starts_after": "0000-01-01"},
        {"ordering": "-password"},
        {"search": "bad\x00byte"},
    ],
)
def test_odd_filters_are_400(gamer_client, params):
    response = gamer_client.get(LIST, params)
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("search", ["%", "_", "'; DROP TABLE x; --", "\\", "ü" * 50, "🎮"])
def test_odd_search_text_is_just_text(gamer_client, search):
    GameSessionFactory(title="100% fun")
    response = gamer_client.get(LIST, {"search": search})
    assert response.status_code == 200
    expected = 1 if search == "%" else 0
    assert response.json()["count"] == expected


def test_bad_update_bodies_are_400(gamer_client, gamer):
    session = GameSessionFactory(organizer=gamer)
    for body in ({"max_attendees": 0}, {"max_attendees": 10**9}, {"platform": "wii"}, {"starts_at": "soon"}):
        response = gamer_client.patch(f"{LIST}{session.pk}", body, format="json")
        assert response.status_code == 400 and set(body) <= set(response.json())


def test_huge_moderation_reason_is_400(moderator_client):
    session = GameSessionFactory()
    response = moderator_client.delete(f"{LIST}{session.pk}", QUERY_STRING="reason=" + "x" * 600)
    assert response.status_code == 400 and "reason" in response.json()
    assert GameSession.objects.filter(pk=session.pk).exists()
