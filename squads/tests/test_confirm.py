"""Pending self-reports: `POST /leaderboard/scores/{id}/confirm` and `GET /leaderboard/scores/pending`."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditLog
from conftest import ahead, client_for, make_gamer, utc
from leaderboard.models import Game, Score, ScoreSource, ScoreStatus, Suspension
from leaderboard.tests.factories import submit
from sessions_app.models import GameSession
from sessions_app.services import session_create, session_join

MIDWEEK = ahead(utc(2031, 3, 12, 12))
pytestmark = [pytest.mark.usefixtures("games"), pytest.mark.time_machine(MIDWEEK, tick=False)]
URL = "/api/v1/leaderboard"


def host(organizer, *guests, started=True):
    session = session_create(
        organizer=organizer,
        title="Club night",
        game="Chess",
        platform="pc",
        starts_at=timezone.now() + timedelta(days=1),
        max_attendees=50,
    )
    for guest in guests:
        session_join(session_id=session.pk, user=guest)
    if started:
        GameSession.objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    return session


def confirm(user, score_id):
    return client_for(user).post(f"{URL}/scores/{score_id}/confirm")


def chess_board(reader):
    response = client_for(reader).get(f"{URL}/chess?period=all")
    assert response.status_code == 200
    return [(r["rank"], r["user_id"], r["score"]) for r in response.json()["results"]]


def chess_report(reader):
    response = client_for(reader).get(f"{URL}/reports", {"game": "chess"})
    assert response.status_code == 200, response.content
    return [(r["user_id"], r["score"]) for r in response.json()["results"]]


@pytest.fixture
def club(db):
    """org hosted a started session ann attended; other hosts one ann did not attend; late
    hosts one ann joined that has not started; mod is a moderator; top has a ranked chess score."""
    org, ann, other, late, top, bob = (make_gamer(f"club {n}") for n in ("org", "ann", "other", "late", "top", "bob"))
    first = host(org, ann)
    host(other, bob)
    host(late, ann, started=False)
    mod = make_gamer("club mod", role="moderator")
    return {"org": org, "ann": ann, "other": other, "late": late, "top": top, "mod": mod, "session": first}


def test_a_pending_score_is_on_no_board_nor_report_until_confirmed_then_ranks(club):
    org, ann, top, mod = club["org"], club["ann"], club["top"], club["mod"]
    ranked = Score.objects.create(user=top, game=Game.objects.get(slug="chess"), value=1800, source=ScoreSource.SERVER)
    from leaderboard.rebuild import boards_rebuild
    from leaderboard.reports import aggregates_rebuild

    aggregates_rebuild()
    boards_rebuild(stream=io.StringIO())  # the progress bar goes nowhere
    pending = submit(ann, "chess", 1500)
    assert pending.status == ScoreStatus.PENDING and pending.best is None
    assert chess_board(mod) == [(1, top.pk, ranked.value)]
    assert chess_report(mod) == [(top.pk, 1800)]

    response = confirm(org, pending.score_id)
    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in ("id", "game", "score", "status", "best", "rank")} == {
        "id": pending.score_id,
        "game": "chess",
        "score": 1500,
        "status": "ranked",
        "best": 1500,
        "rank": 2,
    }
    assert body["boards_updated"] is True
    assert chess_board(mod) == [(1, top.pk, 1800), (2, ann.pk, 1500)]
    assert chess_report(mod) == [(top.pk, 1800), (ann.pk, 1500)]
    score = Score.objects.get(pk=pending.score_id)
    assert (score.status, score.source) == (ScoreStatus.RANKED, ScoreSource.CONFIRMED)
    log = AuditLog.objects.get(action="confirm_score")
    assert (log.actor_id, log.target_type, log.target_id) == (org.pk, "score", str(score.pk))


def test_a_second_confirm_is_409_and_a_void_score_too(club):
    ann, mod = club["ann"], club["mod"]
    pending = submit(ann, "chess", 1500)
    assert confirm(mod, pending.score_id).status_code == 200
    response = confirm(club["org"], pending.score_id)
    assert (response.status_code, response.json()["code"]) == (409, "not_pending")
    void = submit(ann, "chess", 1400)
    Score.objects.filter(pk=void.score_id).update(status=ScoreStatus.VOID)
    response = confirm(mod, void.score_id)
    assert (response.status_code, response.json()["code"]) == (409, "not_pending")
    open_game = submit(ann, "rocket", 10)  # ranked from the start
    assert confirm(mod, open_game.score_id).json()["code"] == "not_pending"
    assert AuditLog.objects.filter(action="confirm_score").count() == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("other", 403), ("late", 403), ("ann", 403), ("top", 403), ("org", 200), ("mod", 200), ("admin", 200)],
)
def test_who_may_confirm(club, who, status):
    """Moderators and admins; the organizer of a started session the player attended. Not an
    unrelated organizer, not the organizer of a session that hasn't started, not the player."""
    club["admin"] = make_gamer("club admin", role="admin")
    pending = submit(club["ann"], "chess", 1500)
    response = confirm(club[who], pending.score_id)
    assert response.status_code == status, response.content
    expected = ScoreStatus.RANKED if status == 200 else ScoreStatus.PENDING
    assert Score.objects.get(pk=pending.score_id).status == expected
    if status == 403:
        assert response.json()["code"] == "not_allowed"


