from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet

from audit.models import AuditLog


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


@dataclass(frozen=True)
class DashboardItem:
    key: str
    label: str
    value: int
    url: str = ""


# Each domain app contributes its counts (kept here so the dashboard has one reader).
def dashboard_counts() -> list[DashboardItem]:
    """Counts for the back-office dashboard: one cheap aggregate query per item."""
    from django.db.models import Sum
    from django.utils import timezone

    from events.models import TicketOrder
    from sessions_app.models import GameSession
    from trivia import presence
    from trivia.models import EntryReport

    now = timezone.now()
    week_start = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        online = presence.count()
    except Exception:  # noqa: BLE001 - Redis down: the dashboard still shows the database counts
        online = 0
    items = [
        DashboardItem("players_online", "Players online in trivia", online),
        DashboardItem("open_reports", "Open reports", EntryReport.objects.count(), "/admin/trivia/entryreport/"),
        DashboardItem(
            "sessions_this_week",
            "Sessions starting this week",
            GameSession.objects.filter(starts_at__gte=week_start, starts_at__lt=week_start + timedelta(days=7)).count(),
            "/admin/sessions_app/gamesession/",
        ),
        DashboardItem(
            "tickets_sold",
            "Tickets sold",
            TicketOrder.objects.filter(status="confirmed").aggregate(n=Sum("quantity"))["n"] or 0,
        ),
    ]
    return items
