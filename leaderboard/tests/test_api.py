"""REST API of SPEC §6: games, submissions, board pages, me, around-me, reports."""

from datetime import UTC, datetime, timedelta

import pytest

from conftest import ahead, client_for, make_gamer, utc
from leaderboard.catalog import DEFAULT_GAMES
from leaderboard.models import Score
from leaderboard.tests.factories import submit

# The boards are per UTC day, ISO week and month: every test starts at one instant, a Wednesday
# noon mid-month (ahead of the real clock, for Redis's expiries), whatever the real date.
MIDWEEK = ahead(utc(2031, 3, 12, 12))
pytestmark = [pytest.mark.usefixtures("games"), pytest.mark.time_machine(MIDWEEK, tick=True)]

URL = "/api/v1/leaderboard"


def test_games_lists_the_ten_seeded_games_for_anyone(api):
    response = api.get(f"{URL}/games")
    assert response.status_code == 200
    body = response.json()
    assert sorted((g["slug"], g["label"], g["max_score"]) for g in body) == sorted(DEFAULT_GAMES)
    assert {g["slug"] for g in body} >= {"cod", "fortnite", "valorant", "lol", "csgo", "chess"}


def test_the_data_migration_seeds_the_ten_default_games(db):
    import importlib

    from leaderboard.models import Game

    migration = importlib.import_module("leaderboard.migrations.0002_seed_games")
    assert [tuple(g) for g in migration.GAMES] == list(DEFAULT_GAMES)
    assert Game.objects.count() == 10
    assert Game.objects.get(slug="csgo").label == "CS:GO"


def test_submit_score_returns_201_with_best_and_ranks(gamer_client, other_gamer):
    submit(other_gamer, "cod", 1000)
    response = gamer_client.post(f"{URL}/scores", {"game": "cod", "score": 700}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body.pop("id") == Score.objects.get(user=gamer_client.user).pk
    assert body == {
        "status": "ranked",
        "game": "cod",
        "score": 700,
        "best": 700,
        "rank": 2,
        "period_ranks": {"day": 2, "week": 2, "month": 2, "all": 2},
        "boards_updated": True,
    }
    lower = gamer_client.post(f"{URL}/scores/", {"game": "cod", "score": 5}, format="json")
    assert (lower.status_code, lower.json()["best"], lower.json()["rank"]) == (201, 700, 2)
    assert Score.objects.filter(user=gamer_client.user).count() == 2


def test_submit_score_needs_a_token(api):
    response = api.post(f"{URL}/scores", {"game": "cod", "score": 1}, format="json")
    assert response.status_code == 401
    assert Score.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"game": "nope", "score": 1}, "code:unknown_game"),
        ({"game": "all", "score": 1}, "code:unknown_game"),
        ({"game": "cod", "score": -1}, "score"),
        ({"game": "chess", "score": 3501}, "code:score_out_of_range"),
        ({"game": "cod", "score": 10**30}, "code:score_out_of_range"),
        ({"game": "cod", "score": 12.5}, "score"),
        ({"game": "cod", "score": 12.0}, "score"),
        ({"game": "cod", "score": "12"}, "score"),
        ({"game": "cod", "score": True}, "score"),
        ({"game": "cod", "score": None}, "score"),
        ({"game": "cod"}, "score"),
        ({"score": 5}, "game"),
        ({"game": ["cod"], "score": 5}, "game"),
        ({"game": "x" * 100, "score": 5}, "game"),
        ({}, "game"),
    ],
)
def test_bad_submissions_get_a_clear_400(gamer_client, body, field):
    response = gamer_client.post(f"{URL}/scores", body, format="json")
    assert response.status_code == 400, response.content
    data = response.json()
    if field.startswith("code:"):
        assert data["code"] == field[5:]
        assert data["detail"]
    else:
        assert field in data
    assert Score.objects.count() == 0


@pytest.mark.parametrize("raw", ["[1, 2]", "null", '"cod"', "{nope", "12"])
def test_malformed_bodies_are_400_never_500(gamer_client, raw):
    response = gamer_client.post(f"{URL}/scores", raw, content_type="application/json")
    assert response.status_code == 400


