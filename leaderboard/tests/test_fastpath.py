"""The async fast path of the hot endpoints (common.fastpath) answers exactly like the DRF view.

Every request is made twice on the same data: through ASGI (Django's AsyncClient, which takes
the fast path) and through WSGI (the test client, which always runs the DRF view), and the
status, the body and the headers a client can see must be equal. `fastpath.stats` tells which
requests the fast path answered itself, so a fast path that silently fell back for everything
would fail here too.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient, Client
from django.urls import resolve

from common import fastpath
from conftest import make_gamer
from gamers.services import token_pair_for
from leaderboard.models import Score
from leaderboard.tests.factories import ensure_games, submit

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = (
    "Content-Type",
    "Allow",
    "Vary",
    "WWW-Authenticate",
    "Retry-After",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
)


@pytest.fixture
def world() -> dict[str, Any]:
    ensure_games()
    me = make_gamer("fast player")
    rival = make_gamer("rival player")
    submit(rival, "cod", 700)
    submit(me, "cod", 500)
    submit(rival, "apex", 30)
    return {"me": me, "rival": rival, "token": token_pair_for(me)["access"]}


def _seen(response: Any) -> tuple[int, Any, dict[str, str]]:
    body = json.loads(response.content) if response.content else None
    return response.status_code, body, {h: response.headers[h] for h in HEADERS if h in response.headers}


async def _both(method: str, path: str, token: str | None = None, body: Any = None, **extra: Any) -> Any:
    """(fast, drf) as (status, body, headers); asserts they are equal."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs: dict[str, Any] = {"headers": headers, **extra}
    if body is not None:
        kwargs["data"] = body if isinstance(body, str) else json.dumps(body)
        kwargs.setdefault("content_type", "application/json")
    fast = await getattr(AsyncClient(), method)(path, **kwargs)
    drf = await sync_to_async(getattr(Client(), method))(path, **kwargs)
    assert _seen(fast) == _seen(drf), path
    return _seen(fast)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/leaderboard/cod",
        "/api/v1/leaderboard/cod/",
        "/api/v1/leaderboard/cod?page_size=1&page=2",
        "/api/v1/leaderboard/all?period=week&page_size=10",
        "/api/v1/leaderboard/apex?period=day",
        "/api/v1/leaderboard/chess",  # empty board: one empty page
    ],
)
async def test_board_pages_are_answered_on_the_loop_like_the_drf_view(world, path):
    fastpath.stats.clear()
    status, _, headers = await _both("get", path)
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert fastpath.stats["fast"] == 1


async def test_me_and_around_me_are_answered_on_the_loop_like_the_drf_view(world):
    token = world["token"]
    fastpath.stats.clear()
    me = await _both("get", "/api/v1/leaderboard/cod/me", token)
    assert me[0] == 200 and me[1]["rank"] == 2 and me[1]["score"] == 500
    around = await _both("get", "/api/v1/leaderboard/cod/around-me?radius=1&period=month", token)
    assert [r["player"] for r in around[1]["results"]] == ["rival player", "fast player"]
    mine_all = await _both("get", "/api/v1/leaderboard/all/me/", token)
    assert mine_all[1]["score"] == 500
    assert fastpath.stats["fast"] == 3


@pytest.mark.parametrize(
    ("path", "status", "code", "fast"),
    [
        ("/api/v1/leaderboard/cod?page=9", 404, "not_found", True),  # past the end: after the throttle
        ("/api/v1/leaderboard/apex/me", 404, "no_score", True),
        ("/api/v1/leaderboard/apex/around-me", 404, "no_score", True),
        ("/api/v1/leaderboard/nope", 404, "unknown_game", False),
        ("/api/v1/leaderboard/nope/me", 404, "unknown_game", False),
        ("/api/v1/leaderboard/cod?period=year", 400, None, False),
        ("/api/v1/leaderboard/cod?page=abc", 404, "not_found", False),
        ("/api/v1/leaderboard/cod/around-me?radius=51", 400, None, False),
        ("/api/v1/leaderboard/cod/me?format=json", 200, None, False),
    ],
)
async def test_read_errors_are_the_drf_view_errors(world, path, status, code, fast):
    fastpath.stats.clear()
    got = await _both("get", path, world["token"])
    assert got[0] == status
    if code:
        assert got[1]["code"] == code
    assert fastpath.stats["fast"] == (1 if fast else 0)


