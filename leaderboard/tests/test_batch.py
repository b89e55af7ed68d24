"""Score batches from game servers (SPEC §6): `POST /leaderboard/scores/batch`, GameKey auth."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import ahead, client_for, make_gamer, utc
from leaderboard.games import game_catalog
from leaderboard.keys import key_create, key_revoke
from leaderboard.models import Score, ScoreSource, ScoreStatus, Suspension

MIDWEEK = ahead(utc(2031, 3, 12, 12))
pytestmark = [pytest.mark.usefixtures("games"), pytest.mark.time_machine(MIDWEEK, tick=False)]

URL = "/api/v1/leaderboard"
BATCH = f"{URL}/scores/batch"


@pytest.fixture
def server(admin: Any) -> APIClient:
    """A game server holding a chess key."""
    _, plaintext = key_create(game="chess", name="chess server", by=admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"GameKey {plaintext}")
    return client


def post(client: APIClient, scores: list[Any], game: str = "chess") -> Any:
    return client.post(BATCH, {"game": game, "scores": scores}, format="json")


def iso(delta: timedelta = timedelta(0)) -> str:
    return (timezone.now() + delta).isoformat()


def test_rows_are_stored_ranked_on_a_verified_game_with_best_and_rank(server, gamer, other_gamer, api):
    other_gamer.discord_id = "123456789"
    other_gamer.save(update_fields=["discord_id"])
    response = post(server, [{"player": gamer.pk, "score": 1500}, {"discord_id": "123456789", "score": 1800}])
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["index"], r["status"], r["best"], r["rank"]) for r in results] == [
        (0, "created", 1500, 1),
        (1, "created", 1800, 1),
    ]
    rows = Score.objects.order_by("id")
    assert [(s.user_id, s.value, s.status, s.source) for s in rows] == [
        (gamer.pk, 1500, ScoreStatus.RANKED, ScoreSource.SERVER),
        (other_gamer.pk, 1800, ScoreStatus.RANKED, ScoreSource.SERVER),
    ]
    assert [r["id"] for r in results] == [s.pk for s in rows]
    board = api.get(f"{URL}/chess?period=all").json()["results"]
    assert [(row["user_id"], row["score"], row["rank"]) for row in board] == [
        (other_gamer.pk, 1800, 1),
        (gamer.pk, 1500, 2),
    ]


def test_achieved_at_is_kept(server, gamer):
    at = timezone.now() - timedelta(days=2, hours=3)
    response = post(server, [{"player": gamer.pk, "score": 100, "achieved_at": at.isoformat()}])
    assert response.json()["results"][0]["status"] == "created"
    assert Score.objects.get().achieved_at == at


def test_each_bad_row_is_rejected_alone_with_its_code(server, gamer, other_gamer, admin):
    inactive = make_gamer("sleeper")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    suspended = make_gamer("cheater")
    Suspension.objects.create(
        user=suspended, game_id=server_game_id(), until=timezone.now() + timedelta(days=1), reason="x"
    )
    same = iso(-timedelta(hours=1))
    rows: list[Any] = [
        {"player": gamer.pk, "score": 10},  # 0 ok
        {"player": 999_999, "score": 10},  # 1
        {"discord_id": "nobody", "score": 10},  # 2
        {"player": inactive.pk, "score": 10},  # 3
        {"player": gamer.pk, "score": "10"},  # 4
        {"player": gamer.pk, "score": 3_501},  # 5 (chess max 3,500)
        {"player": gamer.pk, "score": -1},  # 6
        {"player": gamer.pk, "score": 10, "achieved_at": iso(timedelta(seconds=61))},  # 7
        {"player": gamer.pk, "score": 10, "achieved_at": "yesterday"},  # 8
        {"player": gamer.pk, "score": 10, "achieved_at": "2031-02-30T10:00:00Z"},  # 9
        {"player": gamer.pk, "score": 10, "achieved_at": "2031-03-01T10:00:00"},  # 10 naive
        {"player": other_gamer.pk, "score": 20, "achieved_at": same},  # 11 ok
        {"player": other_gamer.pk, "score": 20, "achieved_at": same},  # 12 duplicate of 11
        {"player": suspended.pk, "score": 10},  # 13
        "not a row",  # 14
        {"player": gamer.pk, "discord_id": "1", "score": 1},  # 15
        {"player": True, "score": 1},  # 16
        {"player": 10**30, "score": 1},  # 17
        {"player": gamer.pk},  # 18
        {"player": gamer.pk, "score": 1.5},  # 19
        {"player": gamer.pk, "score": 11, "achieved_at": iso(timedelta(seconds=59))},  # 20 ok: clock skew
    ]
    response = post(server, rows)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(rows)))
    codes = {r["index"]: r.get("code") for r in results}
    assert codes == {
        0: None,
        1: "unknown_player",
        2: "unknown_player",
        3: "inactive_player",
        4: "invalid_score",
        5: "score_out_of_range",
        6: "score_out_of_range",
        7: "future_achieved_at",
        8: "invalid_achieved_at",
        9: "invalid_achieved_at",
        10: "invalid_achieved_at",
        11: None,
        12: "duplicate",
        13: "suspended",
        14: "invalid_row",
        15: "invalid_row",
        16: "invalid_row",
        17: "unknown_player",
        18: "invalid_score",
        19: "invalid_score",
        20: None,
    }
    assert all(r["status"] == ("created" if codes[r["index"]] is None else "rejected") for r in results)
    assert all(r["detail"] for r in results if r["status"] == "rejected")
    assert sorted(Score.objects.values_list("user_id", "value")) == sorted(
        [(gamer.pk, 10), (other_gamer.pk, 20), (gamer.pk, 11)]
    )


def server_game_id() -> int:
    from leaderboard.models import Game

    return Game.objects.get(slug="chess").pk


def test_a_retried_batch_is_idempotent(server, gamer, other_gamer):
    rows = [
        {"player": gamer.pk, "score": 900, "achieved_at": iso(-timedelta(minutes=5))},
        {"player": other_gamer.pk, "score": 800, "achieved_at": iso(-timedelta(minutes=4))},
    ]
    first = post(server, rows).json()["results"]
    again = post(server, rows).json()["results"]
    assert [r["status"] for r in first] == ["created", "created"]
    assert [(r["status"], r["code"]) for r in again] == [("rejected", "duplicate"), ("rejected", "duplicate")]
    assert Score.objects.count() == 2
    # Another value or instant for the same player is a new score.
    more = post(server, [{**rows[0], "score": 901}, {**rows[1], "achieved_at": iso(-timedelta(minutes=3))}])
    assert [r["status"] for r in more.json()["results"]] == ["created", "created"]
    assert Score.objects.count() == 4


def test_rows_without_achieved_at_are_not_deduplicated(server, gamer):
    results = post(server, [{"player": gamer.pk, "score": 5}, {"player": gamer.pk, "score": 5}]).json()["results"]
    assert [r["status"] for r in results] == ["created", "created"]
    assert Score.objects.count() == 2


@pytest.mark.parametrize(
    "authorization",
    [None, "", "GameKey", "GameKey gck_nope", "Bearer gck_x", "GameKey a b", "Basic dXNlcjpwYXNz"],
)
def test_a_missing_or_unknown_key_is_401_invalid_key(authorization, gamer):
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    response = post(client, [{"player": gamer.pk, "score": 5}])
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_key"
    assert response["WWW-Authenticate"] == "GameKey"
    assert not Score.objects.exists()


def test_a_player_token_is_not_a_key(gamer):
    response = post(client_for(gamer), [{"player": gamer.pk, "score": 5}])
    assert (response.status_code, response.json()["code"]) == (401, "invalid_key")
    assert not Score.objects.exists()


def test_a_revoked_key_is_401(admin, gamer):
    key, plaintext = key_create(game="chess", name="old", by=admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"GameKey {plaintext}")
    assert post(client, [{"player": gamer.pk, "score": 5}]).status_code == 200
    key_revoke(key_id=key.pk, by=admin)
    response = post(client, [{"player": gamer.pk, "score": 6}])
    assert (response.status_code, response.json()["code"]) == (401, "invalid_key")
    assert Score.objects.count() == 1


def test_a_key_of_another_game_is_403_wrong_game(server, gamer):
    for game in ("cod", "nope", "all"):
        response = post(server, [{"player": gamer.pk, "score": 5}], game=game)
        assert (response.status_code, response.json()["code"]) == (403, "wrong_game")
    assert not Score.objects.exists()


def test_501_rows_is_400_and_nothing_is_written(server, gamer, settings):
    assert settings.LEADERBOARD_BATCH_MAX_ROWS == 500
    rows = [{"player": gamer.pk, "score": i} for i in range(501)]
    response = post(server, rows)
    assert (response.status_code, response.json()["code"]) == (400, "too_many_rows")
    assert not Score.objects.exists()
    assert post(server, rows[:500]).status_code == 200
    assert Score.objects.count() == 500


@pytest.mark.parametrize(
    "body",
    [[], "x", {"scores": []}, {"game": 5, "scores": []}, {"game": "chess"}, {"game": "chess", "scores": {"a": 1}}],
)
def test_a_malformed_body_is_400(server, body):
    response = server.post(BATCH, body, format="json")
    assert response.status_code == 400
    assert not Score.objects.exists()


def test_a_deep_body_is_400_json_too_deep(server):
    deep = '{"game": "chess", "scores": ' + "[" * 1000 + "]" * 1000 + "}"
    response = server.post(BATCH, deep, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "json_too_deep")


def test_an_empty_batch_is_fine(server):
    response = post(server, [])
    assert (response.status_code, response.json()) == (200, {"results": []})


def _queries(server: APIClient, rows: list[Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert post(server, rows).status_code == 200
    return len(captured)


def test_queries_do_not_grow_with_the_rows(server):
    from django.contrib.auth import get_user_model

    gamer_model = get_user_model()
    players = gamer_model.objects.bulk_create(
        gamer_model(
            username=f"player {i}",
            username_key=f"player {i}",
            username_skeleton=f"player {i}",
            email=f"player{i}@example.com",
            discord_id=f"d{i}" if i >= 20 else None,
        )
        for i in range(40)
    )

    def rows(n: int, minutes: int) -> list[Any]:
        out: list[Any] = []
        for i in range(n):
            who = {"player": players[i % 20].pk} if i % 2 else {"discord_id": f"d{20 + i % 20}"}
            out.append({**who, "score": i, "achieved_at": iso(-timedelta(minutes=minutes, seconds=i))})
        return out

    game_catalog()  # cached per process: loaded once, not per batch
    small = _queries(server, rows(2, 100))
    large = _queries(server, rows(200, 200))
    # Key, players by id, by Discord id, stored duplicates, suspensions, then the INSERT with
    # its aggregates in one savepoint: the same for 2 rows as for 200.
    assert large == small <= 11
    assert Score.objects.count() == 202


def test_throttled_per_key(server, admin, gamer, settings):
    settings.THROTTLE_GAME_KEY_RATE = "2/min"
    assert post(server, []).status_code == 200
    assert post(server, []).status_code == 200
    third = post(server, [])
    assert (third.status_code, third.json()["code"]) == (429, "throttled")
    # Another key has its own window.
    _, plaintext = key_create(game="chess", name="other", by=admin)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"GameKey {plaintext}")
    assert post(other, []).status_code == 200
