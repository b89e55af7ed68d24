"""GET/POST /sessions/, GET/PUT/PATCH/DELETE /sessions/{id}/ (SPEC §3)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditLog
from sessions_app.models import Attendance, GameSession
from sessions_app.tests.factories import (
    AttendanceFactory,
    GameSessionFactory,
    LikeFactory,
    ReviewFactory,
    gamer_factory,
    payload,
)

pytestmark = pytest.mark.django_db
LIST = "/api/v1/sessions/"


def detail(pk: int) -> str:
    return f"/api/v1/sessions/{pk}/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- create -----------------------------------------------------------------------------


def test_create_makes_the_caller_organizer_and_returns_the_full_shape(gamer_client, gamer):
    response = gamer_client.post(LIST, payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["organizer"] == {"id": gamer.pk, "username": gamer.username}
    assert body["title"] == "Friday night Valorant" and body["platform"] == "pc" and body["is_available"] is True
    assert body["starts_at"].endswith("Z")
    # The organizer attends their own session from the start, in one of its seats.
    assert {k: body[k] for k in ("attendee_count", "is_full", "like_count", "review_count", "avg_rating")} == {
        "attendee_count": 1,
        "is_full": False,
        "like_count": 0,
        "review_count": 0,
        "avg_rating": None,
    }
    assert body["liked_by_me"] is False and body["joined_by_me"] is True
    assert (body["waiting_count"], body["waiting_by_me"]) == (0, False)
    assert GameSession.objects.get(pk=body["id"]).organizer_id == gamer.pk
    assert list(Attendance.objects.filter(session_id=body["id"]).values_list("gamer_id", flat=True)) == [gamer.pk]


def test_a_one_seat_session_is_full_with_its_organizer(gamer_client):
    body = gamer_client.post(LIST, payload(max_attendees=1), format="json").json()
    assert (body["attendee_count"], body["is_full"]) == (1, True)


def test_create_ignores_an_organizer_in_the_body(gamer_client, gamer, other_gamer):
    response = gamer_client.post(LIST, payload(organizer=other_gamer.pk), format="json")
    assert response.status_code == 201
    assert response.json()["organizer"]["id"] == gamer.pk


def test_create_needs_a_token_but_the_list_is_public(api, gamer):
    assert api.post(LIST, payload(), format="json").status_code == 401
    assert api.post(LIST, payload(), format="json").json()["code"] == "not_authenticated"
    session = GameSessionFactory()
    AttendanceFactory(session=session, gamer=gamer)
    LikeFactory(session=session, gamer=gamer)
    response = api.get(LIST)
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == session.pk and (row["attendee_count"], row["like_count"]) == (1, 1)
    assert (row["liked_by_me"], row["joined_by_me"], row["waiting_by_me"]) == (False, False, False)


# --- read -------------------------------------------------------------------------------


def test_detail_shows_the_figures_computed_for_the_caller(gamer_client, gamer):
    session = GameSessionFactory(max_attendees=2)
    AttendanceFactory(session=session, gamer=gamer)
    AttendanceFactory(session=session)
    LikeFactory(session=session, gamer=gamer)
    LikeFactory(session=session)
    LikeFactory(session=session)
    ReviewFactory(session=session, rating=5)
    ReviewFactory(session=session, rating=4)
    ReviewFactory(session=session, rating=4)
    body = gamer_client.get(detail(session.pk)).json()
    assert (body["attendee_count"], body["is_full"], body["like_count"], body["review_count"]) == (2, True, 3, 3)
    assert body["avg_rating"] == 4.33
    assert body["liked_by_me"] is True and body["joined_by_me"] is True


def test_detail_flags_are_per_caller(other_client, gamer):
    session = GameSessionFactory()
    AttendanceFactory(session=session, gamer=gamer)
    LikeFactory(session=session, gamer=gamer)
    body = other_client.get(detail(session.pk)).json()
    assert (body["liked_by_me"], body["joined_by_me"], body["like_count"]) == (False, False, 1)


def test_detail_of_a_missing_session_is_404(gamer_client):
    response = gamer_client.get(detail(987654))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_detail_is_public_with_the_callers_flags_false(api, gamer):
    session = GameSessionFactory()
    AttendanceFactory(session=session, gamer=gamer)
    LikeFactory(session=session, gamer=gamer)
    response = api.get(detail(session.pk))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["attendee_count"], body["like_count"]) == (session.pk, 1, 1)
    assert (body["liked_by_me"], body["joined_by_me"], body["waiting_by_me"]) == (False, False, False)
    assert api.get(detail(session.pk + 1000)).status_code == 404
    # Writing still needs a token.
    assert api.patch(detail(session.pk), {"title": "x"}, format="json").status_code == 401
    assert api.delete(detail(session.pk)).status_code == 401


# --- update -----------------------------------------------------------------------------


def test_organizer_patches_their_session(gamer_client, gamer):
    session = GameSessionFactory(organizer=gamer)
    response = gamer_client.patch(detail(session.pk), {"title": "New title", "is_available": False}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "New title" and response.json()["is_available"] is False
    session.refresh_from_db()
    assert (session.title, session.is_available) == ("New title", False)


def test_organizer_puts_the_whole_session(gamer_client, gamer):
    session = GameSessionFactory(organizer=gamer)
    body = payload(title="Replaced", game="Chess", platform="mobile", max_attendees=2)
    response = gamer_client.put(detail(session.pk), body, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["game"], response.json()["platform"], response.json()["max_attendees"]) == (
        "Chess",
        "mobile",
        2,
    )


def test_put_needs_every_required_field(gamer_client, gamer):
    session = GameSessionFactory(organizer=gamer)
    response = gamer_client.put(detail(session.pk), {"title": "Only this"}, format="json")
    assert response.status_code == 400
    assert {"game", "platform", "starts_at", "max_attendees"} <= set(response.json())


def test_admin_edits_any_session(admin_client_api, gamer):
    session = GameSessionFactory(organizer=gamer)
    response = admin_client_api.patch(detail(session.pk), {"title": "Fixed by admin"}, format="json")
    assert response.status_code == 200
    assert GameSession.objects.get(pk=session.pk).title == "Fixed by admin"


@pytest.mark.parametrize("who", ["other_client", "moderator_client"])
def test_others_and_moderators_cannot_edit(request, who, gamer):
    session = GameSessionFactory(organizer=gamer, title="Mine")
    client = request.getfixturevalue(who)
    response = client.patch(detail(session.pk), {"title": "Theirs"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_organizer"
    put = client.put(detail(session.pk), payload(title="Theirs"), format="json")
    assert put.status_code == 403
    assert GameSession.objects.get(pk=session.pk).title == "Mine"


def test_update_needs_a_token(api, gamer):
    session = GameSessionFactory(organizer=gamer)
    assert api.patch(detail(session.pk), {"title": "x"}, format="json").status_code == 401


def test_max_attendees_below_current_attendees_is_400(gamer_client, gamer):
    session = GameSessionFactory(organizer=gamer, max_attendees=5)
    for _ in range(3):
        AttendanceFactory(session=session)
    response = gamer_client.patch(detail(session.pk), {"max_attendees": 2}, format="json")
    assert response.status_code == 400
    assert "max_attendees" in response.json()
    assert gamer_client.patch(detail(session.pk), {"max_attendees": 3}, format="json").status_code == 200


def test_moving_a_session_into_the_past_is_400(gamer_client, gamer):
    session = GameSessionFactory(organizer=gamer)
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    response = gamer_client.patch(detail(session.pk), {"starts_at": past}, format="json")
    assert response.status_code == 400 and "starts_at" in response.json()


def test_update_of_a_missing_session_is_404(gamer_client):
    assert gamer_client.patch(detail(987654), {"title": "x"}, format="json").status_code == 404


# --- delete -----------------------------------------------------------------------------


def test_organizer_deletes_their_session_without_an_audit_row(gamer_client, gamer):
    session = GameSessionFactory(organizer=gamer)
    assert gamer_client.delete(detail(session.pk)).status_code == 204
    assert not GameSession.objects.filter(pk=session.pk).exists()
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("who", ["moderator_client", "admin_client_api"])
def test_moderators_and_admins_delete_any_session_and_it_is_audited(request, who, gamer):
    session = GameSessionFactory(organizer=gamer)
    client = request.getfixturevalue(who)
    assert client.delete(detail(session.pk), QUERY_STRING="reason=off-topic").status_code == 204
    assert not GameSession.objects.filter(pk=session.pk).exists()
    log = AuditLog.objects.get()
    assert (log.action, log.target_id, log.reason, log.actor_id) == (
        "delete_session",
        str(session.pk),
        "off-topic",
        client.user.pk,
    )


def test_another_gamer_cannot_delete(other_client, gamer):
    session = GameSessionFactory(organizer=gamer)
    response = other_client.delete(detail(session.pk))
    assert response.status_code == 403 and response.json()["code"] == "not_organizer"
    assert GameSession.objects.filter(pk=session.pk).exists()


def test_delete_of_a_missing_session_is_404_and_needs_a_token(gamer_client, api):
    assert gamer_client.delete(detail(987654)).status_code == 404
    assert api.delete(detail(GameSessionFactory().pk)).status_code == 401


# --- list: filters, search, ordering ----------------------------------------------------


def test_default_order_is_by_start_time(gamer_client):
    later = GameSessionFactory(starts_at=timezone.now() + timedelta(days=3))
    sooner = GameSessionFactory(starts_at=timezone.now() + timedelta(days=1))
    assert ids(gamer_client.get(LIST)) == [sooner.pk, later.pk]


def test_filters_game_platform_and_organizer(gamer_client, gamer):
    mine = GameSessionFactory(organizer=gamer, game="Rocket League", platform="switch")
    other_game = GameSessionFactory(game="Chess", platform="switch")
    GameSessionFactory(game="Rocket League", platform="pc")
    assert ids(gamer_client.get(LIST, {"game": "rocket league", "platform": "switch"})) == [mine.pk]
    assert ids(gamer_client.get(LIST, {"platform": "switch", "ordering": "created_at"})) == [mine.pk, other_game.pk]
    assert ids(gamer_client.get(LIST, {"organizer": gamer.pk})) == [mine.pk]


def test_joinable_keeps_available_upcoming_sessions_with_room(gamer_client):
    open_one = GameSessionFactory(max_attendees=2)
    AttendanceFactory(session=open_one)
    full = GameSessionFactory(max_attendees=1)
    AttendanceFactory(session=full)
    GameSessionFactory(is_available=False)
    GameSessionFactory(starts_at=timezone.now() - timedelta(minutes=5))
    assert ids(gamer_client.get(LIST, {"joinable": "true"})) == [open_one.pk]
    assert len(ids(gamer_client.get(LIST, {"joinable": "false"}))) == 4


def test_starts_after_and_before(gamer_client):
    now = timezone.now()
    a = GameSessionFactory(starts_at=now + timedelta(days=1))
    b = GameSessionFactory(starts_at=now + timedelta(days=5))
    GameSessionFactory(starts_at=now + timedelta(days=10))
    window = {
        "starts_after": (now + timedelta(days=2)).isoformat(),
        "starts_before": (now + timedelta(days=6)).isoformat(),
    }
    assert ids(gamer_client.get(LIST, window)) == [b.pk]
    assert ids(gamer_client.get(LIST, {"starts_before": (now + timedelta(days=2)).isoformat()})) == [a.pk]


def test_search_matches_title_game_and_description_ignoring_case(gamer_client):
    by_title = GameSessionFactory(title="Sunday CUP", game="FIFA", description="")
    by_game = GameSessionFactory(title="Night", game="Cuphead", description="")
    by_description = GameSessionFactory(title="Other", game="Chess", description="winner takes the cup")
    GameSessionFactory(title="Nothing here", game="Valorant", description="ranked")
    assert set(ids(gamer_client.get(LIST, {"search": "cup"}))) == {by_title.pk, by_game.pk, by_description.pk}
    assert ids(gamer_client.get(LIST, {"search": "cup sunday"})) == [by_title.pk]


def test_ordering_by_popularity_and_attendance(gamer_client):
    quiet = GameSessionFactory()
    liked = GameSessionFactory()
    busy = GameSessionFactory()
    for _ in range(3):
        LikeFactory(session=liked)
    LikeFactory(session=busy)
    for _ in range(2):
        AttendanceFactory(session=busy)
    assert ids(gamer_client.get(LIST, {"ordering": "-like_count"})) == [liked.pk, busy.pk, quiet.pk]
    assert ids(gamer_client.get(LIST, {"ordering": "-attendee_count"}))[0] == busy.pk
    assert ids(gamer_client.get(LIST, {"ordering": "-created_at"})) == [busy.pk, liked.pk, quiet.pk]
    assert ids(gamer_client.get(LIST, {"ordering": "starts_at"})) == [quiet.pk, liked.pk, busy.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"ordering": "password"},
        {"platform": "amiga"},
        {"organizer": "abc"},
        {"organizer": "-3"},
        {"organizer": str(10**30)},
        {"joinable": "maybe"},
        {"starts_after": "yesterday"},
        {"starts_before": "2026-13-45"},
        {"search": "x" * 500},
        {"game": "x\x00y"},
    ],
)
def test_bad_list_parameters_are_400_naming_the_parameter(gamer_client, params):
    response = gamer_client.get(LIST, params)
    assert response.status_code == 400, response.content
    assert set(response.json()) == set(params)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99", str(10**30)])
def test_bad_or_past_the_end_pages_are_404(gamer_client, page):
    GameSessionFactory()
    response = gamer_client.get(LIST, {"page": page})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_pagination_shape(gamer_client):
    for _ in range(3):
        GameSessionFactory()
    body = gamer_client.get(LIST, {"page_size": 2, "page": 2}).json()
    assert (body["count"], body["page"], body["pages"], body["page_size"], len(body["results"])) == (3, 2, 2, 2, 1)


# --- query counts -----------------------------------------------------------------------


def make_busy_sessions(n: int, gamers: list) -> None:
    for i in range(n):
        session = GameSessionFactory(organizer=gamers[i % len(gamers)], max_attendees=3)
        for g in gamers[:2]:
            AttendanceFactory(session=session, gamer=g)
            LikeFactory(session=session, gamer=g)
            ReviewFactory(session=session, author=g, rating=3 + i % 3)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"ordering": "-like_count"},
        {"ordering": "-avg_rating"},
        {"ordering": "trending"},
        {"joinable": "true", "search": "session"},
    ],
)
def test_list_query_count_is_the_same_for_page_sizes_1_and_100(
    gamer_client, gamer, django_assert_max_num_queries, params
):
    gamers = [gamer, gamer_factory(), gamer_factory()]
    make_busy_sessions(30, gamers)
    gamer_client.get("/api/v1/auth/me")  # auth refreshes last_seen at most once a minute: do it now
    counts = []
    for size in (1, 100):
        cache.clear()  # count the list each time (the cached count has its own tests)
        with CaptureQueriesContext(connection) as ctx:
            response = gamer_client.get(LIST, {**params, "page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == (1 if size == 1 else 30)
        counts.append(len(ctx))
    assert counts[0] == counts[1]
    for size in (1, 100):
        cache.clear()
        # the caller's account + count + page
        with django_assert_max_num_queries(3):
            assert gamer_client.get(LIST, {**params, "page_size": size}).status_code == 200


def test_my_sessions_and_detail_query_counts_do_not_grow(gamer_client, gamer, django_assert_max_num_queries):
    gamers = [gamer, gamer_factory(), gamer_factory()]
    make_busy_sessions(30, gamers)
    gamer_client.get("/api/v1/auth/me")
    for size in (1, 100):
        with django_assert_max_num_queries(3):
            assert gamer_client.get("/api/v1/me/sessions", {"page_size": size}).status_code == 200
    url = detail(GameSession.objects.first().pk)
    with django_assert_max_num_queries(2):  # the caller's account + the session with its figures
        assert gamer_client.get(url).status_code == 200
