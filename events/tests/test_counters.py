"""Event.bookmark_count equals the bookmarks that exist, whatever path adds or removes them."""

import importlib
import random
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Count
from django.test import Client

from conftest import client_for, make_gamer
from events import services
from events.models import Bookmark, Event
from events.tests.factories import EventFactory
from gamers.models import Gamer
from gamers.services import gamer_delete

pytestmark = pytest.mark.django_db


def fresh_counts() -> dict[int, int]:
    counted = Bookmark.objects.order_by().values("event").annotate(n=Count("*")).values_list("event", "n")
    return dict.fromkeys(Event.objects.values_list("id", flat=True), 0) | dict(counted)


def counters() -> dict[int, int]:
    return dict(Event.objects.values_list("id", "bookmark_count"))


def test_a_mixed_sequence_of_operations_keeps_every_counter_equal_to_a_fresh_count(admin):
    rng = random.Random(15)
    events = [EventFactory(title=f"Counted event {i}") for i in range(5)]
    people = [make_gamer(f"bookmarker {i:02d}") for i in range(10)]
    clients = {person.pk: client_for(person) for person in people}
    site = Client()
    site.force_login(admin)
    done: list[str] = []

    def alive() -> list[Gamer]:
        return [p for p in people if Gamer.objects.filter(pk=p.pk).exists()]

    for step in range(120):
        person = rng.choice(alive())
        event = rng.choice(events)
        url = f"/api/v1/events/{event.pk}/bookmark"
        kind = rng.choices(
            ["api add", "api remove", "service add", "admin add", "admin delete", "admin bulk delete", "account"],
            weights=[30, 20, 10, 5, 5, 3, 2],
        )[0]
        if kind == "api add":
            assert clients[person.pk].post(url).status_code in (200, 201)
        elif kind == "api remove":
            assert clients[person.pk].delete(url).status_code == 204
        elif kind == "service add":
            services.bookmark_add(event_id=event.pk, user=person)
        elif kind == "admin add":
            response = site.post("/admin/events/bookmark/add/", {"user": person.pk, "event": event.pk})
            assert response.status_code in (200, 302)  # 200: the form says it already exists
        elif kind == "admin delete":
            bookmark = Bookmark.objects.filter(event=event).first()
            if bookmark is not None:
                response = site.post(f"/admin/events/bookmark/{bookmark.pk}/delete/", {"post": "yes"})
                assert response.status_code == 302
        elif kind == "admin bulk delete":
            chosen = list(Bookmark.objects.filter(user=person).values_list("pk", flat=True))
            if chosen:
                body = {"action": "delete_selected", "_selected_action": chosen, "post": "yes"}
                assert site.post("/admin/events/bookmark/", body).status_code == 302
        elif len(alive()) > 3:  # an account goes, in one of the three ways accounts are deleted
            way = step % 3
            if way == 0:
                assert clients[person.pk].delete("/api/v1/auth/me").status_code == 204
            elif way == 1:
                gamer_delete(actor=admin, target_id=person.pk, reason="counter test")
            else:
                Gamer.objects.filter(pk=person.pk).delete()
            assert not Bookmark.objects.filter(user_id=person.pk).exists()
        done.append(kind)
        assert counters() == fresh_counts(), f"after step {step} ({kind})"
    assert {"api add", "api remove", "account", "admin delete"} <= set(done)
    assert sum(fresh_counts().values()) > 0  # the sequence ends with bookmarks left to count


def test_deleting_an_account_takes_its_bookmarks_off_every_event(gamer, other_gamer):
    first, second = EventFactory(), EventFactory()
    for event in (first, second):
        services.bookmark_add(event_id=event.pk, user=gamer)
        services.bookmark_add(event_id=event.pk, user=other_gamer)
    assert counters() == {first.pk: 2, second.pk: 2}
    assert client_for(gamer).delete("/api/v1/auth/me").status_code == 204
    assert counters() == {first.pk: 1, second.pk: 1} == fresh_counts()


def test_removing_a_bookmark_twice_counts_it_once(gamer):
    event = EventFactory()
    services.bookmark_add(event_id=event.pk, user=gamer)
    assert services.bookmark_remove(event_id=event.pk, user=gamer) is True
    assert services.bookmark_remove(event_id=event.pk, user=gamer) is False
    event.refresh_from_db()
    assert event.bookmark_count == 0


def test_the_migration_backfills_the_counters_from_the_bookmarks(gamer, other_gamer):
    popular, quiet = EventFactory(), EventFactory()
    for person in (gamer, other_gamer):
        services.bookmark_add(event_id=popular.pk, user=person)
    Event.objects.update(bookmark_count=7)  # what a database migrated before the counter looked like
    migration = importlib.import_module("events.migrations.0002_bookmark_count_and_list_indexes")
    migration.backfill_bookmark_counts(apps, SimpleNamespace(connection=connection))
    assert counters() == {popular.pk: 2, quiet.pk: 0}
