"""The audit log's one write. Bottom layer: every app may call it; it imports no app."""

from __future__ import annotations

from typing import Any

from audit.models import AuditLog
from common.transactions import assert_in_transaction


def audit_record(*, actor: Any, action: str, target_type: str, target_id: Any, reason: str = "") -> AuditLog:
    """Write one audit row. Call it inside the action's transaction so both commit or neither."""
    assert_in_transaction("audit_record")
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        reason=(reason or "")[:500],
    )
