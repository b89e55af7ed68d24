"""Exact list counts, counted once per change of the tables they read instead of once per page.

A paginated list answers `count` and `pages` (SPEC §1), and `COUNT(*)` costs in proportion to
the rows that match: at 100,000 sessions it is most of what a page costs. Lists are read far
more often than their tables change, so `CountedQuerySet(qs, depends_on=(Model, ...))` keeps
the count of `qs` in the cache under a key made of its SQL and of a *version* of every table
it depends on. Any change to one of those tables bumps its version after the transaction
commits (`count_changed`), so the next read counts again: counts are never stale, and a page
costs one cheap query while nothing changes.

* `track_counts(Model, ...)` (in an app's `ready()`) bumps the version on every `post_save`
  and `post_delete` of the model, which covers the services, the admin, cascades and
  queryset deletes. Writes that send no signals (`bulk_create`, `QuerySet.update` of a
  column a list filters on, raw SQL) call `count_changed(Model)` themselves.
* A version is bumped after commit: a reader that counted inside the writer's transaction
  window stored its count under the old version, which nobody asks for any more.
* A query that can't be compiled (an empty `__in`) or a cache that is down is simply counted.
* An entry lives LIST_COUNT_CACHE_SECONDS at most (30 s on the embedded defaults, whose cache
  is the web process's own: another process writing, say `make seed`, can't bump it).
* Only pass queries whose SQL repeats: one that embeds `now()` as a parameter gets a new key
  on every request and gains nothing (count those directly).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from functools import partial
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections, models, transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger("gameconnect.counts")

M = TypeVar("M", bound=models.Model)

_VERSION_PREFIX = "countver:"
_COUNT_PREFIX = "count:"


def _version_key(model: type[models.Model]) -> str:
    return _VERSION_PREFIX + model._meta.label_lower


def _bump_now(model: type[models.Model]) -> None:
    key = _version_key(model)
    try:
        try:
            cache.incr(key)
        except ValueError:  # no version yet (or evicted): any fresh value differs from the old ones
            cache.set(key, time.time_ns(), None)
    except Exception:  # a cache outage must not fail the write that committed
        logger.warning("count version of %s not bumped (cache unavailable)", key, exc_info=True)


def count_changed(*changed: type[models.Model]) -> None:
    """The rows of these models changed: counts that depend on them are recounted once the
    current transaction commits (at once outside a transaction)."""
    for model in changed:
        transaction.on_commit(partial(_bump_now, model))


def _on_change(sender: type[models.Model], **kwargs: Any) -> None:
    count_changed(sender)


def track_counts(*tracked: type[models.Model]) -> None:
    """Bump these models' count versions on every save and delete (call from `ready()`)."""
    for model in tracked:
        post_save.connect(_on_change, sender=model, dispatch_uid=f"counts-save-{model._meta.label_lower}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"counts-delete-{model._meta.label_lower}")


def _versions(depends_on: tuple[type[models.Model], ...]) -> list[Any]:
    keys = [_version_key(model) for model in depends_on]
    found = cache.get_many(keys)
    missing = {key: time.time_ns() for key in keys if key not in found}
    if missing:
        # add(): if another process created the version meanwhile, its value wins
        for key, value in missing.items():
            if not cache.add(key, value, None):
                value = cache.get(key, value)
            found[key] = value
    return [found[key] for key in keys]


def versioned_count(queryset: models.QuerySet[Any], depends_on: tuple[type[models.Model], ...]) -> int:
    """`queryset.count()`, from the cache while none of `depends_on` changed."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return 0
    try:
        versions = _versions(depends_on)
        # The database's name, not only its alias: two databases sharing one Redis (test
        # workers, staging and production) must not share counts.
        database = (queryset.db, connections[queryset.db].settings_dict["NAME"])
        digest = hashlib.sha1(repr((database, sql, params, versions)).encode()).hexdigest()
        key = _COUNT_PREFIX + digest
        found = cache.get(key)
    except Exception:  # cache down: count directly
        logger.warning("list count cache unavailable; counting directly", exc_info=True)
        return queryset.count()
    if found is not None:
        return int(found)
    count = queryset.count()
    try:
        cache.set(key, count, settings.LIST_COUNT_CACHE_SECONDS)
    except Exception:
        logger.warning("list count not cached (cache unavailable)", exc_info=True)
    return count


class CountedQuerySet(Generic[M]):
    """What Django's Paginator pages: the page is a slice of `queryset`, the count that of
    `counted` (default: `queryset` itself), through `versioned_count`.

    `counted` lets a list page rich rows (annotations, `.values(...)` of many columns, per-caller
    flags) while counting a lighter query with the same filters (`.values("pk")`): its SQL is the
    cache key, compiled on every request, and callers with different flags share one count.
    `depends_on=None` counts `counted` directly each time: for filters whose SQL embeds the
    current time, which would never repeat as a cache key.
    """

    def __init__(
        self,
        queryset: models.QuerySet[M, Any],
        *,
        depends_on: tuple[type[models.Model], ...] | None,
        counted: models.QuerySet[Any, Any] | None = None,
    ) -> None:
        if depends_on is not None and not depends_on:
            raise ValueError("depends_on names the models whose changes change this count (None: count directly)")
        self.queryset = queryset
        self.counted = queryset if counted is None else counted
        self.depends_on = depends_on

    @property
    def ordered(self) -> bool:
        return self.queryset.ordered

    def count(self) -> int:
        if self.depends_on is None:
            return self.counted.count()
        return versioned_count(self.counted, self.depends_on)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: Any) -> Any:
        return self.queryset[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.queryset)
