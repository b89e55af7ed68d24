"""factory_boy factories for sessions. They write rows directly (tests of the rules go through
the services), then recount the session's counters from its rows, as every bulk writer does
(`sessions_app.counters`); `gamer_factory` makes accounts through `gamer_create` like
everywhere else."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any, TypeVar

import factory
from django.utils import timezone

from conftest import make_gamer
from sessions_app.counters import counters_recount
from sessions_app.models import Attendance, GameSession, Like, Platform, Review

_counter = itertools.count(1)
_Row = TypeVar("_Row", Attendance, Like, Review)


def gamer_factory(prefix: str = "player", **extra: Any) -> Any:
    return make_gamer(f"{prefix} {next(_counter)}", **extra)


class GameSessionFactory(factory.django.DjangoModelFactory[GameSession]):
    class Meta:
        model = GameSession

    title = factory.Sequence(lambda n: f"Session {n}")
    game = "Valorant"
    description = "Ranked games, voice on Discord."
    platform = Platform.PC
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    max_attendees = 10
    is_available = True
    organizer = factory.LazyFunction(lambda: gamer_factory("host"))


class _CountedRowFactory(factory.django.DjangoModelFactory[_Row]):
    """A row counted on its session: the session's counters are recounted after the insert."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: type[_Row], *args: Any, **kwargs: Any) -> _Row:
        row = super()._create(model_class, *args, **kwargs)
        counters_recount(session_ids=[row.session_id])
        return row


class AttendanceFactory(_CountedRowFactory[Attendance]):
    class Meta:
        model = Attendance

    session = factory.SubFactory(GameSessionFactory)
    gamer = factory.LazyFunction(gamer_factory)


class LikeFactory(_CountedRowFactory[Like]):
    class Meta:
        model = Like

    session = factory.SubFactory(GameSessionFactory)
    gamer = factory.LazyFunction(gamer_factory)


class ReviewFactory(_CountedRowFactory[Review]):
    class Meta:
        model = Review

    session = factory.SubFactory(GameSessionFactory)
    author = factory.LazyFunction(gamer_factory)
    rating = 4
    content = "Good games."


def payload(**overrides: Any) -> dict[str, Any]:
    """A valid POST /sessions/ body."""
    body: dict[str, Any] = {
        "title": "Friday night Valorant",
        "game": "Valorant",
        "description": "Unrated, then ranked.",
        "platform": "pc",
        "starts_at": (timezone.now() + timedelta(days=1)).isoformat(),
        "max_attendees": 5,
    }
    body.update(overrides)
    return body
