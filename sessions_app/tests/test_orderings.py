"""`-avg_rating` (top rated) and `trending` (likes and joins of the last 7 days), both read from
counters kept in the same transaction as each change (SPEC §3 "More for sessions")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from gamers.services import gamer_delete_self
from sessions_app import services
from sessions_app.counters import counters_drift
from sessions_app.models import Attendance, GameSession, Like
from sessions_app.tests.factories import GameSessionFactory, ReviewFactory, gamer_factory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/sessions/"
T0 = datetime(2031, 5, 14, 12, 0, tzinfo=UTC)


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def reviewed(*ratings: int) -> GameSession:
    session = GameSessionFactory.create()
    for rating in ratings:
        ReviewFactory(session=session, rating=rating)
    return session


def trend(session: GameSession) -> int:
    return GameSession.objects.values_list("trend_score", flat=True).get(pk=session.pk)


# --- top rated --------------------------------------------------------------------------------


def test_top_rated_lists_sessions_with_three_reviews_first_by_mean_rating(api):
    two_fives = reviewed(5, 5)  # the best mean, but only 2 reviews
    solid = reviewed(4, 4, 5)  # 4.33 over 3
    great = reviewed(5, 5, 4, 5)  # 4.75 over 4
    poor = reviewed(1, 2, 2)  # 1.67 over 3
    one_three = reviewed(3)
    unrated = reviewed()
    assert ids(api.get(LIST, {"ordering": "-avg_rating"})) == [
        great.pk,
        solid.pk,
        poor.pk,
        two_fives.pk,
        one_three.pk,
        unrated.pk,
    ]
    assert ids(api.get(LIST, {"ordering": "avg_rating"}))[0] == unrated.pk


def test_the_rating_rank_follows_every_review_change(gamer):
    session = GameSessionFactory(max_attendees=10)
    other = reviewed(3, 3, 3)
    raters = [gamer_factory("rater") for _ in range(3)]
    for rater in raters:
        services.session_join(session_id=session.pk, user=rater)
        services.review_create(session_id=session.pk, user=rater, rating=2)
    assert _top() == [other.pk, session.pk]  # 3.0 beats 2.0
    for rater in raters:
        services.review_update_mine(session_id=session.pk, user=rater, rating=5)
    assert _top() == [session.pk, other.pk]
    services.review_delete_mine(session_id=session.pk, user=raters[0])  # 2 reviews left: below 3
    assert _top() == [other.pk, session.pk]
    rank = GameSession.objects.values_list("rating_rank", flat=True).get(pk=session.pk)
    assert rank == 5.0


def _top() -> list[int]:
    from sessions_app.selectors import session_list

    return list(session_list(ordering="-avg_rating").values_list("pk", flat=True))


# --- trending ---------------------------------------------------------------------------------


def test_trending_counts_likes_and_joins_not_the_organizer(gamer, other_gamer):
    session = GameSessionFactory(max_attendees=10)
    busy = GameSessionFactory(max_attendees=10)
    hosted = services.session_create(
        organizer=gamer,
        title="Hosted",
        game="Chess",
        platform="pc",
        starts_at=busy.starts_at,
        max_attendees=4,
    )
    assert trend(hosted) == 0  # the organizer's attendance is hosting, not a join
    services.session_like(session_id=session.pk, user=gamer)
    for fan in [gamer_factory("fan") for _ in range(2)]:
        services.session_like(session_id=busy.pk, user=fan)
        services.session_join(session_id=busy.pk, user=fan)
    assert (trend(session), trend(busy)) == (1, 4)
    services.session_unlike(session_id=session.pk, user=gamer)
    assert trend(session) == 0


def test_trending_orders_by_the_last_seven_days_and_ages_out_older_activity(api):
    with time_machine.travel(T0, tick=False) as clock:
        old_hit, new_hit = GameSessionFactory(max_attendees=50), GameSessionFactory(max_attendees=50)
        fans = [gamer_factory("fan") for _ in range(5)]
        for fan in fans:
            services.session_like(session_id=old_hit.pk, user=fan)
            services.session_join(session_id=old_hit.pk, user=fan)
        clock.move_to(T0 + timedelta(days=3))
        for fan in fans[:3]:
            services.session_like(session_id=new_hit.pk, user=fan)
        assert ids(api.get(LIST, {"ordering": "trending"}))[:2] == [old_hit.pk, new_hit.pk]

        clock.move_to(T0 + timedelta(days=7, seconds=-1))  # still within the week
        assert services.trend_expire() == 0
        clock.move_to(T0 + timedelta(days=7, seconds=1))
        assert services.trend_expire() == 10  # 5 likes and 5 joins of old_hit leave the window
        assert services.trend_expire() == 0  # a duplicate or late tick takes nothing off twice
        assert (trend(old_hit), trend(new_hit)) == (0, 3)
        assert ids(api.get(LIST, {"ordering": "trending"}))[:2] == [new_hit.pk, old_hit.pk]
        # The rows stay (like_count, attendee_count unchanged); taking back an aged-out like or
        # join doesn't take it off the trend again.
        services.session_unlike(session_id=old_hit.pk, user=fans[0])
        services.session_leave(session_id=old_hit.pk, user=fans[1])
        gamer_delete_self(gamer=fans[2])
        assert (trend(old_hit), trend(new_hit)) == (0, 2)
        assert counters_drift() == []
        clock.move_to(T0 + timedelta(days=10, seconds=1))
        assert services.trend_expire() == 2
        assert trend(new_hit) == 0 and counters_drift() == []


def test_the_expiry_tick_works_in_batches(gamer):
    with time_machine.travel(T0, tick=False) as clock:
        sessions = [GameSessionFactory() for _ in range(5)]
        for session in sessions:
            services.session_like(session_id=session.pk, user=gamer)
        clock.move_to(T0 + timedelta(days=8))
        assert services.trend_expire(batch=2) == 2
        assert services.trend_expire(batch=2) == 2
        assert services.trend_expire(batch=2) == 1
        assert services.trend_expire(batch=2) == 0
    assert not Like.objects.filter(trend_counted=True).exists()
    assert not Attendance.objects.filter(trend_counted=True).exists()


def test_an_unknown_ordering_is_400(gamer_client):
    response = gamer_client.get(LIST, {"ordering": "-trending"})
    assert response.status_code == 400 and "ordering" in response.json()
