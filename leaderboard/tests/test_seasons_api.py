"""GET /leaderboard/{board}/seasons and /leaderboard/{board}/seasons/{key} (SPEC §6 "Seasons")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from conftest import make_gamer
from leaderboard import seasons
from leaderboard.models import Game, Score, Season

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("games")]

NOW = datetime(2026, 12, 7, 0, 5, tzinfo=UTC)
IN_WEEK = datetime(2026, 12, 3, 12, tzinfo=UTC)
URL = "/api/v1/leaderboard"


def add(user: Any, game: str, value: int, at: datetime) -> None:
    Score.objects.create(user=user, game=Game.objects.get(slug=game), value=value, achieved_at=at)


def archive_at(now: datetime) -> None:
    with time_machine.travel(now, tick=False):
        seasons.seasons_archive()


@pytest.fixture
def weeks(settings: Any) -> list[Any]:
    """Four weeks archived (W46..W49); in each, four players on cod ranked 0, 1, 2, 3."""
    settings.LEADERBOARD_SEASON_DELAY_SECONDS = 60
    players = [make_gamer(f"weekly {n}") for n in range(4)]
    for back in range(3, -1, -1):
        at = IN_WEEK - timedelta(weeks=back)
        for n, player in enumerate(players):
            add(player, "cod", 1000 - 10 * n - back, at + timedelta(minutes=n))
        archive_at(NOW - timedelta(weeks=back))
    return players


def test_the_list_is_newest_first_with_the_top_three(api, weeks, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # count, page, the page's winners
        response = api.get(f"{URL}/cod/seasons?period=week&page_size=3")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["count"], body["pages"]) == (4, 2)
    assert [s["key"] for s in body["results"]] == ["w2026-W49", "w2026-W48", "w2026-W47"]
    latest = body["results"][0]
    assert (latest["starts"], latest["ends"], latest["players"]) == (
        "2026-11-30T00:00:00.000000Z",
        "2026-12-07T00:00:00.000000Z",
        4,
    )
    assert latest["winners"] == [
        {"rank": 1, "user_id": weeks[0].pk, "player": "weekly 0", "score": 1000, "date": "2026-12-03T12:00:00.000000Z"},
        {"rank": 2, "user_id": weeks[1].pk, "player": "weekly 1", "score": 990, "date": "2026-12-03T12:01:00.000000Z"},
        {"rank": 3, "user_id": weeks[2].pk, "player": "weekly 2", "score": 980, "date": "2026-12-03T12:02:00.000000Z"},
    ]
    second = api.get(f"{URL}/cod/seasons?period=week&page_size=3&page=2").json()
    assert [s["key"] for s in second["results"]] == ["w2026-W46"]
    assert [w["score"] for w in second["results"][0]["winners"]] == [997, 987, 977]


def test_the_list_reads_the_same_number_of_queries_for_a_full_page(api, weeks, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = api.get(f"{URL}/all/seasons?period=day&page_size=100")
    assert response.status_code == 200
    days = response.json()["results"]
    assert len(days) == 4  # the Sundays archived by each of the four ticks
    assert all(d["winners"] == [] for d in days)  # nobody played on those Sundays


def test_the_period_defaults_to_week_and_month_lists_months(api, weeks):
    assert api.get(f"{URL}/cod/seasons").json()["results"][0]["key"] == "w2026-W49"
    months = api.get(f"{URL}/cod/seasons?period=month").json()["results"]
    assert [m["key"] for m in months] == ["m2026-11", "m2026-10"]


def test_a_bad_period_is_400_and_an_unknown_board_404(api, weeks):
    for period in ("all", "year", ""):
        response = api.get(f"{URL}/cod/seasons?period={period}")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_period"
    response = api.get(f"{URL}/nope/seasons")
    assert (response.status_code, response.json()["code"]) == (404, "unknown_game")
    response = api.get(f"{URL}/nope/seasons/w2026-W49")
    assert (response.status_code, response.json()["code"]) == (404, "unknown_game")


def test_an_archived_board_is_paginated_in_rank_order(api, weeks, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # the season, count, page
        response = api.get(f"{URL}/cod/seasons/w2026-W49?page_size=3&page=2")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["pages"]) == (4, 2)
    assert body["results"] == [
        {"rank": 4, "user_id": weeks[3].pk, "player": "weekly 3", "score": 970, "date": "2026-12-03T12:03:00.000000Z"}
    ]
    everyone = api.get(f"{URL}/all/seasons/w2026-W48").json()["results"]
    assert [(r["rank"], r["user_id"], r["score"]) for r in everyone] == [
        (n + 1, p.pk, 1000 - 10 * n - 1) for n, p in enumerate(weeks)
    ]


def test_an_unknown_season_is_404(api, weeks):
    for key in ("w2026-W50", "w2025-W49", "x2026-W49", "d2026-12-07", "m2026-12", "w" * 40):
        response = api.get(f"{URL}/cod/seasons/{key}")
        assert (response.status_code, response.json()["code"]) == (404, "no_season"), key
    # A page past the end of a season is the paginator's 404.
    assert api.get(f"{URL}/cod/seasons/w2026-W49?page=9").status_code == 404


def test_a_deleted_account_keeps_its_place_without_a_name(api, weeks):
    weeks[0].delete()
    rows = api.get(f"{URL}/cod/seasons/w2026-W49").json()["results"]
    assert rows[0] == {"rank": 1, "user_id": None, "player": None, "score": 1000, "date": "2026-12-03T12:00:00.000000Z"}
    assert rows[1]["user_id"] == weeks[1].pk
    assert Season.objects.filter(board="cod", period="week").count() == 4


def test_signed_in_players_read_the_same(gamer_client, weeks):
    response = gamer_client.get(f"{URL}/cod/seasons/w2026-W49")
    assert response.status_code == 200
    assert response.json()["count"] == 4