def test_board_page_is_public_paginated_and_ranked(api, db):
    players = [make_gamer(f"ranked player {n}") for n in range(5)]
    for n, player in enumerate(players):
        submit(player, "fortnite", 100 * (n + 1))
    response = api.get(f"{URL}/fortnite?page_size=2&page=2")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"], body["page_size"]) == (5, 2, 3, 2)
    assert body["next"] and body["previous"]
    assert [(r["rank"], r["user_id"], r["player"], r["score"]) for r in body["results"]] == [
        (3, players[2].pk, players[2].username, 300),
        (4, players[1].pk, players[1].username, 200),
    ]
    assert body["results"][0]["date"].endswith("Z")
    assert api.get(f"{URL}/fortnite/?page=4&page_size=2").status_code == 404


def test_board_of_all_sums_bests_and_takes_a_period(api, db):
    a, b = make_gamer("all rounder"), make_gamer("specialist")
    submit(a, "cod", 300)
    submit(a, "rocket", 300)
    submit(b, "cod", 500)
    body = api.get(f"{URL}/all?period=week").json()
    assert [(r["player"], r["score"]) for r in body["results"]] == [("all rounder", 600), ("specialist", 500)]
    empty = api.get(f"{URL}/lol?period=day").json()
    assert (empty["count"], empty["results"]) == (0, [])


def test_board_errors_unknown_game_404_bad_period_400(api):
    missing = api.get(f"{URL}/tetris")
    assert (missing.status_code, missing.json()["code"]) == (404, "unknown_game")
    bad = api.get(f"{URL}/cod?period=year")
    assert bad.status_code == 400
    assert "period" in bad.json()
    assert api.get(f"{URL}/cod?page=0").status_code == 404
    assert api.get(f"{URL}/cod?page=abc").status_code == 404


def test_board_page_query_count_is_flat(api, db, django_assert_max_num_queries):
    players = [make_gamer(f"busy player {n}") for n in range(12)]
    for n, player in enumerate(players):
        submit(player, "cod", n)
    # Everything a board page shows comes from Redis: no query, whatever the page size.
    for size in (1, 100):
        for period in ("all", "day"):
            with django_assert_max_num_queries(0):
                assert api.get(f"{URL}/cod?page_size={size}&period={period}").status_code == 200


def test_me_returns_my_row_or_404(gamer_client, other_gamer):
    assert gamer_client.get(f"{URL}/cod/me").json()["code"] == "no_score"
    submit(other_gamer, "cod", 900)
    submit(gamer_client.user, "cod", 400)
    response = gamer_client.get(f"{URL}/cod/me?period=month")
    assert response.status_code == 200
    row = response.json()
    assert (row["rank"], row["user_id"], row["player"], row["score"]) == (2, gamer_client.user.pk, "gamer one", 400)
    assert gamer_client.get(f"{URL}/all/me").json()["rank"] == 2
    assert gamer_client.get(f"{URL}/rocket/me").status_code == 404
    assert gamer_client.get(f"{URL}/tetris/me").status_code == 404
    assert gamer_client.get(f"{URL}/cod/me?period=decade").status_code == 400


def test_me_and_around_me_need_a_token(api):
    assert api.get(f"{URL}/cod/me").status_code == 401
    assert api.get(f"{URL}/cod/around-me").status_code == 401


def test_around_me_at_top_and_bottom(db):
    players = [make_gamer(f"ladder player {n}") for n in range(8)]
    for n, player in enumerate(players):
        submit(player, "lol", 1000 - n)  # players[0] is first
    top = client_for(players[0]).get(f"{URL}/lol/around-me?radius=2").json()["results"]
    assert [r["rank"] for r in top] == [1, 2, 3]
    bottom = client_for(players[7]).get(f"{URL}/lol/around-me").json()["results"]
    assert [r["rank"] for r in bottom] == [3, 4, 5, 6, 7, 8]
    middle = client_for(players[4]).get(f"{URL}/lol/around-me?radius=1&period=day").json()["results"]
    assert [(r["rank"], r["user_id"]) for r in middle] == [(4, players[3].pk), (5, players[4].pk), (6, players[5].pk)]


@pytest.mark.parametrize("radius", ["-1", "51", "abc", "2.5", "1e3"])
def test_around_me_refuses_bad_radius(gamer_client, radius):
    submit(gamer_client.user, "lol", 1)
    assert gamer_client.get(f"{URL}/lol/around-me?radius={radius}").status_code == 400


def test_around_me_without_a_score_is_404(gamer_client):
    response = gamer_client.get(f"{URL}/lol/around-me")
    assert (response.status_code, response.json()["code"]) == (404, "no_score")


