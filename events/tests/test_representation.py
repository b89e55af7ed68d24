"""The lists build events with `event_representation`; EventSerializer documents the shape.
Both must give the same JSON for every event, key for key and in the same order."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Value
from django.utils import timezone

from conftest import client_for
from events.models import Event
from events.selectors import event_row
from events.serializers import EventSerializer, event_representation
from events.services import bookmark_add
from events.tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def reference(event_id: int, bookmarked: bool) -> dict:
    instance = Event.objects.select_related("organizer").annotate(bookmarked_by_me=Value(bookmarked)).get(pk=event_id)
    return dict(EventSerializer(instance).data)


@pytest.mark.parametrize("price", ["0.00", "0.10", "12.50", "60", "999999.99"])
@pytest.mark.parametrize("bookmarked", [True, False])
def test_event_representation_is_what_the_serializer_gives(gamer, other_gamer, price, bookmarked):
    event = EventFactory(
        ticket_price=Decimal(price),
        starts_at=datetime(2099, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        description="Tabarka\nJazz «nights» — 🎷",
    )
    bookmark_add(event_id=event.pk, user=other_gamer)
    row = event_row(event_id=event.pk, viewer=gamer)
    assert row is not None
    built = event_representation(row, bookmarked)
    expected = reference(event.pk, bookmarked)
    assert built == expected
    assert list(built) == list(expected)
    assert built["ticket_price"] == f"{Decimal(price):.2f}"
    assert built["starts_at"] == "2099-01-02T03:04:05.678901Z"
    assert built["bookmark_count"] == 1


def test_an_event_without_organizer_and_on_a_whole_second(gamer):
    event = EventFactory(organizer=None, starts_at=datetime(2099, 7, 1, 20, 0, tzinfo=UTC))
    row = event_row(event_id=event.pk)
    assert row is not None
    built = event_representation(row, row["bookmarked_by_me"])
    assert built == reference(event.pk, False)
    assert built["organizer"] is None and built["starts_at"] == "2099-07-01T20:00:00.000000Z"


def test_a_datetime_in_another_zone_is_written_in_utc():
    tunis = timezone.get_fixed_timezone(60)
    row = {
        "id": 1, "title": "t", "description": "", "starts_at": datetime(2099, 1, 1, 1, 30, tzinfo=tunis),
        "location": "l", "city": "c", "category": "music", "image_url": "", "tickets_total": 3,
        "tickets_available": 1, "tickets_held": 0, "ticket_price": Decimal("1.5"), "organizer_id": None, "organizer__username": None,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC), "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
        "bookmark_count": 0,
    }  # fmt: skip
    built = event_representation(row, False)
    assert built["starts_at"] == "2099-01-01T00:30:00.000000Z"
    assert built["ticket_price"] == "1.50"  # not 2 places from the database: DRF's quantizing
    assert built["tickets_sold"] == 2


@pytest.mark.parametrize("path", ["/api/v1/events/", "/api/v1/me/bookmarks"])
def test_every_list_row_is_what_the_serializer_gives(gamer, other_gamer, path):
    for i in range(5):
        event = EventFactory(
            organizer=other_gamer if i % 2 else None, ticket_price=Decimal(f"{i}.{i}5"),
            starts_at=timezone.now() + timedelta(days=i + 1, microseconds=i),
        )  # fmt: skip
        if i % 3 != 1:
            bookmark_add(event_id=event.pk, user=gamer)
        bookmark_add(event_id=event.pk, user=other_gamer)
    response = client_for(gamer).get(path)
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == (5 if path == "/api/v1/events/" else 3)
    for item in results:
        expected = reference(item["id"], item["id"] in set(gamer.event_bookmarks.values_list("event_id", flat=True)))
        assert item == expected
        assert list(item) == list(expected)
