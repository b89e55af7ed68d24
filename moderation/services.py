"""User reports of sessions, reviews and gamers, and what moderators do with them (SPEC §3, §7).

Anyone signed in reports (`report_create`); moderators and admins ban, unban or dismiss
(`report_ban`, `report_unban`, `report_dismiss`) from the API or the back office. A ban acts
through the owning app's service, which audits it: a session is deleted by `session_delete`
(`delete_session`), a review by `review_delete` (`delete_review`), a gamer is deactivated by
`gamer_set_active` (`deactivate_gamer`); dismissing is audited as `dismiss`. Every action runs
in one transaction with the report's row lock, and its reporters get one `report_outcome`
notification per report (keyed, so never twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from audit.services import audit_record
from common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from common.roles import Cap, can, moderation_target_allowed
from gamers.models import Gamer, NotificationKind
from gamers.services import NotificationRow, gamer_set_active, notifications_create_many
from moderation.models import Report, ReportVote, TargetType
from sessions_app.models import GameSession, Review
from sessions_app.services import review_delete, session_delete

LABEL_MAX = Report._meta.get_field("target_label").max_length or 200


@dataclass(frozen=True)
class ReportResult:
    report: Report
    counted: bool  # False: this gamer had reported this target already (counted once)


@dataclass(frozen=True)
class _Target:
    owner_id: int  # the gamer answerable for it: organizer, author, the gamer themselves
    label: str


def _target(target_type: str, target_id: int) -> _Target | None:
    if target_type == TargetType.SESSION:
        session = GameSession.objects.filter(pk=target_id).values_list("organizer_id", "title", "game").first()
        return _Target(session[0], f"{session[1]} ({session[2]})") if session else None
    if target_type == TargetType.REVIEW:
        review = Review.objects.filter(pk=target_id).values_list("author_id", "session_id", "rating", "content").first()
        return _Target(review[0], f"{review[2]}★ on session {review[1]}: {review[3]}") if review else None
    gamer = Gamer.objects.filter(pk=target_id).values_list("pk", "username").first()
    return _Target(gamer[0], gamer[1]) if gamer else None


def report_create(
    *, user: Any, target_type: str, target_id: int, reason: str = "", now: datetime | None = None
) -> ReportResult:
    """Report a session, a review or a gamer.

    400 `invalid_target_type` for another type, 404 `not_found` for a missing target, 400
    `cannot_report_self` for yourself, your own session or your own review. Reporting a target
    you already reported (while that report is open) changes nothing: `counted` is False.
    The open report is locked from its read to the count's increment, so a ban can't close it
    in between (a vote never lands on a closed report).
    """
    if target_type not in TargetType.values:
        raise InvalidInput(
            gettext("target_type must be one of %(value)s.") % {"value": ", ".join(TargetType.values)},
            code="invalid_target_type",
            field="target_type",
        )
    target = _target(target_type, target_id)
    if target is None:
        raise NotFound(gettext("No %(target_type)s with that id.") % {"target_type": target_type}, code="not_found")
    if target.owner_id == user.pk:
        raise InvalidInput(gettext("You can't report yourself or what you wrote."), code="cannot_report_self")
    now = now or timezone.now()
    with transaction.atomic():
        report = None
        while report is None:  # the open report may be closed between its creation and our lock
            open_report, _ = Report.objects.get_or_create(
                target_type=target_type,
                target_id=target_id,
                status=Report.Status.OPEN,
                defaults={"target_label": target.label[:LABEL_MAX], "created_at": now, "last_reported": now},
            )
            report = Report.objects.select_for_update().filter(pk=open_report.pk, status=Report.Status.OPEN).first()
        _, counted = ReportVote.objects.get_or_create(
            report=report, reporter_id=user.pk, defaults={"reason": reason, "reported_at": now}
        )
        if counted:
            Report.objects.filter(pk=report.pk).update(report_count=F("report_count") + 1, last_reported=now)
            report.refresh_from_db()
    return ReportResult(report=report, counted=counted)


def _require_moderator(actor: Any) -> None:
    if not can(actor, Cap.USER_REPORTS):
        raise PermissionDenied(gettext("Only moderators and admins handle reports."), code="forbidden_role")


def _locked_report(report_id: int, *, status: str) -> Report:
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFound(gettext("No report with that id."), code="not_found")
    if report.status != status:
        raise Conflict(
            gettext("That report is %(status)s, not %(status2)s.") % {"status": report.status, "status2": status},
            code="report_closed",
        )
    return report


def _note(report: Report, reason: str) -> str:
    return f"report #{report.pk}" + (f": {reason}" if reason else "")


def _sanctionable_gamer(actor: Any, gamer_id: int) -> Gamer:
    target = Gamer.objects.filter(pk=gamer_id).only("id", "role", "username").first()
    if target is None:
        raise Conflict(gettext("That account was deleted already; dismiss the report."), code="target_gone")
    if not moderation_target_allowed(actor, target):
        raise PermissionDenied(
            gettext("You can't act on this account (yours, or a role like yours or above)."), code="cannot_target_staff"
        )
    return target


def _close(report: Report, *, actor: Any, status: str, reason: str, title: str, body: str) -> None:
    report.status, report.closed_at, report.closed_by, report.outcome = status, timezone.now(), actor, reason
    report.save(update_fields=["status", "closed_at", "closed_by", "outcome"])
    reporter_ids = ReportVote.objects.filter(report=report).values_list("reporter_id", flat=True)
    notifications_create_many(
        NotificationRow(
            user_id=user_id,
            kind=NotificationKind.REPORT_OUTCOME,
            title=title,
            body=body,
            key=f"report:{report.pk}:{status}",
        )
        for user_id in reporter_ids
    )


@transaction.atomic
def report_ban(*, actor: Any, report_id: int, reason: str = "") -> str:
    """Ban an open report's target: delete the session or the review, deactivate the gamer (never
    staff for a moderator, never an admin). 409 `report_closed`, 409 `target_gone` when the
    target was deleted meanwhile (dismiss the report then), 403 `cannot_target_staff`."""
    _require_moderator(actor)
    report = _locked_report(report_id, status=Report.Status.OPEN)
    note = _note(report, reason)
    if report.target_type == TargetType.SESSION:
        organizer_id = GameSession.objects.filter(pk=report.target_id).values_list("organizer_id", flat=True).first()
        if organizer_id is None:
            raise Conflict(gettext("That session was deleted already; dismiss the report."), code="target_gone")
        session_delete(actor=actor, session_id=report.target_id, reason=note)
        if organizer_id == actor.pk:  # session_delete audits only a removal by someone else
            audit_record(
                actor=actor, action="delete_session", target_type="session", target_id=report.target_id, reason=note
            )
        what = "The session you reported was removed."
    elif report.target_type == TargetType.REVIEW:
        try:
            review_delete(actor=actor, review_id=report.target_id, reason=note)
        except NotFound:
            raise Conflict(
                gettext("That review was deleted already; dismiss the report."), code="target_gone"
            ) from None
        what = "The review you reported was removed."
    else:
        target = _sanctionable_gamer(actor, report.target_id)
        gamer_set_active(actor=actor, target_id=target.pk, active=False, reason=note)
        what = "The account you reported was suspended."
    _close(report, actor=actor, status=Report.Status.BANNED, reason=reason, title="Thanks for your report", body=what)
    return f"Report {report.pk}: {report.target_type} {report.target_id} banned."


@transaction.atomic
def report_unban(*, actor: Any, report_id: int, reason: str = "") -> str:
    """Reactivate the gamer of a banned report (audited `reactivate_gamer`). A deleted session or
    review can't come back: 409 `cannot_unban`."""
    _require_moderator(actor)
    report = _locked_report(report_id, status=Report.Status.BANNED)
    if report.target_type != TargetType.GAMER:
        raise Conflict(
            gettext("A deleted %(target_type)s can't be restored.") % {"target_type": report.target_type},
            code="cannot_unban",
        )
    target = _sanctionable_gamer(actor, report.target_id)
    gamer_set_active(actor=actor, target_id=target.pk, active=True, reason=_note(report, reason))
    report.status, report.closed_at, report.closed_by, report.outcome = (
        Report.Status.UNBANNED,
        timezone.now(),
        actor,
        reason,
    )
    report.save(update_fields=["status", "closed_at", "closed_by", "outcome"])
    return f"Report {report.pk}: gamer {report.target_id} reactivated."


@transaction.atomic
def report_dismiss(*, actor: Any, report_id: int, reason: str = "") -> str:
    """Close an open report without acting on its target (audited `dismiss`)."""
    _require_moderator(actor)
    report = _locked_report(report_id, status=Report.Status.OPEN)
    audit_record(
        actor=actor,
        action="dismiss",
        target_type=report.target_type,
        target_id=report.target_id,
        reason=_note(report, reason),
    )
    _close(
        report,
        actor=actor,
        status=Report.Status.DISMISSED,
        reason=reason,
        title="About your report",
        body=f"A moderator looked at the {report.target_type} you reported and took no action.",
    )
    return f"Report {report.pk} dismissed."
