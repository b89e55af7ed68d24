"""Entry reports (REPORT_ENTRY) and what moderators do with them. Every action is audited in its
own transaction (SPEC §7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_record
from common.errors import Conflict, NotFound
from trivia.models import Entry, EntryReport, EntryReporter, Round
from trivia.services.attempts import NoRound

TARGET = "trivia_entry"


def entry_report(*, user: Any, now: datetime | None = None) -> EntryReport:
    """Report the entry of the current round (being played or just ended).

    Raises NoRound without a round, Conflict `entry_gone` when the entry was deleted, and
    Conflict `already_reported` when this user already reported it (until it is dismissed).
    """
    now = now or timezone.now()
    with transaction.atomic():
        round_ = (
            Round.objects.filter(state__in=[Round.State.PLAYING, Round.State.ENDED])
            .order_by("-number")
            .only("id", "entry_id")
            .first()
        )
        if round_ is None:
            raise NoRound("There is no entry to report right now.")
        if round_.entry_id is None:
            raise Conflict("That entry was removed from the bank already.", code="entry_gone")
        report, _ = EntryReport.objects.get_or_create(entry_id=round_.entry_id, defaults={"last_reported": now})
        try:
            with transaction.atomic():
                EntryReporter.objects.create(report=report, gamer_id=user.pk, reported_at=now)
        except IntegrityError:
            raise Conflict("You already reported this entry.", code="already_reported") from None
        EntryReport.objects.filter(pk=report.pk).update(last_reported=now)
    return report


def _locked_report(report_id: int) -> EntryReport:
    report = EntryReport.objects.select_for_update().select_related("entry").filter(pk=report_id).first()
    if report is None:
        raise NotFound("No report with that id.")
    return report


def entry_set_banned(*, actor: Any, entry: Entry, banned: bool, reason: str) -> bool:
    """Flip the flag and audit it; False when it already had that value (nothing to audit)."""
    if Entry.objects.filter(pk=entry.pk, banned=not banned).update(banned=banned) == 0:
        return False
    entry.banned = banned
    audit_record(
        actor=actor, action="ban" if banned else "unban", target_type=TARGET, target_id=entry.pk, reason=reason
    )
    return True


@transaction.atomic
def report_ban(*, actor: Any, report_id: int, reason: str = "") -> str:
    """Ban the reported entry: it is never played again (the report stays, under banned=true)."""
    report = _locked_report(report_id)
    entry_set_banned(actor=actor, entry=report.entry, banned=True, reason=reason)
    return f"Entry {report.entry_id} is banned: it will not be played again."


@transaction.atomic
def report_unban(*, actor: Any, report_id: int, reason: str = "") -> str:
    report = _locked_report(report_id)
    entry_set_banned(actor=actor, entry=report.entry, banned=False, reason=reason)
    return f"Entry {report.entry_id} is playable again."


@transaction.atomic
def report_dismiss(*, actor: Any, report_id: int, reason: str = "") -> str:
    """Delete the report (the entry keeps its banned flag); players may report it again later."""
    report = _locked_report(report_id)
    entry_id = report.entry_id
    report.delete()
    audit_record(actor=actor, action="dismiss", target_type=TARGET, target_id=entry_id, reason=reason)
    return f"The report on entry {entry_id} was dismissed."
