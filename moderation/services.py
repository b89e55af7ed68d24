from __future__ import annotations

from typing import Any

from django.db import transaction

from moderation.models import AuditLog


def audit_record(*, actor: Any, action: str, target_type: str, target_id: Any, reason: str = "") -> AuditLog:
    """Write one audit row. Call it inside the action's transaction so both commit or neither."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the action's transaction")
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        reason=(reason or "")[:500],
    )
