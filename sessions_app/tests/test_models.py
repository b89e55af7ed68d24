"""The database itself refuses rows that break the invariants, whatever code writes them."""

import pytest
from django.db import IntegrityError, transaction

from sessions_app.models import Attendance, GameSession, Like, Review
from sessions_app.tests.factories import GameSessionFactory, gamer_factory

pytestmark = pytest.mark.django_db


def refused(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_a_gamer_attends_a_session_once():
    session, gamer = GameSessionFactory(), gamer_factory()
    Attendance.objects.create(session=session, gamer=gamer)
    assert refused(lambda: Attendance.objects.create(session=session, gamer=gamer))
    assert Attendance.objects.filter(session=session).count() == 1


def test_a_gamer_likes_a_session_once():
    session, gamer = GameSessionFactory(), gamer_factory()
    Like.objects.create(session=session, gamer=gamer)
    assert refused(lambda: Like.objects.create(session=session, gamer=gamer))


def test_a_gamer_reviews_a_session_once():
    session, gamer = GameSessionFactory(), gamer_factory()
    Review.objects.create(session=session, author=gamer, rating=3)
    assert refused(lambda: Review.objects.create(session=session, author=gamer, rating=5))


@pytest.mark.parametrize("rating", [0, 6, 100])
def test_rating_outside_1_to_5_is_refused(rating):
    session, gamer = GameSessionFactory(), gamer_factory()
    assert refused(lambda: Review.objects.create(session=session, author=gamer, rating=rating))


@pytest.mark.parametrize("max_attendees", [0, 1001, 10**9])
def test_max_attendees_outside_1_to_1000_is_refused(max_attendees):
    host = gamer_factory()
    assert refused(lambda: GameSessionFactory(organizer=host, max_attendees=max_attendees))


def test_max_attendees_limits_are_accepted():
    host = gamer_factory()
    assert not refused(lambda: GameSessionFactory(organizer=host, max_attendees=1))
    assert not refused(lambda: GameSessionFactory(organizer=host, max_attendees=1000))


def test_unknown_platform_and_empty_title_are_refused():
    host = gamer_factory()
    assert refused(lambda: GameSessionFactory(organizer=host, platform="amiga"))
    assert refused(lambda: GameSessionFactory(organizer=host, title=""))
    assert refused(lambda: GameSessionFactory(organizer=host, game=""))


def test_over_long_description_and_review_are_refused():
    host = gamer_factory()
    assert refused(lambda: GameSessionFactory(organizer=host, description="x" * 2001))
    session = GameSessionFactory(organizer=host)
    assert refused(lambda: Review.objects.create(session=session, author=host, rating=3, content="x" * 2001))


def test_deleting_a_session_removes_its_attendances_likes_and_reviews():
    session, gamer = GameSessionFactory(), gamer_factory()
    Attendance.objects.create(session=session, gamer=gamer)
    Like.objects.create(session=session, gamer=gamer)
    Review.objects.create(session=session, author=gamer, rating=4)
    session.delete()
    assert not Attendance.objects.exists() and not Like.objects.exists() and not Review.objects.exists()
    assert not GameSession.objects.exists()
