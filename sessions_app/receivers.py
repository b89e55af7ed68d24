"""Keeping session counters exact when accounts are deleted elsewhere (see `sessions_app.counters`)."""

from __future__ import annotations

from typing import Any


def gamer_about_to_be_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """`pre_delete` of the gamer model: Django sends it inside the delete's transaction, before
    the cascade removes the gamer's attendances, likes and reviews. Remove them here instead,
    through the service that takes them off their sessions' counters."""
    from sessions_app.services import gamer_participation_remove

    if instance.pk is not None:
        gamer_participation_remove(gamer_id=instance.pk)
