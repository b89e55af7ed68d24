"""Profile stats (`sessions_hosted`, `sessions_joined`, `trivia_wins`) supplied by other apps.

gamers must not import the apps that build on it, so each app registers a factory for its
stat's query expression (a correlated subquery on the gamer's pk) in its AppConfig.ready().
Unregistered stats are 0.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Expression, IntegerField, QuerySet, Value

STAT_NAMES = ("sessions_hosted", "sessions_joined", "trivia_wins")
_factories: dict[str, Callable[[], Expression]] = {}


def register_stat(name: str, factory: Callable[[], Expression]) -> None:
    if name not in STAT_NAMES:
        raise ValueError(f"unknown stat {name!r}")
    _factories[name] = factory


def annotate_stats(qs: QuerySet) -> QuerySet:
    return qs.annotate(
        **{
            f"stat_{name}": (_factories[name]() if name in _factories else Value(0, output_field=IntegerField()))
            for name in STAT_NAMES
        }
    )
