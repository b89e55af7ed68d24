"""Trivia tables: the question bank, rounds (the game state), attempts and entry reports.

The whole game state lives here (SPEC §5 rule 9); presence lives in Redis (trivia.presence).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from trivia.rules import VALUE_MAX, VALUE_MIN, VALUE_STEP

if TYPE_CHECKING:
    from gamers.models import Gamer


class Entry(models.Model):
    """One question of the bank. A banned entry is never played again."""

    category = models.CharField(max_length=100, db_index=True)
    clue = models.TextField(max_length=1000)
    answer = models.CharField(max_length=200)
    value = models.PositiveSmallIntegerField()
    banned = models.BooleanField(default=False, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(value__in=list(range(VALUE_MIN, VALUE_MAX + 1, VALUE_STEP))), name="entry_value_10_to_100"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} [{self.category}] {self.clue[:60]}"


class Round(models.Model):
    """One round of the shared game. Only the newest round is ever PLAYING or ENDED.

    Transitions (each under a row lock on this round, each bumping `version`):
    PLAYING -> PLAYING (a split revealed one character), PLAYING -> ENDED (won or revealed),
    ENDED -> CLOSED (the next round started). The entry's text is copied in, so editing or
    deleting the entry never changes a round being played.
    """

    class State(models.IntegerChoices):
        PLAYING = 1, "Playing (split)"
        ENDED = 2, "Ended (transition)"
        CLOSED = 3, "Closed"

    class EndReason(models.TextChoices):
        WON = "won", "Won"
        REVEALED = "revealed", "Revealed"

    # Consecutive from 1; unique, so two racing starts can't both create round n + 1.
    number = models.PositiveIntegerField(unique=True)
    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.SET_NULL, related_name="rounds")
    category = models.CharField(max_length=100)
    clue = models.TextField(max_length=1000)
    answer = models.CharField(max_length=200)
    masked = models.CharField(max_length=200)
    hidden_total = models.PositiveSmallIntegerField()
    reveals = models.PositiveSmallIntegerField(default=0)
    base_value = models.PositiveSmallIntegerField()
    current_value = models.PositiveSmallIntegerField()
    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.PLAYING, db_index=True)
    # Compare-and-set counter: bumped by every transition, so a late tick holding an old
    # version can't advance the round a second time.
    version = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    split_started_at = models.DateTimeField(default=timezone.now)
    split_ends_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    next_round_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True, default="")
    winner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="trivia_rounds_won"
    )
    prize = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(condition=Q(reveals__lte=models.F("hidden_total")), name="round_reveals_le_hidden"),
            models.CheckConstraint(
                condition=Q(winner__isnull=True) | Q(end_reason="won"), name="round_winner_only_when_won"
            ),
        ]

    def __str__(self) -> str:
        return f"Round {self.number} ({self.get_state_display()})"


class Attempt(models.Model):
    """One guess in one round. Attempts beyond the free ones cost coins (see `cost`)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="attempts")
    gamer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trivia_attempts")
    # Kept so the feed still reads right after a username change or an account deletion race.
    username = models.CharField(max_length=50)
    message = models.CharField(max_length=200)
    correct = models.BooleanField(default=False)
    cost = models.PositiveSmallIntegerField(default=0)
    prize = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["round", "gamer"])]
        constraints = [
            # The database itself refuses a second winning attempt in one round.
            models.UniqueConstraint(fields=["round"], condition=Q(prize__gt=0), name="one_prize_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.username}: {self.message!r} ({'correct' if self.correct else 'wrong'})"


class EntryReport(models.Model):
    """The open report on one entry, with everyone who reported it. Dismissing deletes it."""

    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="report")
    created_at = models.DateTimeField(default=timezone.now)
    last_reported = models.DateTimeField(default=timezone.now, db_index=True)
    reporters: models.ManyToManyField[Gamer, EntryReporter] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="EntryReporter", related_name="+"
    )

    class Meta:
        ordering = ["-last_reported", "-id"]

    def __str__(self) -> str:
        return f"Report on entry #{self.entry_id}"


class EntryReporter(models.Model):
    report = models.ForeignKey(EntryReport, on_delete=models.CASCADE, related_name="votes")
    gamer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["reported_at", "id"]
        constraints = [models.UniqueConstraint(fields=["report", "gamer"], name="one_report_per_gamer")]

    def __str__(self) -> str:
        return f"{self.gamer_id} reported entry of report {self.report_id}"