@pytest.mark.parametrize(
    "body",
    [
        {"game": "nope", "score": 1},
        {"game": "all", "score": 1},
        {"game": "cod", "score": 100001},
        {"game": "cod", "score": -1},
        {"game": "cod", "score": 12.0},
        {"game": "cod", "score": "12"},
        {"game": "cod", "score": True},
        {"game": "cod"},
        [],
        "{not json",
        '{"game": "cod", "score": NaN}',
    ],
)
async def test_invalid_submissions_get_the_drf_view_answer_and_store_nothing(world, body):
    before = await Score.objects.acount()
    got = await _both("post", "/api/v1/leaderboard/scores", world["token"], body)
    assert got[0] == 400
    assert await Score.objects.acount() == before


async def test_auth_failures_are_the_drf_view_answers(world):
    me = world["me"]
    assert (await _both("post", "/api/v1/leaderboard/scores", None, {"game": "cod", "score": 1}))[0] == 401
    assert (await _both("get", "/api/v1/leaderboard/cod/me", "not-a-token"))[0] == 401
    me.is_active = False  # banned
    await me.asave(update_fields=["is_active"])
    got = await _both("get", "/api/v1/leaderboard/cod/me", world["token"])
    assert got[0] == 401 and got[1]["code"] == "user_inactive"
    got = await _both("post", "/api/v1/leaderboard/scores", world["token"], {"game": "cod", "score": 9})
    assert got[0] == 401 and got[1]["code"] == "user_inactive"
    await me.adelete()
    got = await _both("get", "/api/v1/leaderboard/cod/me", world["token"])
    assert got[0] == 401 and got[1]["code"] == "user_not_found"


async def test_a_submission_on_the_loop_answers_like_the_drf_view(world):
    rival_token = (await sync_to_async(token_pair_for)(world["rival"]))["access"]
    fastpath.stats.clear()
    fast = await AsyncClient().post(
        "/api/v1/leaderboard/scores/",
        {"game": "cod", "score": 900},
        content_type="application/json",
        headers={"Authorization": f"Bearer {world['token']}"},
    )
    drf = await sync_to_async(Client().post)(
        "/api/v1/leaderboard/scores",
        {"game": "cod", "score": 950},
        content_type="application/json",
        headers={"Authorization": f"Bearer {rival_token}"},
    )
    assert fastpath.stats["fast"] == 1
    assert fast.status_code == drf.status_code == 201
    assert fast.json() == {
        "game": "cod",
        "score": 900,
        "best": 900,
        "rank": 1,
        "period_ranks": {"day": 1, "week": 1, "month": 1, "all": 1},
        "boards_updated": True,
    }
    assert drf.json()["rank"] == 1 and drf.json()["best"] == 950
    assert {h: fast.headers.get(h) for h in HEADERS} == {h: drf.headers.get(h) for h in HEADERS}
    assert await Score.objects.filter(user=world["me"], value=900).acount() == 1


async def test_throttled_requests_get_drf_s_429(world, settings):
    settings.THROTTLE_USER_RATE = "2/min"
    token = world["token"]
    for _ in range(2):
        assert (
            await AsyncClient().get("/api/v1/leaderboard/cod/me", headers={"Authorization": f"Bearer {token}"})
        ).status_code == 200
    fastpath.stats.clear()
    fast = await AsyncClient().get("/api/v1/leaderboard/cod/me", headers={"Authorization": f"Bearer {token}"})
    drf = await sync_to_async(Client().get)("/api/v1/leaderboard/cod/me", headers={"Authorization": f"Bearer {token}"})
    assert fastpath.stats["fast"] == 1  # refused by the fast path itself, not handed over
    assert fast.status_code == drf.status_code == 429
    assert fast.json()["code"] == drf.json()["code"] == "throttled"
    assert int(fast.headers["Retry-After"]) > 0 and int(drf.headers["Retry-After"]) > 0
    assert {h: fast.headers.get(h) for h in HEADERS if h != "Retry-After"} == {
        h: drf.headers.get(h) for h in HEADERS if h != "Retry-After"
    }


