"""common.edge answers `POST /leaderboard/scores` in front of Django's handler, exactly as Django.

Every request goes to a fresh pair of ASGI apps built under the test's settings: the edge, and
Django's handler alone (what the edge hands over to). The status, the body and every header of
the two answers must be equal, and `edge.stats` tells which requests the edge answered itself
(a lower score than the player's best is submitted, so two submissions get the same answer).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from common import edge
from common.asgi import PooledThreadASGIHandler
from conftest import make_gamer
from gamers.services import token_pair_for
from leaderboard import api
from leaderboard.models import Score
from leaderboard.tests.factories import ensure_games, submit

pytestmark = pytest.mark.django_db(transaction=True)

SCORES = "/api/v1/leaderboard/scores"


@pytest.fixture
def world() -> dict[str, Any]:
    ensure_games()
    me = make_gamer("edge player")
    submit(make_gamer("edge rival"), "cod", 700)
    submit(me, "cod", 500)
    return {"me": me, "token": token_pair_for(me)["access"]}


async def _call(app: Any, path: str, headers: dict[str, str], body: bytes, method: str = "POST") -> tuple[Any, ...]:
    """One request through an ASGI app, as daphne makes it: (status, headers, body)."""
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    if body and "content-length" not in {k.lower() for k in headers}:
        raw.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw if any(k == b"host" for k, _ in raw) else [(b"host", b"testserver"), *raw],
        "client": ["127.0.0.1", 40000],
        "server": ["testserver", 80],
    }
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    start = messages[0]
    assert start["type"] == "http.response.start"
    content = b"".join(m.get("body", b"") for m in messages[1:])
    return start["status"], sorted((k.decode(), v.decode()) for k, v in start["headers"]), content


async def _both(path: str, headers: dict[str, str], body: bytes | dict, method: str = "POST") -> tuple[Any, ...]:
    """(edge answer, Django's answer); asserts they are equal. Also returns what the edge did."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    django_app = PooledThreadASGIHandler()  # loads MIDDLEWARE as the settings are now
    front = edge.Edge(django_app)
    edge.stats.clear()
    at_edge = await _call(front, path, headers, data, method)
    answered = edge.stats["answered"]
    direct = await _call(django_app, path, headers, data, method)
    assert at_edge == direct
    return at_edge, answered


def _json_post(token: str | None, **extra: str) -> dict[str, str]:
    headers = {"Content-Type": "application/json", **extra}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


async def test_a_plain_submission_is_answered_at_the_edge_like_django(world):
    before = await Score.objects.acount()
    for path in (SCORES, SCORES + "/"):
        (status, headers, content), answered = await _both(
            path, _json_post(world["token"]), {"game": "cod", "score": 100}
        )
        assert answered == 1
        assert status == 201
        assert json.loads(content) == {
            "game": "cod",
            "score": 100,
            "best": 500,
            "rank": 2,
            "period_ranks": {"day": 2, "week": 2, "month": 2, "all": 2},
            "boards_updated": True,
        }
        names = {name.lower() for name, _ in headers}
        assert {"content-type", "content-length", "x-frame-options", "x-content-type-options", "vary"} <= names
    assert await Score.objects.acount() == before + 4  # edge and Django, with and without the slash


@pytest.mark.parametrize(
    ("overrides", "extra"),
    [
        (
            {"SECURE_HSTS_SECONDS": 3600, "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")},
            {"X-Forwarded-Proto": "https"},
        ),
        ({"X_FRAME_OPTIONS": "SAMEORIGIN", "SECURE_REFERRER_POLICY": "no-referrer"}, {}),
        ({"SECURE_CROSS_ORIGIN_OPENER_POLICY": None, "SECURE_CONTENT_TYPE_NOSNIFF": False}, {}),
        ({"CORS_ALLOWED_ORIGINS": ["https://play.example"]}, {"Origin": "https://play.example"}),
        ({"CORS_ALLOWED_ORIGINS": ["https://play.example"]}, {"Origin": "https://evil.example"}),
    ],
)
async def test_middleware_headers_are_django_s_under_other_settings(world, settings, overrides, extra):
    for name, value in overrides.items():
        setattr(settings, name, value)
    (status, headers, _), answered = await _both(
        SCORES, _json_post(world["token"], **extra), {"game": "cod", "score": 7}
    )
    assert status == 201 and answered == 1
    if "SECURE_HSTS_SECONDS" in overrides:
        assert ("Strict-Transport-Security", "max-age=3600") in headers
    if extra.get("Origin") == "https://play.example":
        assert ("access-control-allow-origin", "https://play.example") in [(k.lower(), v) for k, v in headers]


