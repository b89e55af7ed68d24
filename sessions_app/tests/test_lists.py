"""The session lists: rows built from `.values()` equal the documented serializer's output, the
caller's flags, and list counts cached per version of the tables they read."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from sessions_app import selectors, services
from sessions_app.serializers import GameSessionSerializer
from sessions_app.tests.factories import GameSessionFactory, gamer_factory, payload

pytestmark = pytest.mark.django_db
LIST = "/api/v1/sessions/"


def varied_sessions(gamer, other):
    """Sessions whose figures cover every case of the shape: no reviews, averages that round,
    full and not, liked / joined by the caller or only by others."""
    now = timezone.now()
    a = GameSessionFactory(max_attendees=2, description="", starts_at=now + timedelta(days=1, microseconds=7))
    b = GameSessionFactory(max_attendees=5, title='Ünïcode "quoted" title', starts_at=now + timedelta(days=2))
    c = GameSessionFactory(max_attendees=1, starts_at=now + timedelta(days=3))
    raters = [gamer_factory("rater") for _ in range(3)]
    for r in raters:
        services.session_join(session_id=b.pk, user=r)
    for r, rating in zip(raters, [5, 4, 4], strict=True):  # 13 / 3 = 4.333...
        services.review_create(session_id=b.pk, user=r, rating=rating)
    services.session_join(session_id=a.pk, user=gamer)
    services.session_join(session_id=a.pk, user=other)  # full
    services.session_like(session_id=a.pk, user=gamer)
    services.session_like(session_id=b.pk, user=other)
    services.session_join(session_id=c.pk, user=other)
    services.review_create(session_id=c.pk, user=other, rating=2)
    services.session_update(actor=c.organizer, session_id=c.pk, is_available=False)
    return [a, b, c]


def rendered(data) -> bytes:
    return JSONRenderer().render(data)


@pytest.mark.parametrize("who", ["gamer", "anonymous"])
def test_rows_are_byte_for_byte_what_the_session_serializer_gives(gamer, other_gamer, who):
    varied_sessions(gamer, other_gamer)
    user = gamer if who == "gamer" else AnonymousUser()
    for ordering in selectors.ORDERINGS:
        models = list(selectors.session_list(user=user, ordering=ordering))
        rows = selectors.session_rows(
            selectors.session_list(user=user, ordering=ordering).values(*selectors.ROW_COLUMNS)
        )
        assert rendered(rows) == rendered(GameSessionSerializer(models, many=True).data)
    some = models[0]
    assert rendered(selectors.session_detail_row(session_id=some.pk, user=user)) == rendered(
        GameSessionSerializer(selectors.session_detail(session_id=some.pk, user=user)).data
    )


def test_list_and_detail_answer_the_serializer_shape_through_the_api(gamer_client, gamer, other_gamer):
    sessions = varied_sessions(gamer, other_gamer)
    body = gamer_client.get(LIST, {"ordering": "-like_count"}).json()
    expected = GameSessionSerializer(selectors.session_list(user=gamer, ordering="-like_count"), many=True).data
    assert body["results"] == json.loads(rendered(expected))
    first = body["results"][0]
    assert list(first) == list(GameSessionSerializer().fields)  # same keys, same order
    a = next(row for row in body["results"] if row["id"] == sessions[0].pk)
    b = next(row for row in body["results"] if row["id"] == sessions[1].pk)
    assert (a["is_full"], a["liked_by_me"], a["joined_by_me"], a["avg_rating"]) == (True, True, True, None)
    assert (b["avg_rating"], b["review_count"], b["like_count"], b["liked_by_me"]) == (4.33, 3, 1, False)
    assert a["starts_at"].endswith("Z") and "." in a["starts_at"]
    detail = gamer_client.get(f"/api/v1/sessions/{sessions[1].pk}").json()
    assert detail == b


def test_flags_are_the_callers_and_false_for_anonymous_callers(gamer, other_gamer):
    session = GameSessionFactory()
    services.session_like(session_id=session.pk, user=gamer)
    services.session_join(session_id=session.pk, user=other_gamer)
    rows = {
        who: selectors.session_rows(selectors.session_list(user=user).values(*selectors.ROW_COLUMNS))[0]
        for who, user in (("gamer", gamer), ("other", other_gamer), ("anonymous", AnonymousUser()), ("none", None))
    }
    assert (rows["gamer"]["liked_by_me"], rows["gamer"]["joined_by_me"]) == (True, False)
    assert (rows["other"]["liked_by_me"], rows["other"]["joined_by_me"]) == (False, True)
    for who in ("anonymous", "none"):
        assert (rows[who]["liked_by_me"], rows[who]["joined_by_me"]) == (False, False)


@pytest.fixture
def private_cache(settings):
    """This process's own cache for the tests that count cache hits: with a real Redis, the other
    test workers' per-test `cache.clear()` (FLUSHDB) would drop a cached count at random."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def list_queries(client, params=None) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, params or {})
    assert response.status_code == 200, response.content
    return len(ctx), response.json()