async def test_batched_submissions_are_throttled_like_the_drf_view(world, settings):
    """Submissions are throttled in their batch, after the user is loaded, before the write."""
    settings.THROTTLE_USER_RATE = "3/min"
    token = world["token"]
    before = await Score.objects.filter(user=world["me"]).acount()

    async def post(score: int) -> Any:
        return await AsyncClient().post(
            "/api/v1/leaderboard/scores",
            {"game": "apex", "score": score},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    fastpath.stats.clear()
    answers = await asyncio.gather(*(post(10 + i) for i in range(5)))
    assert sorted(a.status_code for a in answers) == [201, 201, 201, 429, 429]
    assert fastpath.stats["fast"] == 5  # the 429s too: refused by the batch, not handed over
    refused = [a for a in answers if a.status_code == 429]
    drf = await sync_to_async(Client().post)(
        "/api/v1/leaderboard/scores",
        {"game": "apex", "score": 99},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert drf.status_code == 429
    assert refused[0].json()["code"] == drf.json()["code"] == "throttled"
    assert int(refused[0].headers["Retry-After"]) > 0
    assert {h: refused[0].headers.get(h) for h in HEADERS if h != "Retry-After"} == {
        h: drf.headers.get(h) for h in HEADERS if h != "Retry-After"
    }
    assert await Score.objects.filter(user=world["me"]).acount() == before + 3  # refused: not stored


async def test_concurrent_submissions_over_http_are_group_committed(world):
    players = [await sync_to_async(make_gamer)(f"burst player {i}") for i in range(12)]
    tokens = [await sync_to_async(token_pair_for)(p) for p in players]
    fastpath.stats.clear()
    batch = resolve("/api/v1/leaderboard/scores").func.fast_route.batch
    batch.batch_sizes = []

    async def post(token: dict[str, str], score: int) -> Any:
        return await AsyncClient().post(
            "/api/v1/leaderboard/scores",
            {"game": "fortnite", "score": score},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token['access']}"},
        )

    responses = await asyncio.gather(*(post(t, 100 + i) for i, t in enumerate(tokens)))
    assert [r.status_code for r in responses] == [201] * 12
    assert fastpath.stats["fast"] == 12
    # Loaded, throttled and written together: one trip to a worker thread per batch.
    assert sum(batch.batch_sizes) == 12 and max(batch.batch_sizes) > 1
    assert await Score.objects.filter(game__slug="fortnite").acount() == 12
    ranks = {r.json()["score"]: r.json()["rank"] for r in responses}
    # Each answer holds the rank right after its own row: the later, higher scores were not
    # on the board yet when an earlier submission of the same batch was applied.
    assert ranks[111] == 1


async def test_a_remembered_token_still_expires(world, monkeypatch):
    """The fast path keeps each valid token's check (common.fastpath._valid_tokens), but not
    past the token's expiry: then the DRF view answers its 401, as it would have."""
    token = world["token"]
    headers = {"Authorization": f"Bearer {token}"}
    fastpath._valid_tokens.clear()
    assert (await AsyncClient().get("/api/v1/leaderboard/cod/me", headers=headers)).status_code == 200
    assert token.encode() in fastpath._valid_tokens
    expires = fastpath._valid_tokens[token.encode()][1]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    got = await AsyncClient().get("/api/v1/leaderboard/cod/me", headers={"Authorization": f"Bearer {forged}"})
    assert got.status_code == 401 and forged.encode() not in fastpath._valid_tokens  # failures aren't kept
    monkeypatch.setattr(fastpath.time, "time", lambda: expires + 1)
    fastpath.stats.clear()
    # The DRF view reads the clock through PyJWT and simplejwt: move theirs as well.
    from datetime import UTC, datetime

    from rest_framework_simplejwt import tokens

    monkeypatch.setattr(tokens, "aware_utcnow", lambda: datetime.fromtimestamp(expires + 1, tz=UTC))
    got = await AsyncClient().get("/api/v1/leaderboard/cod/me", headers=headers)
    assert fastpath.stats["fast"] == 0  # handed to the DRF view
    assert got.status_code == 401 and got.json()["code"] == "token_not_valid"
