"""join, leave, attendees, like, reviews and my sessions (SPEC §3)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditLog
from sessions_app.models import Attendance, Like, Review
from sessions_app.tests.factories import (
    AttendanceFactory,
    GameSessionFactory,
    LikeFactory,
    ReviewFactory,
    gamer_factory,
)

pytestmark = pytest.mark.django_db


def url(pk: int, action: str) -> str:
    return f"/api/v1/sessions/{pk}/{action}"


# --- join / leave -----------------------------------------------------------------------


def test_join_returns_detail_and_the_new_count(gamer_client, gamer):
    session = GameSessionFactory(max_attendees=3)
    AttendanceFactory(session=session)
    response = gamer_client.post(url(session.pk, "join"))
    assert response.status_code == 200, response.content
    assert response.json()["attendee_count"] == 2 and response.json()["detail"]
    assert Attendance.objects.filter(session=session, gamer=gamer).exists()
    assert gamer_client.get(f"/api/v1/sessions/{session.pk}").json()["joined_by_me"] is True


def test_join_twice_is_409_already_joined(gamer_client):
    session = GameSessionFactory()
    gamer_client.post(url(session.pk, "join"))
    response = gamer_client.post(url(session.pk, "join/"))
    assert response.status_code == 409 and response.json()["code"] == "already_joined"
    assert Attendance.objects.filter(session=session).count() == 1


def test_join_a_full_session_is_409_session_full(gamer_client):
    session = GameSessionFactory(max_attendees=1)
    AttendanceFactory(session=session)
    response = gamer_client.post(url(session.pk, "join"))
    assert response.status_code == 409 and response.json()["code"] == "session_full"
    assert Attendance.objects.filter(session=session).count() == 1


@pytest.mark.parametrize("fields", [{"is_available": False}, {"starts_at": timezone.now() - timedelta(minutes=1)}])
def test_join_a_switched_off_or_started_session_is_409_session_unavailable(gamer_client, fields):
    session = GameSessionFactory(**fields)
    response = gamer_client.post(url(session.pk, "join"))
    assert response.status_code == 409 and response.json()["code"] == "session_unavailable"
    assert not Attendance.objects.exists()


def test_leave_returns_the_lower_count(gamer_client, gamer):
    session = GameSessionFactory()
    AttendanceFactory(session=session, gamer=gamer)
    AttendanceFactory(session=session)
    response = gamer_client.post(url(session.pk, "leave"))
    assert response.status_code == 200
    assert response.json()["attendee_count"] == 1
    assert not Attendance.objects.filter(session=session, gamer=gamer).exists()


def test_leave_without_joining_is_409_not_joined(gamer_client):
    response = gamer_client.post(url(GameSessionFactory().pk, "leave"))
    assert response.status_code == 409 and response.json()["code"] == "not_joined"


@pytest.mark.parametrize("action", ["join", "leave", "like", "attendees", "reviews", "reviews/mine"])
def test_actions_on_a_missing_session_are_404(gamer_client, action):
    call = gamer_client.get if action in ("attendees", "reviews", "reviews/mine") else gamer_client.post
    response = call(url(987654, action))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "method, action",
    [
        ("post", "join"),
        ("post", "leave"),
        ("delete", "wait"),
        ("post", "like"),
        ("delete", "like"),
        ("post", "reviews"),
        ("put", "reviews/mine"),
        ("delete", "reviews/mine"),
    ],
)
def test_every_session_action_needs_a_token(api, method, action):
    session = GameSessionFactory()
    response = getattr(api, method)(url(session.pk, action), {}, format="json")
    assert response.status_code == 401


def test_attendees_and_reviews_are_public(api):
    session = GameSessionFactory()
    attendance = AttendanceFactory(session=session)
    ReviewFactory(session=session, author=attendance.gamer, rating=5)
    attendees = api.get(url(session.pk, "attendees"))
    assert attendees.status_code == 200
    assert [row["id"] for row in attendees.json()["results"]] == [attendance.gamer_id]
    reviews = api.get(url(session.pk, "reviews"))
    assert reviews.status_code == 200
    assert [row["rating"] for row in reviews.json()["results"]] == [5]
    assert api.get(url(session.pk + 1000, "attendees")).status_code == 404


def test_get_on_join_is_405(gamer_client):
    response = gamer_client.get(url(GameSessionFactory().pk, "join"))
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


# --- attendees --------------------------------------------------------------------------


def test_attendees_are_public_profiles_in_join_order(gamer_client):
    session = GameSessionFactory()
    first, second = gamer_factory(), gamer_factory()
    AttendanceFactory(session=session, gamer=first, joined_at=timezone.now() - timedelta(hours=2))
    AttendanceFactory(session=session, gamer=second, joined_at=timezone.now() - timedelta(hours=1))
    AttendanceFactory(session=GameSessionFactory(), gamer=first)  # first also attends another session
    body = gamer_client.get(url(session.pk, "attendees")).json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [first.pk, second.pk]
    assert body["results"][0]["joined_at"] < body["results"][1]["joined_at"]
    row = body["results"][0]
    assert {"id", "username", "role", "coins", "joined", "last_seen", "bio", "avatar_url", "joined_at"} == set(row)
    assert "email" not in row


def test_attendees_query_count_does_not_grow(gamer_client, django_assert_max_num_queries):
    session = GameSessionFactory(max_attendees=40)
    for _ in range(25):
        AttendanceFactory(session=session)
    gamer_client.get("/api/v1/auth/me")
    for size in (1, 100):
        with django_assert_max_num_queries(4):  # account, session exists, count, page
            assert gamer_client.get(url(session.pk, "attendees"), {"page_size": size}).status_code == 200


# --- likes ------------------------------------------------------------------------------


def test_like_then_unlike(gamer_client, gamer):
    session = GameSessionFactory()
    LikeFactory(session=session)
    response = gamer_client.post(url(session.pk, "like"))
    assert response.status_code == 201 and response.json()["like_count"] == 2
    assert gamer_client.get(f"/api/v1/sessions/{session.pk}").json()["liked_by_me"] is True
    assert gamer_client.delete(url(session.pk, "like")).status_code == 204
    assert not Like.objects.filter(gamer=gamer).exists()


def test_like_twice_is_409_already_liked(gamer_client):
    session = GameSessionFactory()
    gamer_client.post(url(session.pk, "like"))
    response = gamer_client.post(url(session.pk, "like"))
    assert response.status_code == 409 and response.json()["code"] == "already_liked"
    assert Like.objects.count() == 1


def test_unlike_without_a_like_is_404_not_liked(gamer_client):
    response = gamer_client.delete(url(GameSessionFactory().pk, "like"))
    assert response.status_code == 404 and response.json()["code"] == "not_liked"


def test_unlike_on_a_missing_session_is_404_not_found(gamer_client):
    response = gamer_client.delete(url(987654, "like"))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


# --- reviews ----------------------------------------------------------------------------


def test_attendee_reviews_a_session(gamer_client, gamer):
    session = GameSessionFactory()
    AttendanceFactory(session=session, gamer=gamer)
    response = gamer_client.post(url(session.pk, "reviews"), {"rating": 5, "content": "Great host"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["rating"], body["content"], body["author"]["id"]) == (5, "Great host", gamer.pk)
    assert {"id", "author", "rating", "content", "created_at", "updated_at"} <= set(body)
    detail = gamer_client.get(f"/api/v1/sessions/{session.pk}").json()
    assert (detail["review_count"], detail["avg_rating"]) == (1, 5.0)


def test_non_attendees_cannot_review(other_client, gamer):
    session = GameSessionFactory(organizer=gamer)
    response = other_client.post(url(session.pk, "reviews"), {"rating": 5}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_an_attendee"
    assert not Review.objects.exists()


def test_organizer_who_did_not_join_cannot_review_their_own_session(gamer_client, gamer):
    session = GameSessionFactory(organizer=gamer)
    response = gamer_client.post(url(session.pk, "reviews"), {"rating": 5}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_an_attendee"


def test_second_review_is_409_already_reviewed(gamer_client, gamer):
    session = GameSessionFactory()
    AttendanceFactory(session=session, gamer=gamer)
    gamer_client.post(url(session.pk, "reviews"), {"rating": 4}, format="json")
    response = gamer_client.post(url(session.pk, "reviews"), {"rating": 1}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "already_reviewed"
    assert Review.objects.get().rating == 4


@pytest.mark.parametrize(
    "body", [{}, {"rating": 0}, {"rating": 6}, {"rating": "five"}, {"rating": 3, "content": "x" * 2001}]
)
def test_bad_reviews_are_400(gamer_client, gamer, body):
    session = GameSessionFactory()
    AttendanceFactory(session=session, gamer=gamer)
    assert gamer_client.post(url(session.pk, "reviews"), body, format="json").status_code == 400
    assert not Review.objects.exists()


def test_reviews_list_is_paginated_newest_first(other_client):
    session = GameSessionFactory()
    old = ReviewFactory(session=session, created_at=timezone.now() - timedelta(days=1))
    new = ReviewFactory(session=session)
    ReviewFactory()  # another session
    body = other_client.get(url(session.pk, "reviews")).json()
    assert [r["id"] for r in body["results"]] == [new.pk, old.pk]
    assert body["results"][0]["author"] == {"id": new.author.pk, "username": new.author.username}


def test_reviews_list_query_count_does_not_grow(gamer_client, django_assert_max_num_queries):
    session = GameSessionFactory()
    for _ in range(20):
        ReviewFactory(session=session)
    gamer_client.get("/api/v1/auth/me")
    for size in (1, 100):
        with django_assert_max_num_queries(4):
            assert gamer_client.get(url(session.pk, "reviews"), {"page_size": size}).status_code == 200


def test_author_reads_updates_and_deletes_their_review(gamer_client, gamer):
    review = ReviewFactory(author=gamer, rating=2, content="meh")
    mine = url(review.session_id, "reviews/mine")
    assert gamer_client.get(mine).json()["id"] == review.pk
    response = gamer_client.put(mine, {"rating": 4, "content": "better on second thought"}, format="json")
    assert response.status_code == 200
    assert (response.json()["rating"], response.json()["content"]) == (4, "better on second thought")
    review.refresh_from_db()
    assert review.rating == 4
    assert gamer_client.patch(mine, {"content": "ok"}, format="json").json()["rating"] == 4
    assert gamer_client.delete(mine).status_code == 204
    assert not Review.objects.exists()


def test_my_review_when_there_is_none_is_404(gamer_client, other_gamer):
    review = ReviewFactory(author=other_gamer)
    mine = url(review.session_id, "reviews/mine")
    for response in (
        gamer_client.get(mine),
        gamer_client.put(mine, {"rating": 1}, format="json"),
        gamer_client.delete(mine),
    ):
        assert response.status_code == 404 and response.json()["code"] == "not_reviewed"
    assert Review.objects.get().rating == review.rating


def test_put_my_review_validates(gamer_client, gamer):
    review = ReviewFactory(author=gamer)
    mine = url(review.session_id, "reviews/mine")
    assert gamer_client.put(mine, {"rating": 9}, format="json").status_code == 400
    assert gamer_client.put(mine, {"content": "no rating"}, format="json").status_code == 400


# --- moderation of reviews ----------------------------------------------------------------


@pytest.mark.parametrize("who", ["moderator_client", "admin_client_api"])
def test_moderators_list_every_review_and_filter(request, who):
    a = ReviewFactory(rating=1, content="terrible lag")
    ReviewFactory(rating=5, content="perfect")
    client = request.getfixturevalue(who)
    body = client.get("/api/v1/reviews/").json()
    assert body["count"] == 2
    assert {"session", "session_title", "author", "rating", "content"} <= set(body["results"][0])
    assert [r["id"] for r in client.get("/api/v1/reviews", {"rating": 1}).json()["results"]] == [a.pk]
    assert [r["id"] for r in client.get("/api/v1/reviews", {"search": "LAG"}).json()["results"]] == [a.pk]
    assert [r["id"] for r in client.get("/api/v1/reviews", {"session": a.session_id}).json()["results"]] == [a.pk]
    assert [r["id"] for r in client.get("/api/v1/reviews", {"author": a.author_id}).json()["results"]] == [a.pk]
    assert client.get("/api/v1/reviews", {"rating": 7}).status_code == 400


def test_moderator_review_list_query_count_does_not_grow(moderator_client, django_assert_max_num_queries):
    for _ in range(15):
        ReviewFactory()
    moderator_client.get("/api/v1/auth/me")
    for size in (1, 100):
        with django_assert_max_num_queries(3):
            assert moderator_client.get("/api/v1/reviews", {"page_size": size}).status_code == 200


@pytest.mark.parametrize("who", ["moderator_client", "admin_client_api"])
def test_moderators_delete_any_review_with_an_audit_row(request, who):
    review = ReviewFactory()
    client = request.getfixturevalue(who)
    assert client.get(f"/api/v1/reviews/{review.pk}").json()["id"] == review.pk
    assert client.delete(f"/api/v1/reviews/{review.pk}/", QUERY_STRING="reason=abuse").status_code == 204
    assert not Review.objects.exists()
    log = AuditLog.objects.get()
    assert (log.action, log.target_type, log.target_id, log.reason) == (
        "delete_review",
        "review",
        str(review.pk),
        "abuse",
    )


def test_deleting_a_missing_review_is_404(moderator_client):
    response = moderator_client.delete("/api/v1/reviews/987654")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not AuditLog.objects.exists()


def test_gamers_cannot_list_or_delete_reviews_even_their_own(gamer_client, gamer):
    review = ReviewFactory(author=gamer)
    assert gamer_client.get("/api/v1/reviews").status_code == 403
    response = gamer_client.delete(f"/api/v1/reviews/{review.pk}")
    assert response.status_code == 403 and response.json()["code"] == "forbidden_role"
    assert Review.objects.exists()


def test_review_moderation_needs_a_token(api):
    review = ReviewFactory()
    assert api.get("/api/v1/reviews").status_code == 401
    assert api.delete(f"/api/v1/reviews/{review.pk}").status_code == 401


# --- my sessions ----------------------------------------------------------------------------


def test_my_sessions_as_organizer_attendee_or_both(gamer_client, gamer):
    hosted = GameSessionFactory(organizer=gamer, starts_at=timezone.now() + timedelta(days=1))
    joined = GameSessionFactory(starts_at=timezone.now() + timedelta(days=2))
    AttendanceFactory(session=joined, gamer=gamer)
    both = GameSessionFactory(organizer=gamer, starts_at=timezone.now() + timedelta(days=3))
    AttendanceFactory(session=both, gamer=gamer)
    GameSessionFactory()  # not mine
    mine = "/api/v1/me/sessions"

    def got(params):
        response = gamer_client.get(mine, params)
        assert response.status_code == 200
        return [r["id"] for r in response.json()["results"]]

    assert got({"as": "organizer"}) == [hosted.pk, both.pk]
    assert got({"as": "attendee"}) == [joined.pk, both.pk]
    assert got({}) == [hosted.pk, joined.pk, both.pk]
    assert gamer_client.get(mine, {"as": "organizer"}).json()["results"][0]["organizer"]["id"] == gamer.pk


def test_my_sessions_bad_as_is_400_and_anonymous_is_401(gamer_client, api):
    response = gamer_client.get("/api/v1/me/sessions", {"as": "spectator"})
    assert response.status_code == 400 and "as" in response.json()
    assert api.get("/api/v1/me/sessions").status_code == 401
