"""common.counts: list counts counted once per change of the tables they depend on."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.core.paginator import Paginator
from django.db.models.signals import post_delete, post_save

from common import counts
from common.counts import CountedQuerySet, count_changed, track_counts, versioned_count
from conftest import make_gamer
from gamers.models import Gamer

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracked_gamers() -> Any:
    track_counts(Gamer)
    yield
    post_save.disconnect(sender=Gamer, dispatch_uid="counts-save-gamers.gamer")
    post_delete.disconnect(sender=Gamer, dispatch_uid="counts-delete-gamers.gamer")


def _gamers() -> Any:
    return Gamer.objects.filter(username__startswith="count").order_by("id")


def test_a_repeated_count_runs_no_query_while_nothing_changed(django_assert_num_queries, tracked_gamers):
    make_gamer("count a")
    make_gamer("count b")
    with django_assert_num_queries(1):
        assert versioned_count(_gamers(), (Gamer,)) == 2
    with django_assert_num_queries(0):
        assert versioned_count(_gamers(), (Gamer,)) == 2


def test_a_save_or_delete_of_a_tracked_model_makes_the_next_read_count_again(
    django_capture_on_commit_callbacks, tracked_gamers
):
    first = make_gamer("count a")
    assert versioned_count(_gamers(), (Gamer,)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        make_gamer("count b")
    assert versioned_count(_gamers(), (Gamer,)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        first.delete()
    assert versioned_count(_gamers(), (Gamer,)) == 1


def test_the_version_moves_only_when_the_transaction_commits(django_capture_on_commit_callbacks, tracked_gamers):
    assert versioned_count(_gamers(), (Gamer,)) == 0
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_gamer("count a")
        # Not committed yet: a reader elsewhere would still see the old rows, so the old count stays.
        assert versioned_count(_gamers(), (Gamer,)) == 0
    assert callbacks, "the bump waits for the commit"
    for callback in callbacks:
        callback()
    assert versioned_count(_gamers(), (Gamer,)) == 1


def test_writes_without_signals_announce_themselves(django_capture_on_commit_callbacks):
    make_gamer("count a")
    assert versioned_count(_gamers(), (Gamer,)) == 1
    Gamer.objects.filter(username="count a").update(username="count z")  # no signal
    make_gamer("count b")  # untracked here: no signal either
    assert versioned_count(_gamers(), (Gamer,)) == 1  # still the cached figure
    with django_capture_on_commit_callbacks(execute=True):
        count_changed(Gamer)
    assert versioned_count(_gamers(), (Gamer,)) == 2


def test_different_filters_are_counted_apart(tracked_gamers):
    make_gamer("count a")
    make_gamer("count b")
    assert versioned_count(_gamers(), (Gamer,)) == 2
    assert versioned_count(_gamers().filter(username="count a"), (Gamer,)) == 1
    assert versioned_count(_gamers().filter(username="nobody"), (Gamer,)) == 0


def test_a_query_that_matches_nothing_by_construction_is_zero_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert versioned_count(Gamer.objects.filter(pk__in=[]), (Gamer,)) == 0


def test_a_cache_outage_counts_directly(django_assert_num_queries):
    make_gamer("count a")
    with mock.patch.object(counts, "cache") as broken:
        broken.get_many.side_effect = ConnectionError("cache down")
        with django_assert_num_queries(1):
            assert versioned_count(_gamers(), (Gamer,)) == 1


def test_an_evicted_version_never_brings_back_an_old_count(tracked_gamers):
    make_gamer("count a")
    assert versioned_count(_gamers(), (Gamer,)) == 1
    counts.cache.delete("countver:gamers.gamer")  # evicted, while the count entry survives
    Gamer.objects.filter(username="count a").update(username="count q")
    make_gamer("elsewhere")
    Gamer.objects.filter(username="elsewhere").update(username="count r")  # no signal: version not bumped
    assert versioned_count(_gamers(), (Gamer,)) == 2  # a fresh version: counted again


def test_django_paginator_pages_a_counted_queryset(django_assert_num_queries, tracked_gamers):
    for name in ("count a", "count b", "count c"):
        make_gamer(name)
    counted = CountedQuerySet(_gamers(), depends_on=(Gamer,))
    with django_assert_num_queries(2):  # the count, the page
        page = Paginator(counted, 2).page(2)
        assert [g.username for g in page] == ["count c"]
        assert page.paginator.count == 3 and page.paginator.num_pages == 2
    with django_assert_num_queries(1):  # the page only
        page = Paginator(CountedQuerySet(_gamers(), depends_on=(Gamer,)), 2).page(1)
        assert [g.username for g in page] == ["count a", "count b"]


def test_a_counted_queryset_needs_its_dependencies():
    with pytest.raises(ValueError):
        CountedQuerySet(_gamers(), depends_on=())


def test_rows_are_paged_while_a_lighter_query_is_counted(django_assert_num_queries, tracked_gamers):
    for name in ("count light a", "count light b", "count light c"):
        make_gamer(name)
    rows = _gamers().values("username")
    pages = CountedQuerySet(rows, counted=_gamers().order_by().values("pk"), depends_on=(Gamer,))
    with django_assert_num_queries(2):
        page = Paginator(pages, 2).page(2)
        assert list(page) == [{"username": "count light c"}]
        assert page.paginator.count == 3
    # The count's key is the light query's SQL: a list with other rows but the same filter shares it.
    other = CountedQuerySet(_gamers().values("id"), counted=_gamers().order_by().values("pk"), depends_on=(Gamer,))
    with django_assert_num_queries(0):
        assert other.count() == 3


def test_without_dependencies_the_count_is_taken_each_time(django_assert_num_queries, tracked_gamers):
    make_gamer("count direct a")
    pages = CountedQuerySet(_gamers(), depends_on=None)
    with django_assert_num_queries(1):
        assert pages.count() == 1
    make_gamer("count direct b")
    with django_assert_num_queries(1):
        assert pages.count() == 2
