import io

import pytest
from django.db.models import Sum
from django.utils import timezone

from events.models import Category, Event, TicketOrder
from events.selectors import event_list

pytestmark = pytest.mark.django_db


def seed_demo(force: bool = False) -> None:
    """What `seed_demo [--force]` does, limited to the seeders events depends on (fast)."""
    from common.seeding import SeedContext
    from events import seed as events_seed
    from gamers import seed as gamers_seed
    from gamers.models import Gamer

    if force:
        Gamer.objects.all().delete()
    ctx = SeedContext(stdout=io.StringIO(), players=12, scores=0)
    gamers_seed.seed(ctx)
    events_seed.seed(ctx)


def test_seed_demo_adds_about_forty_tunisian_events():
    seed_demo()
    events = list(Event.objects.all())
    assert 35 <= len(events) <= 50
    assert {e.category for e in events} == set(Category.values)
    assert len({e.city for e in events}) >= 15
    assert all(e.image_url.startswith("https://") for e in events)
    assert all(e.starts_at > timezone.now() and e.organizer_id for e in events)
    for place in ("Carthage", "Hammamet", "El Jem", "Tabarka", "Douz"):
        assert event_list(search=place).exists(), place
    assert event_list(search="esports", city="Tunis").exists()
    assert event_list(search="esports", city="Sousse").exists()
    assert event_list(search="cafe").exists()  # "Café des Délices"
    assert TicketOrder.objects.exists()
    for event in events:
        sold = TicketOrder.objects.filter(event=event).aggregate(n=Sum("quantity"))["n"] or 0
        assert event.tickets_available + sold == event.tickets_total


def test_seed_demo_force_replaces_the_demo_events_instead_of_duplicating_them():
    seed_demo()
    count = Event.objects.count()
    seed_demo(force=True)
    assert Event.objects.count() == count
    assert not Event.objects.filter(organizer__isnull=True).exists()
