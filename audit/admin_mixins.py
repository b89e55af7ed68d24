"""The back office's audit trail: a ModelAdmin mixin that writes every add, change and delete to
the audit log (SPEC §7). It lives in `audit` (not `common`) because it calls `audit_record`."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.admin.models import LogEntry
from django.db import models, transaction
from django.http import HttpRequest

from audit.services import audit_record


def change_summary(message: Any) -> str:
    """Django's change message (the list `construct_change_message` builds, or plain text) as a
    sentence: "Changed Title and Max attendees. Deleted attendance “…”."."""
    if isinstance(message, list):
        message = json.dumps(message)
    return str(LogEntry(change_message=message or "").get_change_message())


class AuditedAdminMixin:
    """Every back-office add, change and delete is also written to the audit log (SPEC §7).

    Overrides the admin's documented logging hooks (`log_addition`, `log_change`,
    `log_deletions`), which the admin calls inside the view's transaction right after the save
    (before the delete), so the audit row commits or rolls back with the change. Django's own
    LogEntry is still written. Rows: `admin_add` / `admin_change` / `admin_delete`, target_type
    `audit_target_type` (the model name by default), target_id the primary key, reason the
    summary of what changed.

    A change a service already audits is not logged twice: subclasses answer
    `deletion_audited_by_service` (e.g. `gamer_delete` writes `delete_gamer`) and
    `change_reason` (None: nothing left to record). Custom bulk actions (ban, role change) call
    the auditing services and never these hooks, so they are logged once, by the service.
    """

    audit_target_type: str = ""

    def audit_target(self, obj: models.Model) -> str:
        return self.audit_target_type or obj._meta.model_name or type(obj).__name__.lower()

    def audit(self, request: HttpRequest, action: str, obj: models.Model, reason: str) -> None:
        # The admin's views already run in a transaction; the bulk "delete selected" action does
        # not, and audit_record insists on one.
        with transaction.atomic():
            audit_record(
                actor=request.user, action=action, target_type=self.audit_target(obj), target_id=obj.pk, reason=reason
            )

    def change_reason(self, request: HttpRequest, obj: Any, message: Any) -> str | None:
        """What the admin_change row says; None when there is nothing to record (nothing changed,
        or every change was audited by a service)."""
        return change_summary(message) or None

    def deletion_audited_by_service(self, request: HttpRequest, obj: Any) -> bool:
        return False

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)  # type: ignore[misc]  # a mixin for ModelAdmin
        self.audit(request, "admin_add", obj, f"{obj}: {change_summary(message)}")
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)  # type: ignore[misc]  # a mixin for ModelAdmin
        reason = self.change_reason(request, obj, message)
        if reason is not None:
            self.audit(request, "admin_change", obj, f"{obj}: {reason}")
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        entries = super().log_deletions(request, queryset)  # type: ignore[misc]  # a mixin for ModelAdmin
        for obj in queryset:
            if not self.deletion_audited_by_service(request, obj):
                self.audit(request, "admin_delete", obj, str(obj))
        return entries
