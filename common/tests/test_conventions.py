"""SPEC §1 conventions, exercised through real endpoints."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from conftest import make_gamer

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["/api/v1/auth/me", "/api/v1/auth/me/"])
def test_paths_answer_with_and_without_trailing_slash_without_redirect(gamer_client, path):
    response = gamer_client.get(path)
    assert response.status_code == 200


def test_post_with_trailing_slash_is_not_redirected(api):
    response = api.post("/api/v1/auth/token/", {"login": "x", "password": "y"}, format="json")
    assert response.status_code == 401


def test_unknown_api_path_is_json_404(api):
    response = api.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"detail": "Nothing lives at this address.", "code": "not_found"}


def test_wrong_method_is_json_405(gamer_client):
    response = gamer_client.put("/api/v1/auth/token", {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_malformed_json_is_400_with_code(api):
    response = api.generic("POST", "/api/v1/auth/register", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unsupported_media_type_is_415(api):
    response = api.generic("POST", "/api/v1/auth/register", "<xml/>", content_type="application/xml")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_oversized_body_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.generic("POST", "/api/v1/auth/register", "x" * 2000, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_pagination_format_and_page_past_the_end(moderator_client):
    for i in range(5):
        make_gamer(f"paged gamer {i}")
    body = moderator_client.get("/api/v1/gamers/", {"page_size": 2, "page": 2}).json()
    assert set(body) == {"count", "page", "pages", "page_size", "next", "previous", "results"}
    assert (body["count"], body["page"], body["pages"], body["page_size"], len(body["results"])) == (6, 2, 3, 2, 2)
    assert body["next"] and body["previous"]
    past = moderator_client.get("/api/v1/gamers/", {"page": 99})
    assert past.status_code == 404 and past.json()["code"] == "not_found"
    for bad in ("-1", "0", "abc", "99999999999999999999"):
        assert moderator_client.get("/api/v1/gamers/", {"page": bad}).status_code == 404


def test_page_size_is_capped_at_100(moderator_client):
    assert moderator_client.get("/api/v1/gamers/", {"page_size": 5000}).json()["page_size"] == 100


def test_healthz_reports_database_and_redis(api, settings):
    response = api.get("/healthz")
    assert response.status_code == 200
    expected_redis = "ok" if settings.REDIS_URL else "embedded"
    assert response.json() == {"status": "ok", "database": "ok", "redis": expected_redis}


def test_healthz_is_503_naming_the_failing_part(api, monkeypatch):
    import common.health

    def broken() -> str:
        raise ConnectionError("redis down")

    monkeypatch.setattr(common.health, "redis_status", broken)
    response = api.get("/healthz/")
    assert response.status_code == 503
    assert response.json()["redis"] == "down" and "redis" in response.json()["failing"]


def test_database_outage_is_a_503_not_a_500(gamer_client, monkeypatch):
    from django.db import OperationalError

    import gamers.api

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(gamers.api, "gamer_profile", down)
    response = gamer_client.get("/api/v1/gamers/1")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


def test_unhandled_error_is_json_500(gamer_client, monkeypatch):
    import gamers.api

    monkeypatch.setattr(gamers.api, "gamer_profile", lambda pk: 1 / 0)
    response = gamer_client.get("/api/v1/gamers/1")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


def test_schema_and_docs_are_served(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    doc = schema.json()
    register = doc["paths"]["/api/v1/auth/register"]["post"]["responses"]
    assert {"201", "400", "409", "429"} <= set(register)
    me = doc["paths"]["/api/v1/auth/me"]["get"]["responses"]
    assert {"200", "401", "403"} <= set(me)
    for page in ("/api/docs/", "/api/redoc/"):
        response = api.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        # Served from our own static files (drf-spectacular-sidecar): the docs work offline.
        assert "/static/drf_spectacular_sidecar/" in html and "cdn.jsdelivr.net" not in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")


def test_process_refuses_to_start_without_secret_key_when_debug_is_off(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "PYTEST_CURRENT_TEST"}}
    env.update({"DEBUG": "false", "DJANGO_SETTINGS_MODULE": "config.settings"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.strip().splitlines() if line]
    assert lines == ["GameConnect cannot start: SECRET_KEY must be set when DEBUG is off; refusing to start."]


def test_production_settings_pass_the_deploy_check():
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "x" * 60 + "-production-like-secret-key-0123456789",
            "ALLOWED_HOSTS": "gameconnect.tn",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_400_admits_both_error_shapes(api, gamer_client):
    """A `{detail, code}` body also fits the free-form field dict, so the 400 schema must be
    `anyOf` (a `oneOf` refused it as matching twice; found by the API fuzzing)."""
    import jsonschema

    doc = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = doc["components"]["schemas"]
    bodies = [
        gamer_client.post("/api/v1/leaderboard/scores", {"game": "nope", "score": 1}, format="json"),
        gamer_client.post("/api/v1/leaderboard/scores", {}, format="json"),
        gamer_client.post("/api/v1/auth/logout", {"refresh": "not-a-token"}, format="json"),
    ]
    assert [response.status_code for response in bodies] == [400, 400, 400]
    assert "code" in bodies[0].json() and "game" in bodies[1].json()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            schema = operation["responses"]["400"]["content"]["application/json"]["schema"]
            assert schema == {
                "anyOf": [{"$ref": "#/components/schemas/Error"}, {"$ref": "#/components/schemas/ValidationError"}]
            }, f"{method} {path}"
            for body in bodies:
                jsonschema.validate(body.json(), {**schema, "components": {"schemas": components}})
