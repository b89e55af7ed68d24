"""User reports of sessions, reviews and gamers (SPEC §3 "More for sessions", §7).

Like trivia's EntryReport/EntryReporter: one `Report` row per reported target while it is open,
with a count, and one `ReportVote` per reporter (unique per report), so a gamer who reports the
same target twice is counted once. A report is closed by a moderator (banned, dismissed; a banned
gamer may later be unbanned); closed reports stay for the record, and a new report of the same
target then opens a new row (the partial unique constraint allows one open report per target).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class TargetType(models.TextChoices):
    SESSION = "session", "Session"
    REVIEW = "review", "Review"
    GAMER = "gamer", "Gamer"


class Report(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        BANNED = "banned", "Banned"  # the session or review was deleted, the gamer deactivated
        UNBANNED = "unbanned", "Unbanned"  # a banned gamer reactivated
        DISMISSED = "dismissed", "Dismissed"

    TargetType = TargetType

    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    target_id = models.PositiveBigIntegerField()
    # What the target was when first reported: the moderators still read it after a ban deletes it.
    target_label = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    report_count = models.PositiveIntegerField(default=0)  # reporters, kept in the reporting transaction
    created_at = models.DateTimeField(default=timezone.now)
    last_reported = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=500, blank=True, default="", help_text="The moderator's reason.")
    reporters: models.ManyToManyField = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ReportVote", related_name="+"
    )

    class Meta:
        ordering = ["-last_reported", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target_type", "target_id"],
                condition=models.Q(status="open"),
                name="one_open_report_per_target",
            )
        ]
        indexes = [
            models.Index(fields=["-last_reported", "-id"], name="report_newest"),
            models.Index(fields=["status", "target_type", "-last_reported"], name="report_queue"),
        ]

    def __str__(self) -> str:
        return f"Report #{self.pk} on {self.target_type} {self.target_id}"


class ReportVote(models.Model):
    """One gamer's report of a target (their reason and when)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="votes")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500, blank=True, default="")
    reported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["reported_at", "id"]
        constraints = [models.UniqueConstraint(fields=["report", "reporter"], name="one_vote_per_reporter")]

    def __str__(self) -> str:
        return f"Gamer {self.reporter_id} on report {self.report_id}"
