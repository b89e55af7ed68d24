"""`POST /sessions/{id}/results`: an organizer's results become verified scores of attendees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditLog
from conftest import ahead, client_for, make_gamer, utc
from leaderboard.models import Score, ScoreSource, ScoreStatus, Suspension
from sessions_app.models import GameSession
from sessions_app.services import session_create, session_join
from squads.models import SessionResult
from squads.results import CLAIM_STALE

MIDWEEK = ahead(utc(2031, 3, 12, 12))
pytestmark = [pytest.mark.usefixtures("games"), pytest.mark.time_machine(MIDWEEK, tick=False)]


def host(organizer, *guests, started=True):
    session = session_create(
        organizer=organizer,
        title="Cup night",
        game="Chess",
        platform="pc",
        starts_at=timezone.now() + timedelta(days=1),
        max_attendees=100,
    )
    for guest in guests:
        session_join(session_id=session.pk, user=guest)
    if started:
        GameSession.objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    return session


def post(user, session, game, rows):
    return client_for(user).post(
        f"/api/v1/sessions/{session.pk}/results", {"game": game, "scores": rows}, format="json"
    )


def ok(user, session, game, rows):
    response = post(user, session, game, rows)
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def cup(db):
    org, ann, bob, out = (make_gamer(f"cup {n}") for n in ("org", "ann", "bob", "out"))
    return {"org": org, "ann": ann, "bob": bob, "out": out, "session": host(org, ann, bob)}


def board(game):
    response = client_for(make_gamer(f"reader {game}")).get(f"/api/v1/leaderboard/{game}?period=all")
    assert response.status_code == 200
    return [(r["rank"], r["user_id"], r["score"]) for r in response.json()["results"]]


def test_attendees_rank_on_the_boards_and_others_are_rejected_per_row(cup):
    org, ann, bob, out, session = (cup[k] for k in ("org", "ann", "bob", "out", "session"))
    rows = ok(
        org,
        session,
        "rocket",
        [
            {"player": ann.pk, "score": 700},
            {"player": out.pk, "score": 9000},
            {"player": bob.pk, "score": 900},
            {"player": 999_999_999, "score": 5},
        ],
    )
    assert rows == [
        {"index": 0, "status": "created", "best": 700, "rank": 1},
        {"index": 1, "status": "rejected", "code": "not_attendee"},
        {"index": 2, "status": "created", "best": 900, "rank": 1},
        {"index": 3, "status": "rejected", "code": "not_attendee"},
    ]
    assert board("rocket") == [(1, bob.pk, 900), (2, ann.pk, 700)]
    stored = Score.objects.filter(game__slug="rocket").order_by("user_id")
    assert [(s.user_id, s.status, s.source) for s in stored] == [
        (ann.pk, ScoreStatus.RANKED, ScoreSource.SESSION),
        (bob.pk, ScoreStatus.RANKED, ScoreSource.SESSION),
    ]
    assert all(s.achieved_at == timezone.now() or s.achieved_at > timezone.now() for s in stored)
    assert set(SessionResult.objects.values_list("player_id", "score_id")) == {(s.user_id, s.pk) for s in stored}
    log = AuditLog.objects.get(action="session_results")
    assert (log.actor_id, log.target_type, log.target_id) == (org.pk, "session", str(session.pk))
    assert "2 of 4" in log.reason


def test_results_on_a_verified_game_rank_at_once(cup):
    org, ann, session = cup["org"], cup["ann"], cup["session"]
    rows = ok(org, session, "chess", [{"player": ann.pk, "score": 1500}])
    assert rows == [{"index": 0, "status": "created", "best": 1500, "rank": 1}]
    assert Score.objects.get(user=ann, game__slug="chess").status == ScoreStatus.RANKED
    assert board("chess") == [(1, ann.pk, 1500)]


def test_per_row_score_codes_own_score_and_duplicates_in_the_post(cup):
    org, ann, bob, session = cup["org"], cup["ann"], cup["bob"], cup["session"]
    rows = ok(
        org,
        session,
        "rocket",
        [
            {"player": ann.pk, "score": "12"},
            {"player": ann.pk, "score": 10**9},
            {"player": org.pk, "score": 50},
            {"player": bob.pk, "score": 3},
            {"player": bob.pk, "score": 4},
            {"player": ann.pk, "score": True},
        ],
    )
    assert [r.get("code") for r in rows] == [
        "invalid_score",
        "score_out_of_range",
        "own_score",
        None,
        "duplicate",
        "invalid_score",
    ]
    assert list(Score.objects.values_list("user_id", "value")) == [(bob.pk, 3)]


def test_posting_the_same_results_twice_stores_them_once(cup):
    org, ann, bob, session = cup["org"], cup["ann"], cup["bob"], cup["session"]
    first = ok(org, session, "rocket", [{"player": ann.pk, "score": 70}])
    assert first[0]["status"] == "created"
    again = ok(org, session, "rocket", [{"player": ann.pk, "score": 70}, {"player": bob.pk, "score": 5}])
    assert again == [
        {"index": 0, "status": "rejected", "code": "duplicate"},
        {"index": 1, "status": "created", "best": 5, "rank": 2},
    ]
    assert Score.objects.filter(user=ann).count() == 1
    # Another game of the same session is another result.
    assert ok(org, session, "cod", [{"player": ann.pk, "score": 70}])[0]["status"] == "created"


def test_a_voided_or_abandoned_result_may_be_posted_again(cup, time_machine):
    org, ann, bob, session = cup["org"], cup["ann"], cup["bob"], cup["session"]
    ok(org, session, "rocket", [{"player": ann.pk, "score": 70}])
    Score.objects.filter(user=ann).update(status=ScoreStatus.VOID)
    # A claim whose score was never written (the process died in between) blocks until stale.
    SessionResult.objects.create(session=session, player=bob, game_id=Score.objects.get().game_id)
    rows = ok(org, session, "rocket", [{"player": ann.pk, "score": 60}, {"player": bob.pk, "score": 9}])
    assert [r["status"] for r in rows] == ["created", "rejected"]
    time_machine.move_to(timezone.now() + CLAIM_STALE + timedelta(seconds=1), tick=False)
    assert ok(org, session, "rocket", [{"player": bob.pk, "score": 9}])[0]["status"] == "created"
    assert sorted(Score.objects.filter(status=ScoreStatus.RANKED).values_list("value", flat=True)) == [9, 60]
    assert SessionResult.objects.filter(score__isnull=True).count() == 0


def test_suspended_player_is_rejected_and_nothing_is_claimed(cup):
    org, ann, bob, session = cup["org"], cup["ann"], cup["bob"], cup["session"]
    game_id = Score._meta.get_field("game").related_model.objects.get(slug="rocket").pk
    Suspension.objects.create(user=ann, game_id=game_id, until=timezone.now() + timedelta(days=1), reason="cheat")
    rows = ok(org, session, "rocket", [{"player": ann.pk, "score": 70}, {"player": bob.pk, "score": 5}])
    assert rows[0] == {"index": 0, "status": "rejected", "code": "suspended"}
    assert rows[1]["status"] == "created"
    assert list(SessionResult.objects.values_list("player_id", flat=True)) == [bob.pk]
    assert board("rocket") == [(1, bob.pk, 5)]


def test_refusals_of_the_whole_post(cup):
    org, ann, session = cup["org"], cup["ann"], cup["session"]
    row = [{"player": ann.pk, "score": 1}]
    response = post(ann, session, "rocket", row)
    assert (response.status_code, response.json()["code"]) == (403, "not_organizer")
    moderator = make_gamer("cup mod", role="moderator")
    assert post(moderator, session, "rocket", row).status_code == 403
    later = host(org, ann, started=False)
    response = post(org, later, "rocket", row)
    assert (response.status_code, response.json()["code"]) == (409, "not_started")
    response = client_for(org).post("/api/v1/sessions/987654/results", {"game": "rocket", "scores": row}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    response = post(org, session, "nope", row)
    assert (response.status_code, response.json()["code"]) == (400, "unknown_game")
    response = post(org, session, "rocket", [{"player": ann.pk, "score": 1}] * 501)
    assert (response.status_code, response.json()["code"]) == (400, "too_many_rows")
    assert post(org, session, "rocket", []).status_code == 400
    assert post(org, session, "rocket", [{"score": 1}]).status_code == 400
    assert post(org, session, "rocket", ["x"]).status_code == 400
    assert Score.objects.count() == 0 and SessionResult.objects.count() == 0


def test_five_hundred_rows_take_a_bounded_number_of_queries(cup, django_assert_max_num_queries):
    org = cup["org"]
    players = [make_gamer(f"player {i}") for i in range(60)]
    session = host(org, *players)
    rows = [{"player": p.pk, "score": i} for i, p in enumerate(players)] + [{"player": 10**12, "score": 1}] * 440
    with django_assert_max_num_queries(30):
        results = ok(org, session, "rocket", rows)
    assert sum(r["status"] == "created" for r in results) == 60
    assert len(results) == 500
