from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet

from audit.models import AuditLog
from moderation.models import Report, ReportVote

RECENT_REPORTERS = 5  # reporters shown per report in the list (the count says how many in all)


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


def report_list(*, target_type: str | None = None, status: str | None = None) -> QuerySet[Report]:
    """User reports, most recently reported first, each with its RECENT_REPORTERS latest
    reporters: three queries a page (count, reports, reporters) whatever their number."""
    reports = Report.objects.select_related("closed_by").prefetch_related(
        Prefetch(
            "votes",
            queryset=ReportVote.objects.select_related("reporter").order_by("-reported_at", "-id")[:RECENT_REPORTERS],
            to_attr="recent_votes",
        )
    )
    if target_type:
        reports = reports.filter(target_type=target_type)
    if status:
        reports = reports.filter(status=status)
    return reports.order_by("-last_reported", "-id")


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
            "open_user_reports",
            "Open reports of sessions, reviews and gamers",
            Report.objects.filter(status=Report.Status.OPEN).count(),
            "/admin/moderation/report/?status__exact=open",
        ),
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
