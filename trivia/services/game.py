"""The game engine: starting and advancing rounds, the clock tick, and attempts.

Invariants (SPEC §5):
* only the newest round is ever PLAYING or ENDED; every transition takes a row lock on the
  round it changes and bumps its `version`, so a duplicate, late or concurrent tick (one beat,
  many processes, a restarted worker) never advances anything twice;
* attempts (`trivia.services.attempts`) are decided under an exclusive lock on the round, so
  exactly one attempt can end a round;
* frames go out only after commit (`trivia.broadcast.broadcast_on_commit`).
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from trivia import rules
from trivia.broadcast import broadcast_on_commit
from trivia.conf import conf
from trivia.models import Entry, Round

logger = logging.getLogger("gameconnect.trivia")

_rng = random.SystemRandom()


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a `Z`, as on the REST API."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=float(getattr(settings, name)))


def round_ref(round_id: int) -> str:
    return f"trivia.round:{round_id}"


# --- choosing an entry ---------------------------------------------------------------------


def _pick_entry(rng: random.Random) -> Entry | None:
    """A random entry that is not banned and not among the last TRIVIA_RECENT_ROUNDS played.

    With a bank too small to honour the window, any non-banned entry other than the last one
    (or, with a single entry, that one) is used, so the game never stalls.
    """
    recent = [
        entry_id
        for entry_id in Round.objects.order_by("-number").values_list("entry_id", flat=True)[
            : int(conf("TRIVIA_RECENT_ROUNDS"))
        ]
        if entry_id is not None
    ]
    playable = Entry.objects.filter(banned=False).order_by("id")
    for candidates in (playable.exclude(id__in=recent), playable.exclude(id__in=recent[:1]), playable):
        count = candidates.count()
        if count:
            return candidates[rng.randrange(count)]
    return None


# --- rounds --------------------------------------------------------------------------------


def round_frame(round_: Round) -> dict[str, Any]:
    return {
        "entryId": round_.entry_id,
        "category": round_.category,
        "clue": round_.clue,
        "answer": round_.masked,
        "currentValue": round_.current_value,
        "splitEndsAt": iso(round_.split_ends_at),
    }


def round_start(*, now: datetime | None = None, rng: random.Random | None = None) -> Round | None:
    """Start the next round if none is being played and the transition is over; else None.

    Race-safe: the newest round is locked and moved to CLOSED in the same transaction that
    creates its successor, so a second concurrent start finds nothing to do; the unique
    `number` settles two first-ever starts.
    """
    now = now or timezone.now()
    with transaction.atomic():
        latest = Round.objects.select_for_update().order_by("-number").first()
        if latest is not None:
            if latest.state == Round.State.PLAYING:
                return None
            if latest.state == Round.State.ENDED and latest.next_round_at and latest.next_round_at > now:
                return None
        entry = _pick_entry(rng or _rng)
        if entry is None:
            return None
        if latest is not None and latest.state != Round.State.CLOSED:
            latest.state = Round.State.CLOSED
            latest.version += 1
            latest.save(update_fields=["state", "version"])
        masked = rules.mask(entry.answer)
        try:
            with transaction.atomic():
                round_ = Round.objects.create(
                    number=(latest.number + 1) if latest else 1,
                    entry=entry,
                    category=entry.category,
                    clue=entry.clue,
                    answer=entry.answer,
                    masked=masked,
                    hidden_total=rules.hidden_count(entry.answer, masked),
                    base_value=entry.value,
                    current_value=entry.value,
                    started_at=now,
                    split_started_at=now,
                    split_ends_at=now + _seconds("TRIVIA_SPLIT_SECONDS"),
                )
        except IntegrityError:
            return None  # a concurrent start created this number first
        broadcast_on_commit("ROUND", round_frame(round_))
    logger.info("round %s started with entry %s", round_.number, entry.pk)
    return round_


def _end(round_: Round, *, now: datetime, reason: str) -> None:
    round_.state = Round.State.ENDED
    round_.end_reason = reason
    round_.ended_at = now
    round_.split_ends_at = None
    round_.next_round_at = now + _seconds("TRIVIA_ROUND_END_SECONDS")


def split_start(due: datetime | None, now: datetime) -> datetime:
    """When the split that a tick at `now` starts begins, for a split that was due at `due`.

    On time (the tick is late by at most two clock intervals, the clock's ordinary jitter) the
    cadence is kept: the new split starts at `due`, so splits don't drift by the tick latency.
    Later than that (a worker, beat or Redis outage) it starts now and gets a full
    TRIVIA_SPLIT_SECONDS: counting from the stale deadline would leave the first split after
    the outage only what remains of a period (about 1.5 s of 15 after a 13.5 s outage), and
    the missed splits are never fired back to back.
    """
    if due is None:
        return now
    # Never more than half a split, whatever the clock interval.
    tolerance = min(2 * float(settings.CLOCK_INTERVAL_SECONDS), float(settings.TRIVIA_SPLIT_SECONDS) / 2)
    return due if now - due <= timedelta(seconds=tolerance) else now


def round_advance(
    round_id: int,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Round | None:
    """At a due split: reveal one more character (SPLIT), or with one hidden character left, end
    the round without a winner (REVEAL). Returns the round, or None when nothing was due
    (already advanced, not yet due, another version, not playing)."""
    now = now or timezone.now()
    with transaction.atomic():
        round_ = Round.objects.select_for_update().filter(pk=round_id).first()
        if (
            round_ is None
            or round_.state != Round.State.PLAYING
            or (expected_version is not None and round_.version != expected_version)
            or (round_.split_ends_at is not None and round_.split_ends_at > now)
        ):
            return None
        fields = ["state", "version", "masked", "reveals", "current_value", "split_started_at", "split_ends_at"]
        if rules.hidden_count(round_.answer, round_.masked) <= 1:
            _end(round_, now=now, reason=Round.EndReason.REVEALED)
            fields += ["end_reason", "ended_at", "next_round_at"]
            broadcast_on_commit("REVEAL", {"answer": round_.answer})
        else:
            round_.masked, _ = rules.reveal_one(round_.answer, round_.masked, rng or _rng)
            round_.reveals += 1
            round_.current_value = rules.value_after(round_.base_value, round_.hidden_total, round_.reveals)
            split = _seconds("TRIVIA_SPLIT_SECONDS")
            round_.split_started_at = split_start(round_.split_ends_at, now)
            round_.split_ends_at = round_.split_started_at + split
            broadcast_on_commit(
                "SPLIT",
                {
                    "answer": round_.masked,
                    "currentValue": round_.current_value,
                    "splitEndsAt": iso(round_.split_ends_at),
                },
            )
        round_.version += 1
        round_.save(update_fields=fields)
    return round_


def tick(*, now: datetime | None = None) -> str:
    """Advance whatever is due. Idempotent: safe to call late, twice, or from many processes.

    Returns what happened: "started", "split", "revealed" or "idle".
    """
    now = now or timezone.now()
    latest = Round.objects.order_by("-number").only("id", "state", "version", "split_ends_at", "next_round_at").first()
    if latest is None or latest.state == Round.State.CLOSED:
        return "started" if round_start(now=now) else "idle"
    if latest.state == Round.State.PLAYING:
        if latest.split_ends_at is not None and latest.split_ends_at <= now:
            advanced = round_advance(latest.pk, expected_version=latest.version, now=now)
            if advanced is not None:
                return "split" if advanced.state == Round.State.PLAYING else "revealed"
        return "idle"
    if latest.next_round_at is None or latest.next_round_at <= now:
        return "started" if round_start(now=now) else "idle"
    return "idle"
