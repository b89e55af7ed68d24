import pytest

pytestmark = pytest.mark.django_db


def test_every_sessions_endpoint_and_its_documented_errors_are_in_the_schema(api):
    doc = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = doc["paths"]
    expected = {
        "/api/v1/sessions": {"get", "post"},
        "/api/v1/sessions/{id}": {"get", "put", "patch", "delete"},
        "/api/v1/sessions/{id}/join": {"post"},
        "/api/v1/sessions/{id}/leave": {"post"},
        "/api/v1/sessions/{id}/attendees": {"get"},
        "/api/v1/sessions/{id}/like": {"post", "delete"},
        "/api/v1/sessions/{id}/reviews": {"get", "post"},
        "/api/v1/sessions/{id}/reviews/mine": {"get", "put", "patch", "delete"},
        "/api/v1/reviews": {"get"},
        "/api/v1/reviews/{id}": {"get", "delete"},
        "/api/v1/me/sessions": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    join = paths["/api/v1/sessions/{id}/join"]["post"]["responses"]
    assert {"200", "401", "404", "409"} <= set(join)
    assert "session_full" in join["409"]["description"]
    assert {"201", "409"} <= set(paths["/api/v1/sessions/{id}/like"]["post"]["responses"])
    assert {"403", "409"} <= set(paths["/api/v1/sessions/{id}/reviews"]["post"]["responses"])
    listing = paths["/api/v1/sessions"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"game", "platform", "organizer", "joinable", "starts_after", "starts_before", "search", "ordering"} <= names
    assert {"page", "page_size"} <= names
    ordering = next(p for p in listing["parameters"] if p["name"] == "ordering")
    assert {"starts_at", "-created_at", "-like_count", "-attendee_count"} <= set(ordering["schema"]["enum"])
    page_schema = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert "$ref" in page_schema or "properties" in page_schema
    detail_id = next(p for p in paths["/api/v1/sessions/{id}"]["get"]["parameters"] if p["name"] == "id")
    assert detail_id["schema"]["type"] == "integer"