@pytest.mark.parametrize(
    ("overrides", "extra", "body", "status"),
    [
        ({}, {"Host": "attacker.example"}, {"game": "cod", "score": 1}, 400),  # ALLOWED_HOSTS
        ({"SECURE_SSL_REDIRECT": True}, {}, {"game": "cod", "score": 1}, 301),
        (
            {"DISALLOWED_USER_AGENTS": [re.compile(r"^BadBot")]},
            {"User-Agent": "BadBot/1.0"},
            {"game": "cod", "score": 1},
            403,
        ),
        ({}, {"Cookie": "sessionid=abc"}, {"game": "cod", "score": 1}, 201),
        ({"DATA_UPLOAD_MAX_MEMORY_SIZE": 10}, {}, {"game": "cod", "score": 1}, 413),
        ({}, {}, {"game": "cod", "score": "1"}, 400),  # the body is handed over with the request
        ({}, {}, {"game": "nope", "score": 1}, 400),
        ({}, {"Authorization": "Bearer not-a-token"}, {"game": "cod", "score": 1}, 401),
        ({}, {"Content-Type": "text/plain"}, {"game": "cod", "score": 1}, 415),
    ],
)
async def test_requests_a_middleware_or_the_view_would_refuse_go_to_django(
    world, settings, overrides, extra, body, status
):
    for name, value in overrides.items():
        setattr(settings, name, value)
    headers = {**_json_post(world["token"]), **extra}
    (got, _, _), answered = await _both(SCORES, headers, body)
    assert got == status
    assert answered == 0


async def test_other_methods_and_no_token_get_django_s_answer(world):
    (status, _, _), answered = await _both(SCORES, {"Content-Type": "application/json"}, {"game": "cod", "score": 1})
    assert status == 401 and answered == 0
    (status, _, _), answered = await _both(SCORES, _json_post(world["token"]), b"", method="GET")
    assert status == 405 and answered == 0


async def test_an_unexpected_error_is_django_s_500(world, monkeypatch):
    def broken(items: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(api.ScoreSubmitApi, "fast_batch", staticmethod(broken))
    (status, _, content), answered = await _both(SCORES, _json_post(world["token"]), {"game": "cod", "score": 1})
    assert status == 500 and answered == 1
    assert json.loads(content)["code"] == "server_error"


async def test_an_unknown_middleware_turns_the_edge_off(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "some.vendor.AuditMiddleware"]
    front = edge.Edge(lambda scope, receive, send: None)  # type: ignore[arg-type, return-value]
    front.load()
    assert front.routes == {} and front.middleware is None


async def test_a_refusal_at_the_edge_is_logged_like_django_logs_it(world, settings, caplog):
    settings.THROTTLE_USER_RATE = "1/min"
    body = json.dumps({"game": "cod", "score": 3}).encode()
    front = edge.Edge(PooledThreadASGIHandler())
    assert (await _call(front, SCORES, _json_post(world["token"]), body))[0] == 201
    edge.stats.clear()
    caplog.clear()
    with caplog.at_level("WARNING", logger="django.request"):
        assert (await _call(front, SCORES, _json_post(world["token"]), body))[0] == 429
    assert edge.stats["answered"] == 1
    assert [r.getMessage() for r in caplog.records if r.name == "django.request"] == [
        "Too Many Requests: /api/v1/leaderboard/scores"
    ]
