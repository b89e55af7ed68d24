from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate, pre_delete


def _account_deleting(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A user is being deleted (any path: the services, the admin, a queryset delete): their
    bookmarks go now, inside the delete's transaction, with the events' counters."""
    from events.services import bookmarks_remove_all

    bookmarks_remove_all(user_id=instance.pk)


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and tickets"

    def ready(self) -> None:
        from common.counts import track_counts
        from events.models import Event
        from events.search import ensure_search_index

        # GET /events/ counts are cached per version of the events table (common.counts).
        track_counts(Event)
        # Bookmarks cascade with their user; the counter must follow (see bookmarks_remove_all).
        pre_delete.connect(_account_deleting, sender=settings.AUTH_USER_MODEL, dispatch_uid="events-account-deleting")
        post_migrate.connect(ensure_search_index, sender=self, dispatch_uid="events-search-index")
        # Lapsed waiting-list holds pass to the next waiter (idempotent: events.waitlist).
        from common.clock import register_tick
        from events.waitlist import holds_tick

        register_tick("events.holds", holds_tick)
