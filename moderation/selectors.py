from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from moderation.models import AuditLog


def audit_log_list(
    *,
    actor_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditLog]:
    qs = AuditLog.objects.select_related("actor")
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if action:
        qs = qs.filter(action=action)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lte=until)
    return qs