def test_a_repeated_list_reuses_its_count_until_sessions_change(
    private_cache, gamer_client, gamer, other_client, django_capture_on_commit_callbacks
):
    for _ in range(3):
        GameSessionFactory()
    gamer_client.get("/api/v1/auth/me")
    other_client.get("/api/v1/auth/me")
    queries, body = list_queries(gamer_client)
    assert (queries, body["count"]) == (3, 3)  # account, count, page
    queries, body = list_queries(gamer_client)
    assert (queries, body["count"]) == (2, 3)  # account, page: the count is the cached one
    queries, body = list_queries(other_client, {"ordering": "-like_count"})
    assert (queries, body["count"]) == (2, 3)  # shared by every caller and ordering
    with django_capture_on_commit_callbacks(execute=True):
        assert gamer_client.post(LIST, payload(), format="json").status_code == 201
    queries, body = list_queries(gamer_client)
    assert (queries, body["count"], len(body["results"])) == (3, 4, 4)  # counted again once
    # Likes move counters, not the rows a count sees: the count stays cached.
    with django_capture_on_commit_callbacks(execute=True):
        assert other_client.post(f"/api/v1/sessions/{body['results'][0]['id']}/like").status_code == 201
    queries, body = list_queries(gamer_client, {"ordering": "-like_count"})
    assert (queries, body["count"], body["results"][0]["like_count"]) == (2, 4, 1)
    # A filter is a count of its own.
    queries, body = list_queries(gamer_client, {"game": "VALORANT"})
    assert (queries, body["count"]) == (3, 4)


def test_a_joinable_list_is_counted_every_time(private_cache, gamer_client):
    full = GameSessionFactory(max_attendees=1)
    GameSessionFactory()
    gamer_client.get("/api/v1/auth/me")
    assert list_queries(gamer_client, {"joinable": "true"})[1]["count"] == 2
    services.session_join(session_id=full.pk, user=gamer_factory())  # no version bump needed
    queries, body = list_queries(gamer_client, {"joinable": "true"})
    assert (queries, body["count"]) == (3, 1)


def test_my_sessions_count_follows_joins_and_leaves(
    private_cache, gamer_client, gamer, django_capture_on_commit_callbacks
):
    sessions = [GameSessionFactory() for _ in range(3)]
    gamer_client.get("/api/v1/auth/me")
    mine = "/api/v1/me/sessions"
    assert gamer_client.get(mine, {"as": "attendee"}).json()["count"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        for session in sessions[:2]:
            assert gamer_client.post(f"/api/v1/sessions/{session.pk}/join").status_code == 200
    assert gamer_client.get(mine, {"as": "attendee"}).json()["count"] == 2
    assert gamer_client.get(mine).json()["count"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert gamer_client.post(f"/api/v1/sessions/{sessions[0].pk}/leave").status_code == 200
    body = gamer_client.get(mine, {"as": "attendee"}).json()
    assert (body["count"], [row["id"] for row in body["results"]]) == (1, [sessions[1].pk])
    assert gamer_client.get(mine).json()["count"] == 1


def test_the_game_filter_ignores_case_and_surrounding_spaces(gamer_client):
    wanted = GameSessionFactory(game="Rocket League")
    GameSessionFactory(game="Rocket")
    for asked in ("rocket league", "ROCKET LEAGUE", "  Rocket League "):
        body = gamer_client.get(LIST, {"game": asked}).json()
        assert [row["id"] for row in body["results"]] == [wanted.pk], asked