# --- reports ----------------------------------------------------------------------------


@pytest.fixture
def history(db):
    """Three players' scores in early March 2026, and one outside the range."""
    a, b, c = make_gamer("report alpha"), make_gamer("report bravo"), make_gamer("report charlie")

    def at(day, hour=12):
        return datetime(2026, 3, day, hour, tzinfo=UTC)

    submit(a, "cod", 500, at(2))
    submit(a, "cod", 800, at(3))  # best cod in range
    submit(a, "rocket", 100, at(4))  # a: 900, 2 games, best game cod, last 4th
    submit(b, "fortnite", 900, at(1))  # b: 900, 1 game, last 1st: ties with a, earlier last -> first
    submit(c, "rocket", 3000, at(5, 23))  # c: 3000 (rocket) on the 5th, late evening
    submit(c, "cod", 50_000, at(9))  # outside the range
    return a, b, c


def test_report_sums_bests_per_game_over_the_range(gamer_client, history):
    a, b, c = history
    response = gamer_client.get(f"{URL}/reports?start=2026-03-01&end=2026-03-05")
    assert response.status_code == 200
    body = response.json()
    assert body["start"] == "2026-03-01T00:00:00.000000Z"
    assert body["end"] == "2026-03-05T23:59:59.999999Z"  # a date as end includes the whole day
    assert body["game"] is None
    assert [(r["user_id"], r["name"], r["score"], r["games"], r["game"]) for r in body["results"]] == [
        (c.pk, c.username, 3000, 1, "rocket"),
        (b.pk, b.username, 900, 1, "fortnite"),
        (a.pk, a.username, 900, 2, "cod"),
    ]
    assert body["results"][2]["date"] == "2026-03-04T12:00:00.000000Z"


def test_report_by_game_with_datetimes_and_limit(gamer_client, history):
    a, _, c = history
    query = "start=2026-03-02T00:00:00Z&end=2026-03-09T12:00:00Z&game=cod"
    body = gamer_client.get(f"{URL}/reports?{query}").json()
    assert body["game"] == "cod"
    assert [(r["user_id"], r["score"], r["game"]) for r in body["results"]] == [
        (c.pk, 50_000, "cod"),
        (a.pk, 800, "cod"),
    ]
    top = gamer_client.get(f"{URL}/reports?{query}&limit=1").json()
    assert [r["user_id"] for r in top["results"]] == [c.pk]
    narrow = gamer_client.get(f"{URL}/reports?start=2026-03-05T22:00:00&end=2026-03-05T23:30:00").json()
    assert [r["user_id"] for r in narrow["results"]] == [c.pk]


@pytest.mark.time_machine(ahead(utc(2031, 3, 3, 0, 0, 30)), tick=False)  # a Monday, just past midnight
def test_report_defaults_to_the_seven_days_up_to_now(gamer_client):
    now = datetime.now(UTC)
    player = gamer_client.user
    submit(player, "cod", 10)  # stamped now: the end is included
    submit(player, "rocket", 7, at=now - timedelta(days=7))  # the first instant of the range
    submit(player, "fifa", 20, at=now - timedelta(days=7, microseconds=1))
    submit(player, "apex", 40, at=now - timedelta(days=8))
    body = gamer_client.get(f"{URL}/reports").json()
    assert (body["start"], body["end"]) == (
        f"{now - timedelta(days=7):%Y-%m-%dT%H:%M:%S.%fZ}",
        f"{now:%Y-%m-%dT%H:%M:%S.%fZ}",
    )
    assert [(r["score"], r["games"]) for r in body["results"]] == [(17, 2)]


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-03-05&end=2026-03-01",
        "limit=0",
        "limit=1000000",
        "limit=ten",
        "start=yesterday",
        "start=2026-02-30",
        "end=2026-03-01T25:00:00",
        "game=tetris",
    ],
)
def test_report_bad_input_is_400(gamer_client, query):
    response = gamer_client.get(f"{URL}/reports?{query}")
    assert response.status_code == 400, response.content


def test_report_needs_a_token(api):
    assert api.get(f"{URL}/reports").status_code == 401


def test_schema_documents_the_leaderboard(api):
    schema = api.get("/api/schema?format=json").json()
    for path in ["games", "scores", "reports", "{board}", "{board}/me", "{board}/around-me"]:
        assert f"/api/v1/leaderboard/{path}" in schema["paths"], path
