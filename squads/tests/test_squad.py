"""The squad board: `GET /leaderboard/{board}/squad` ranks me and my session co-attendees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ahead, client_for, make_gamer, utc
from leaderboard.tests.factories import submit
from sessions_app.models import Attendance, GameSession
from sessions_app.selectors import squad_member_ids
from sessions_app.services import session_create, session_join

MIDWEEK = ahead(utc(2031, 3, 12, 12))
pytestmark = [pytest.mark.usefixtures("games"), pytest.mark.time_machine(MIDWEEK, tick=True)]

URL = "/api/v1/leaderboard"


def host(organizer, *guests, days=3):
    from django.utils import timezone

    session = session_create(
        organizer=organizer,
        title="Squad night",
        game="Chess",
        platform="pc",
        starts_at=timezone.now() + timedelta(days=days),
        max_attendees=50,
    )
    for guest in guests:
        session_join(session_id=session.pk, user=guest)
    return session


def squad(user, board="rocket", period="all"):
    response = client_for(user).get(f"{URL}/{board}/squad?period={period}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def crew(db):
    """me hosts a session with ann and bob; cy joins a session bob hosts (cy is bob's squad,
    not mine); zed attended nothing with me and tops every board."""
    me, ann, bob, cy, zed = (make_gamer(f"squad {n}") for n in ("me", "ann", "bob", "cy", "zed"))
    host(me, ann, bob)
    host(bob, cy)
    host(zed)
    return {"me": me, "ann": ann, "bob": bob, "cy": cy, "zed": zed}


def test_ranks_me_and_my_co_attendees_only(crew):
    me, ann, bob, cy, zed = (crew[k] for k in ("me", "ann", "bob", "cy", "zed"))
    submit(zed, "rocket", 3000)
    submit(cy, "rocket", 2900)
    submit(ann, "rocket", 1000)
    submit(me, "rocket", 1500)
    submit(bob, "rocket", 500)
    rows = squad(me)
    assert [(r["rank"], r["user_id"], r["score"], r["board_rank"]) for r in rows] == [
        (1, me.pk, 1500, 3),
        (2, ann.pk, 1000, 4),
        (3, bob.pk, 500, 5),
    ]
    assert rows[0]["player"] == "squad me" and rows[0]["date"]
    # Squads are per person: bob's holds bob, cy (his own session), me and ann (mine), never zed.
    assert [r["user_id"] for r in squad(bob)] == [cy.pk, me.pk, ann.pk, bob.pk]
    assert zed.pk not in {r["user_id"] for r in squad(ann)}


def test_players_without_a_score_are_left_out_me_included(crew):
    me, ann = crew["me"], crew["ann"]
    assert squad(me) == []
    submit(ann, "rocket", 10)
    assert [r["user_id"] for r in squad(me)] == [ann.pk]  # I have no score: not on it
    assert squad(me, board="cod") == []  # another game's board
    submit(me, "cod", 5)
    assert [(r["user_id"], r["rank"]) for r in squad(me, board="cod")] == [(me.pk, 1)]


@pytest.mark.parametrize("period", ["all", "month", "week", "day"])
def test_ties_go_to_whoever_got_there_first_on_every_period(crew, period):
    me, ann, bob = crew["me"], crew["ann"], crew["bob"]
    submit(bob, "rocket", 700, at=MIDWEEK - timedelta(minutes=3))
    submit(me, "rocket", 700, at=MIDWEEK - timedelta(minutes=2))
    submit(ann, "rocket", 700, at=MIDWEEK - timedelta(minutes=1))
    rows = squad(me, period=period)
    assert [r["user_id"] for r in rows] == [bob.pk, me.pk, ann.pk]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    # The same order as the whole board.
    board = client_for(me).get(f"{URL}/rocket?period={period}").json()["results"]
    assert [r["user_id"] for r in board] == [r["user_id"] for r in rows]
    assert [r["board_rank"] for r in rows] == [r["rank"] for r in board]


def test_the_all_board_sums_bests_and_the_date_is_when_it_was_reached(crew):
    me, ann = crew["me"], crew["ann"]
    submit(me, "rocket", 100)
    submit(me, "cod", 100)
    submit(ann, "lol", 150)
    rows = squad(me, board="all")
    assert [(r["user_id"], r["score"]) for r in rows] == [(me.pk, 200), (ann.pk, 150)]
    assert all(r["date"] for r in rows)


def test_query_count_does_not_grow_with_the_squad(crew):
    me = crew["me"]
    submit(me, "rocket", 1)
    client = client_for(me)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{URL}/rocket/squad").status_code == 200
        return len(ctx.captured_queries)

    queries()  # warm up (a first request of the token may touch the account)
    small = queries()
    guests = [make_gamer(f"squad guest {n}") for n in range(25)]
    host(me, *guests)
    for n, guest in enumerate(guests):
        submit(guest, "rocket", n)
    assert queries() == small <= 2  # the token's user, the squad's ids; the rows are one Redis script
    assert len(squad(me)) == 26  # me and the 25 guests (ann and bob have no score)


def test_statuses(crew, api):
    assert api.get(f"{URL}/rocket/squad").status_code == 401
    client = client_for(crew["me"])
    response = client.get(f"{URL}/nosuchgame/squad")
    assert (response.status_code, response.json()["code"]) == (404, "unknown_game")
    assert client.get(f"{URL}/rocket/squad?period=decade").status_code == 400
    assert client.get(f"{URL}/all/squad?period=week").status_code == 200


def test_squad_ids_are_capped_at_the_most_recent_shared_sessions(db):
    me = make_gamer("capped me")
    others = [make_gamer(f"capped {n}") for n in range(4)]
    for n, other in enumerate(others):  # other n shared a session starting n days ago
        session = GameSession.objects.create(
            title="old",
            game="Chess",
            platform="pc",
            starts_at=MIDWEEK - timedelta(days=n),
            max_attendees=5,
            organizer=other,
        )
        Attendance.objects.bulk_create(
            [Attendance(session=session, gamer=me), Attendance(session=session, gamer=other)]
        )
    assert squad_member_ids(user_id=me.pk) == [o.pk for o in others]
    assert squad_member_ids(user_id=me.pk, limit=2) == [others[0].pk, others[1].pk]
    assert squad_member_ids(user_id=others[3].pk) == [me.pk]