def test_an_organizer_cannot_confirm_their_own_score(club):
    org = club["org"]
    pending = submit(org, "chess", 1500)  # org attends their own session
    assert confirm(org, pending.score_id).status_code == 403
    assert confirm(club["mod"], 10**12).status_code == 404


def test_a_suspended_player_score_is_not_confirmed(club):
    ann, mod = club["ann"], club["mod"]
    pending = submit(ann, "chess", 1500)
    Suspension.objects.create(
        user=ann, game=Game.objects.get(slug="chess"), until=timezone.now() + timedelta(days=1), reason="x"
    )
    response = confirm(mod, pending.score_id)
    assert (response.status_code, response.json()["code"]) == (403, "suspended")
    assert Score.objects.get(pk=pending.score_id).status == ScoreStatus.PENDING
    assert chess_board(mod) == []


def pending_list(user, **query):
    response = client_for(user).get(f"{URL}/scores/pending", query)
    assert response.status_code == 200, response.content
    return response.json()


def test_pending_lists_by_who_asks(club, time_machine):
    org, ann, other, top, mod = club["org"], club["ann"], club["other"], club["top"], club["mod"]
    a1 = submit(ann, "chess", 1500)
    time_machine.move_to(timezone.now() + timedelta(seconds=1), tick=False)
    t1 = submit(top, "chess", 1700)
    time_machine.move_to(timezone.now() + timedelta(seconds=1), tick=False)
    a2 = submit(ann, "chess", 1600)
    submit(ann, "rocket", 10)  # ranked: never pending
    everything = pending_list(mod)
    assert [r["id"] for r in everything["results"]] == [a1.score_id, t1.score_id, a2.score_id]
    assert everything["count"] == 3
    row = everything["results"][0]
    assert row == {
        "id": a1.score_id,
        "game": "chess",
        "player": "club ann",
        "user_id": ann.pk,
        "score": 1500,
        "achieved_at": row["achieved_at"],
        "sessions": [],
    }
    mine = pending_list(org)["results"]
    assert [(r["id"], r["sessions"]) for r in mine] == [
        (a1.score_id, [club["session"].pk]),
        (a2.score_id, [club["session"].pk]),
    ]
    assert pending_list(other)["results"] == []  # bob, not ann, attended other's session
    assert pending_list(club["late"])["results"] == []  # ann's session with late hasn't started
    assert pending_list(ann)["results"] == []
    confirm(mod, a1.score_id)
    assert [r["id"] for r in pending_list(org)["results"]] == [a2.score_id]


def test_pending_list_queries_do_not_grow_with_rows(club):
    org = club["org"]
    players = [make_gamer(f"pending {i}") for i in range(12)]
    session = host(org, *players[:1])
    for p in players:
        GameSession.objects.filter(pk=session.pk).update(starts_at=timezone.now() + timedelta(days=1))
        if p != players[0]:
            session_join(session_id=session.pk, user=p)
        submit(p, "chess", 100)
    GameSession.objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    client = client_for(org)
    client.get(f"{URL}/scores/pending")  # the first request of a client reads more (its token)
    with CaptureQueriesContext(connection) as few:
        small = client.get(f"{URL}/scores/pending", {"page_size": 2})
    with CaptureQueriesContext(connection) as many:
        big = client.get(f"{URL}/scores/pending", {"page_size": 20})
    assert len(small.json()["results"]) == 2 and len(big.json()["results"]) == 12
    assert all(r["sessions"] == [session.pk] for r in big.json()["results"])
    assert len(many.captured_queries) == len(few.captured_queries)


def test_redis_down_the_confirm_still_ranks_and_the_rebuild_catches_up(club, monkeypatch):
    from leaderboard import boards
    from leaderboard.rebuild import boards_rebuild
    from leaderboard.tests.factories import unreachable_redis

    ann, mod = club["ann"], club["mod"]
    pending = submit(ann, "chess", 1500)
    with monkeypatch.context() as down:
        down.setattr(boards, "get_redis", unreachable_redis)
        response = confirm(mod, pending.score_id)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["best"], body["rank"], body["boards_updated"]) == ("ranked", 1500, None, False)
    boards.breaker_reset()
    assert chess_board(mod) == []  # the live board missed it...
    boards_rebuild(stream=io.StringIO())  # the progress bar goes nowhere
    assert chess_board(mod) == [(1, ann.pk, 1500)]  # ...until the rebuild


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_confirms_at_once_apply_once():
    from leaderboard.models import ScorePeriod
    from leaderboard.tests.factories import ensure_games
    from squads.results import confirm as confirm_service
    from testsupport.testing import run_in_threads

    ensure_games()
    ann = make_gamer("race ann")
    mods = [make_gamer(f"race mod {i}", role="moderator") for i in range(2)]
    pending = submit(ann, "chess", 1500)
    results = run_in_threads(2, lambda i: confirm_service(score_id=pending.score_id, by=mods[i]))
    codes = sorted(getattr(r, "code", "ok") for r in results)
    assert codes == ["not_pending", "ok"], results
    assert AuditLog.objects.filter(action="confirm_score").count() == 1
    assert ScorePeriod.objects.filter(user=ann, period="all").values_list("best", flat=True).get() == 1500
