"""Moderating the boards (SPEC §6): voiding a score and suspending a player; `asc` games."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from audit.models import AuditLog
from conftest import ahead, client_for, make_gamer, utc
from leaderboard.games import catalog_invalidate
from leaderboard.models import Game, Score, ScoreSource, ScoreStatus, Suspension
from leaderboard.rules import PERIODS
from leaderboard.selectors import board_me, board_window, report_top
from leaderboard.services import Submission, Suspended, score_check, scores_record
from leaderboard.tests.factories import submit

MIDWEEK = ahead(utc(2031, 3, 12, 12))
pytestmark = [pytest.mark.usefixtures("games"), pytest.mark.time_machine(MIDWEEK, tick=True)]
URL = "/api/v1/leaderboard"


def mine(board: str, period: str, user: Any) -> dict[str, Any]:
    row = board_me(game=board, period=period, user_id=user.pk)
    assert row is not None, (board, period)
    return row


@pytest.fixture
def void(django_capture_on_commit_callbacks: Any) -> Any:
    """DELETE a score as `who`, running the after-commit board refresh as a real commit would
    (these tests run inside a transaction)."""

    def call(who: Any, score_id: int, body: dict[str, Any] | None = None) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client_for(who).delete(f"{URL}/scores/{score_id}", body, format="json")

    return call


def rows(board: str, period: str = "all") -> list[tuple[str, int]]:
    return [(r["player"], r["score"]) for r in board_window(game=board, period=period, start=0, end=9).rows]


# --- void ----------------------------------------------------------------------------------


def test_a_voided_score_leaves_every_board_and_the_next_best_counts(moderator: Any, void: Any) -> None:
    cheat, rival = make_gamer("cheat"), make_gamer("rival")
    submit(cheat, "cod", 300, at=MIDWEEK - timedelta(days=1))  # earlier this week (month, all)
    submit(cheat, "fifa", 50)
    top = submit(cheat, "cod", 90_000)
    submit(rival, "cod", 500)
    assert rows("cod") == [("cheat", 90_000), ("rival", 500)]

    response = void(moderator, top.score_id, {"reason": "aimbot"})

    assert response.status_code == 204
    assert Score.objects.get(pk=top.score_id).status == ScoreStatus.VOID  # kept for the record
    for period in PERIODS:
        if period == "day":  # the 300 was yesterday: today the cheat has no cod score left
            assert rows("cod", period) == [("rival", 500)]
            assert mine("all", period, cheat)["score"] == 50
        else:
            assert rows("cod", period) == [("rival", 500), ("cheat", 300)], period
            assert mine("all", period, cheat)["score"] == 350, period
    report = report_top(start=MIDWEEK - timedelta(days=2), end=MIDWEEK + timedelta(days=1))
    assert {r["name"]: r["score"] for r in report.results} == {"cheat": 350, "rival": 500}
    log = AuditLog.objects.get(action="score_void")
    assert (log.actor_id, log.target_id, log.reason) == (moderator.pk, str(top.score_id), "aimbot")
    # Voiding twice is a conflict; an unknown id is 404; a rebuild agrees with the live boards.
    assert client_for(moderator).delete(f"{URL}/scores/{top.score_id}").json()["code"] == "already_void"
    assert client_for(moderator).delete(f"{URL}/scores/999999").status_code == 404
    before = {p: rows("cod", p) for p in PERIODS}
    call_command("rebuild_leaderboards", stdout=io.StringIO())
    assert {p: rows("cod", p) for p in PERIODS} == before


def test_voiding_the_only_score_takes_the_player_off_the_boards(moderator: Any, void: Any) -> None:
    solo = make_gamer("solo")
    only = submit(solo, "apex", 700)
    assert void(moderator, only.score_id).status_code == 204
    for period in PERIODS:
        assert board_me(game="apex", period=period, user_id=solo.pk) is None
        assert board_me(game="all", period=period, user_id=solo.pk) is None


def test_players_cannot_void(gamer: Any) -> None:
    mine = submit(gamer, "cod", 10)
    assert client_for(gamer).delete(f"{URL}/scores/{mine.score_id}").status_code == 403
    assert Score.objects.get(pk=mine.score_id).status == ScoreStatus.RANKED


# --- suspensions ----------------------------------------------------------------------------


def test_a_suspended_player_is_refused_on_every_path_until_it_ends(moderator: Any) -> None:
    smurf = make_gamer("smurf")
    until = MIDWEEK + timedelta(days=2)
    response = client_for(moderator).post(
        f"{URL}/cod/suspensions", {"user": smurf.pk, "until": until.isoformat(), "reason": "boosting"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["player"], response.json()["game"]) == ("smurf", "cod")
    assert AuditLog.objects.filter(action="score_suspend", target_id=str(smurf.pk)).exists()

    refused = client_for(smurf).post(f"{URL}/scores", {"game": "cod", "score": 10}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "suspended")
    # The service every path stores through (REST, socket, game servers, session results).
    for source in ScoreSource:
        [result] = scores_record([score_check(user=smurf, game="cod", score=5, source=source)])
        assert isinstance(result, Suspended), source
    assert not Score.objects.filter(user=smurf).exists()
    # Other games are open to them.
    assert client_for(smurf).post(f"{URL}/scores", {"game": "fifa", "score": 10}, format="json").status_code == 201
    listed = client_for(moderator).get(f"{URL}/cod/suspensions").json()["results"]
    assert [s["user_id"] for s in listed] == [smurf.pk]


def test_a_suspension_ends_at_its_date_and_can_be_lifted(moderator: Any, time_machine: Any) -> None:
    smurf = make_gamer("smurf")
    cod = Game.objects.get(slug="cod")
    Suspension.objects.create(user=smurf, game=cod, until=MIDWEEK + timedelta(hours=1), reason="x")
    assert client_for(smurf).post(f"{URL}/scores", {"game": "cod", "score": 10}, format="json").status_code == 403
    time_machine.move_to(MIDWEEK + timedelta(hours=1, seconds=1))
    assert client_for(smurf).post(f"{URL}/scores", {"game": "cod", "score": 10}, format="json").status_code == 201
    again = Suspension.objects.create(user=smurf, game=cod, until=MIDWEEK + timedelta(days=9), reason="y")
    assert client_for(smurf).post(f"{URL}/scores", {"game": "cod", "score": 11}, format="json").status_code == 403
    assert client_for(moderator).delete(f"{URL}/suspensions/{again.pk}").status_code == 204
    assert client_for(smurf).post(f"{URL}/scores", {"game": "cod", "score": 12}, format="json").status_code == 201


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"user": 999999, "until": "2031-04-01T00:00:00Z", "reason": "x"}, "unknown_player"),
        ({"user": "me", "until": "2031-04-01T00:00:00Z", "reason": "x"}, "invalid"),
        ({"until": "2031-04-01T00:00:00Z", "reason": "x"}, "invalid"),
        ({"user": 1, "until": "2020-01-01T00:00:00Z", "reason": "x"}, "until_in_past"),
        ({"user": 1, "until": "soon", "reason": "x"}, "invalid"),
    ],
)
def test_bad_suspensions_are_400(moderator: Any, body: dict[str, Any], code: str) -> None:
    if body.get("user") == 1:
        body = {**body, "user": moderator.pk}
    response = client_for(moderator).post(f"{URL}/cod/suspensions", body, format="json")
    assert response.status_code == 400, response.content
    assert code == "invalid" or response.json()["code"] == code
    assert client_for(moderator).post(f"{URL}/nope/suspensions", body, format="json").status_code == 404


# --- verified games: pending self-reports ---------------------------------------------------


def test_a_self_report_on_a_verified_game_is_pending_and_on_no_board(gamer: Any) -> None:
    response = client_for(gamer).post(f"{URL}/scores", {"game": "chess", "score": 2400}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["best"], body["rank"]) == ("pending", None, None)
    assert Score.objects.get(pk=body["id"]).status == ScoreStatus.PENDING
    for period in PERIODS:
        assert board_me(game="chess", period=period, user_id=gamer.pk) is None
        assert board_me(game="all", period=period, user_id=gamer.pk) is None
    assert report_top(start=MIDWEEK - timedelta(days=1), end=MIDWEEK + timedelta(days=1)).results == []
    games = {g["slug"]: g for g in client_for(gamer).get(f"{URL}/games").json()}
    assert (games["chess"]["trust"], games["cod"]["trust"], games["cod"]["order"]) == ("verified", "open", "desc")
    # A game server's score (or an organizer's) ranks.
    [ranked] = scores_record([score_check(user=gamer, game="chess", score=2000, source=ScoreSource.SERVER)])
    assert isinstance(ranked, Submission)
    assert (ranked.status, ranked.best, ranked.rank) == ("ranked", 2000, 1)


# --- asc games -------------------------------------------------------------------------------


@pytest.fixture
def speedrun(db: Any) -> Game:
    game = Game.objects.create(slug="speedrun", label="Speedrun", max_score=600_000, order="asc")
    catalog_invalidate()
    return game


def test_an_asc_board_ranks_the_lowest_first_with_ties_to_the_earliest(speedrun: Game) -> None:
    fast, tied, slow = make_gamer("fast"), make_gamer("tied"), make_gamer("slow")
    submit(slow, "speedrun", 95_000)
    submit(fast, "speedrun", 80_000, at=MIDWEEK - timedelta(minutes=3))
    submit(tied, "speedrun", 80_000, at=MIDWEEK - timedelta(minutes=2))  # same time, reached later
    submit(fast, "speedrun", 81_000)  # slower: not an improvement
    first = submit(slow, "speedrun", 90_000)  # faster: an improvement
    assert (first.best, first.rank) == (90_000, 3)
    for period in PERIODS:
        assert rows("speedrun", period) == [("fast", 80_000), ("tied", 80_000), ("slow", 90_000)], period
    # Not on the `all` board (it adds up higher-is-better bests), nor in the reports.
    assert board_me(game="all", period="all", user_id=fast.pk) is None
    assert report_top(start=MIDWEEK - timedelta(days=1), end=MIDWEEK + timedelta(days=1)).results == []
    assert mine("speedrun", "week", slow)["rank"] == 3
    # A rebuild from the database gives the same boards.
    before = {p: rows("speedrun", p) for p in PERIODS}
    call_command("rebuild_leaderboards", stdout=io.StringIO())
    assert {p: rows("speedrun", p) for p in PERIODS} == before
    listed = {g["slug"]: g["order"] for g in client_for(fast).get(f"{URL}/games").json()}
    assert listed["speedrun"] == "asc"


def test_voiding_on_an_asc_board_brings_back_the_next_fastest(speedrun: Game, moderator: Any, void: Any) -> None:
    runner = make_gamer("runner")
    submit(runner, "speedrun", 70_000)
    best = submit(runner, "speedrun", 1_000)
    assert void(moderator, best.score_id).status_code == 204
    assert rows("speedrun") == [("runner", 70_000)]
