"""The game engine: starting and advancing rounds, the clock tick, and attempts.

Invariants (SPEC §5):
* only the newest round is ever PLAYING or ENDED; every transition takes a row lock on the
  round it changes and bumps its `version`, so a duplicate, late or concurrent tick (one beat,
  many processes, a restarted worker) never advances anything twice;
* `attempt_submit` decides correctness, cost and prize under the same row lock, so exactly one
  attempt can end a round, and writes the attempt, its ledger rows and balances in one
  transaction (the partial unique index `one_prize_per_round` backs this up in the database);
* frames go out only after commit (`trivia.hub.broadcast_on_commit`).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.errors import Conflict, InvalidInput
from gamers.models import CoinTransaction, Gamer
from gamers.services import coins_apply
from trivia import rules
from trivia.conf import conf
from trivia.hub import broadcast_on_commit
from trivia.models import Attempt, Entry, Round

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
            # Keep the cadence when on time; after an outage, restart it from now instead of
            # firing the missed splits back to back.
            split = _seconds("TRIVIA_SPLIT_SECONDS")
            due = round_.split_ends_at or now
            round_.split_started_at = due if due + split > now else now
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


# --- attempts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptResult:
    round_id: int
    correct: bool
    cost: int
    prize: int
    free_attempts_left: int

    @property
    def coin_diffs(self) -> list[int]:
        """The attempter's COIN_DIFF frames, one per ledger row (cost first, then prize)."""
        return [diff for diff in (-self.cost, self.prize) if diff]


class NoRound(Conflict):
    default_code = "no_round"


def clean_attempt(message: Any) -> str:
    if not isinstance(message, str):
        raise InvalidInput("An attempt needs a `message` string.", code="invalid_attempt")
    message = rules.clean_text(message)
    if not message:
        raise InvalidInput("An attempt can't be empty.", code="invalid_attempt")
    if len(message) > rules.ATTEMPT_MAX_CHARS:
        raise InvalidInput(f"Attempts are at most {rules.ATTEMPT_MAX_CHARS} characters.", code="invalid_attempt")
    return message


def _lock_playing_round(*, gamer_id: int, exclusive: bool) -> Round | None:
    """The round being played, locked, with `used` = this player's attempts in it.

    On PostgreSQL one statement takes both locks: the round FOR SHARE (wrong attempts then run
    side by side, yet the round can't end under them) or FOR UPDATE (a correct attempt, which
    waits for those in flight), and the player's row FOR NO KEY UPDATE, so one player's
    attempts are counted one at a time wherever they come from. Elsewhere (SQLite, whose
    IMMEDIATE transactions already serialise writers) the ORM's select_for_update is used.
    """
    if connection.vendor == "postgresql":
        sql = f"""
            SELECT r.*, (SELECT COUNT(*) FROM {Attempt._meta.db_table} a
                         WHERE a.round_id = r.id AND a.gamer_id = %s) AS used
            FROM {Round._meta.db_table} r, {Gamer._meta.db_table} g
            WHERE r.state = %s AND g.id = %s
            ORDER BY r.number DESC LIMIT 1
            FOR {"UPDATE" if exclusive else "SHARE"} OF r FOR NO KEY UPDATE OF g
        """
        rows = list(Round.objects.raw(sql, [gamer_id, Round.State.PLAYING, gamer_id]))
        return rows[0] if rows else None
    used_in_round = (
        Attempt.objects.filter(round_id=OuterRef("pk"), gamer_id=gamer_id)
        .order_by()
        .values("round_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        Round.objects.select_for_update(of=("self",))
        .filter(state=Round.State.PLAYING)
        .annotate(used=Coalesce(Subquery(used_in_round, output_field=IntegerField()), 0))
        .order_by("-number")
        .first()
    )


def attempt_submit(*, user: Any, message: Any, now: datetime | None = None) -> AttemptResult:
    """Play one attempt in the round being played.

    Under a lock on the round: count the player's attempts (the first TRIVIA_FREE_ATTEMPTS are
    free, then each costs TRIVIA_ATTEMPT_COST, debited through the ledger; InsufficientFunds
    drops the attempt), decide correctness, and on the first correct attempt end the round and
    pay the current value. Wrong attempts share the lock; a correct one takes it exclusively
    (it starts again with the exclusive lock when it finds out under the shared one), so
    exactly one attempt ends a round. Raises NoRound when no round is being played (also for a
    correct attempt that lost the race to another).
    """
    message = clean_attempt(message)
    now = now or timezone.now()
    free = int(settings.TRIVIA_FREE_ATTEMPTS)
    exclusive = False
    while True:
        with transaction.atomic():
            round_ = _lock_playing_round(gamer_id=user.pk, exclusive=exclusive)
            if round_ is None:
                raise NoRound("No round is being played right now; wait for the next one.")
            correct = rules.is_correct(message, round_.answer)
            if correct and not exclusive:
                exclusive = True  # nothing written yet: leave, and lock again exclusively
                continue
            used = round_.used
            cost = int(settings.TRIVIA_ATTEMPT_COST) if used >= free else 0
            if cost:
                coins_apply(
                    gamer_id=user.pk, amount=-cost, reason=CoinTransaction.Reason.ATTEMPT, ref=round_ref(round_.pk)
                )
            prize = 0
            if correct:
                prize = round_.current_value
                _end(round_, now=now, reason=Round.EndReason.WON)
                round_.winner_id = user.pk
                round_.prize = prize
                round_.version += 1
                round_.save(
                    update_fields=[
                        "state",
                        "end_reason",
                        "ended_at",
                        "split_ends_at",
                        "next_round_at",
                        "winner",
                        "prize",
                        "version",
                    ]
                )
                coins_apply(
                    gamer_id=user.pk, amount=prize, reason=CoinTransaction.Reason.PRIZE, ref=round_ref(round_.pk)
                )
            Attempt.objects.create(
                round_id=round_.pk,
                gamer_id=user.pk,
                username=user.username,
                message=message,
                correct=correct,
                cost=cost,
                prize=prize,
                created_at=now,
            )
            frame: dict[str, Any] = {
                "userId": user.pk,
                "username": user.username,
                "message": message,
                "correct": correct,
            }
            if correct:
                frame["correctAnswer"] = round_.answer
            # Other players' wrong attempts may be shed by a flooded web process (trivia.hub).
            broadcast_on_commit("PEER_ATTEMPT", frame, sheddable=not correct, owner=user.pk)
        return AttemptResult(
            round_id=round_.pk, correct=correct, cost=cost, prize=prize, free_attempts_left=max(0, free - used - 1)
        )
