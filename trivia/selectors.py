"""Trivia reads: the state a newcomer needs, leaderboards, the bank and its reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.roles import RIGHTS
from gamers.models import Gamer
from trivia import presence
from trivia.conf import conf
from trivia.models import Attempt, Entry, EntryReport, EntryReporter, Round
from trivia.services.game import iso

NONE, SPLIT, TRANSITION = 0, 1, 2


# --- the entry in play: its answer is shown to nobody (SPEC §2) ---------------------------------
# The one rule for REST, the report queue and the back office: an entry is "in play" while a
# round of it is being played (state PLAYING); once that round ends (won or revealed) its
# answer is public again. Rounds are keyed by their entry, so the older rounds of an entry a
# small bank replays are hidden too (they carry the same answer).


def _rounds_in_play() -> QuerySet[Round]:
    return Round.objects.filter(state=Round.State.PLAYING, entry_id__isnull=False)


def entry_ids_in_play() -> frozenset[int]:
    """The ids of the entries being played now (one at most in practice). One indexed query."""
    return frozenset(_rounds_in_play().values_list("entry_id", flat=True))


def with_in_play(queryset: QuerySet[Any], *, entry_field: str = "pk") -> QuerySet[Any]:
    """`queryset` annotated with `in_play` (bool): whether the entry that `entry_field` names
    (`pk` for entries, `entry_id` for rounds and reports) is being played. For list pages that
    decide per row without a query per row."""
    return queryset.annotate(in_play=Exists(_rounds_in_play().filter(entry_id=OuterRef(entry_field))))


def answer_search_q(search: str, *, field: str = "answer", entry_field: str = "id") -> Q:
    """Matches `search` in the answer of entries (or rows of an entry) that are not in play:
    searching by answer must not tell whether the answer being played contains a text."""
    return Q(**{f"{field}__icontains": search}) & ~Q(**{f"{entry_field}__in": _rounds_in_play().values("entry_id")})


def current_round() -> Round | None:
    """The round being played or in its transition; None before the first one."""
    return Round.objects.filter(state__in=[Round.State.PLAYING, Round.State.ENDED]).order_by("-number").first()


@dataclass
class RoundState:
    """What WELCOME and GET /trivia/rounds/current carry (player fields only for WELCOME)."""

    game_state: int = NONE
    entry_id: int | None = None
    category: str | None = None
    clue: str | None = None
    answer: str | None = None
    current_value: int | None = None
    elapsed_split_seconds: float | None = None
    total_split_seconds: float | None = None
    split_ends_at: str | None = None
    players: int = 0
    attempts: list[dict[str, Any]] = field(default_factory=list)
    # Player-specific (WELCOME only).
    user_coins: int | None = None
    free_attempts_left: int | None = None
    entry_reported: bool | None = None

    def welcome(self) -> dict[str, Any]:
        return {
            "gameState": self.game_state,
            "userCoins": self.user_coins,
            "entryId": self.entry_id,
            "category": self.category,
            "clue": self.clue,
            "answer": self.answer,
            "currentValue": self.current_value,
            "elapsedSplitSeconds": self.elapsed_split_seconds,
            "totalSplitSeconds": self.total_split_seconds,
            "freeAttemptsLeft": self.free_attempts_left,
            "entryReported": self.entry_reported,
            "players": self.players,
            "splitEndsAt": self.split_ends_at,
            "attempts": [
                {"userId": a["user_id"], "username": a["username"], "message": a["message"], "correct": a["correct"]}
                for a in self.attempts
            ],
        }

    def public(self) -> dict[str, Any]:
        return {
            "game_state": self.game_state,
            "entry_id": self.entry_id,
            "category": self.category,
            "clue": self.clue,
            "answer": self.answer,
            "current_value": self.current_value,
            "elapsed_split_seconds": self.elapsed_split_seconds,
            "total_split_seconds": self.total_split_seconds,
            "split_ends_at": self.split_ends_at,
            "players": self.players,
            "attempts": self.attempts,
        }


def _elapsed(since: datetime | None, now: datetime) -> float | None:
    return None if since is None else round(max(0.0, (now - since).total_seconds()), 3)


def round_state(*, user: Any = None, players: int | None = None, now: datetime | None = None) -> RoundState:
    """The live state. In state 1 the answer is masked and the split fields describe the
    current split; in state 2 (transition) the answer is shown in full, `current_value` is what
    the round ended at, and the split fields count down to the next round.

    Two queries: the current round (with the player's coins, attempt count and report flag
    when `user` is given) and its newest attempts. `players` defaults to the presence count.
    """
    now = now or timezone.now()
    state = RoundState(players=presence.count() if players is None else players)
    rounds = Round.objects.filter(state__in=[Round.State.PLAYING, Round.State.ENDED]).order_by("-number")
    if user is not None:
        rounds = rounds.annotate(
            user_coins=Subquery(Gamer.objects.filter(pk=user.pk).values("coins")[:1]),
            used=Coalesce(
                Subquery(
                    Attempt.objects.filter(round_id=OuterRef("pk"), gamer_id=user.pk)
                    .order_by()
                    .values("round_id")
                    .annotate(n=Count("id"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            ),
            reported=Exists(EntryReporter.objects.filter(report__entry_id=OuterRef("entry_id"), gamer_id=user.pk)),
        )
    round_ = rounds.first()
    if round_ is None:
        if user is not None:
            state.user_coins = Gamer.objects.filter(pk=user.pk).values_list("coins", flat=True).first()
        return state
    playing = round_.state == Round.State.PLAYING
    state.game_state = SPLIT if playing else TRANSITION
    state.entry_id = round_.entry_id
    state.category = round_.category
    state.clue = round_.clue
    state.answer = round_.masked if playing else round_.answer
    state.current_value = round_.current_value
    if playing:
        state.elapsed_split_seconds = _elapsed(round_.split_started_at, now)
        state.total_split_seconds = float(settings.TRIVIA_SPLIT_SECONDS)
        state.split_ends_at = iso(round_.split_ends_at)
    else:
        state.elapsed_split_seconds = _elapsed(round_.ended_at, now)
        state.total_split_seconds = float(settings.TRIVIA_ROUND_END_SECONDS)
        state.split_ends_at = iso(round_.next_round_at)
    newest = Attempt.objects.filter(round_id=round_.pk).order_by("-id")[: int(conf("TRIVIA_WELCOME_ATTEMPTS"))]
    state.attempts = [
        {"user_id": a["gamer_id"], "username": a["username"], "message": a["message"], "correct": a["correct"]}
        for a in reversed(newest.values("gamer_id", "username", "message", "correct"))
    ]
    if user is not None:
        state.user_coins = round_.user_coins  # type: ignore[attr-defined]  # annotated on the queryset above when there is a user
        state.free_attempts_left = max(0, int(settings.TRIVIA_FREE_ATTEMPTS) - round_.used)  # type: ignore[attr-defined]  # annotated on the queryset above when there is a user
        state.entry_reported = round_.entry_id is not None and bool(round_.reported)  # type: ignore[attr-defined]  # annotated on the queryset above when there is a user
    return state


def player_list() -> list[dict[str, Any]]:
    """PLAYER_LIST: connected players (every process), richest first."""
    ids = presence.player_ids()
    rows = (
        Gamer.objects.filter(pk__in=ids, is_active=True)
        .order_by("-coins", "id")
        .values("id", "username", "role", "coins", "joined")[: int(conf("TRIVIA_PLAYER_LIST_MAX"))]
    )
    return [
        {
            "id": row["id"],
            "username": row["username"],
            "rights": RIGHTS.get(row["role"], 0),
            "coins": row["coins"],
            "joined": iso(row["joined"]),
        }
        for row in rows
    ]


def leaderboard() -> QuerySet[Gamer]:
    return Gamer.objects.filter(is_active=True).order_by("-coins", "id")


def entry_get(entry_id: int) -> Entry | None:
    """One entry, annotated with `in_play`."""
    return with_in_play(Entry.objects.filter(pk=entry_id)).first()


def entry_list(*, search: str | None = None, banned: bool | None = None) -> QuerySet[Entry]:
    """The bank by id, each entry annotated with `in_play`; `search` matches the category, the
    clue, and the answer of entries not in play."""
    qs = with_in_play(Entry.objects.order_by("id"))
    if search:
        qs = qs.filter(Q(category__icontains=search) | Q(clue__icontains=search) | answer_search_q(search))
    if banned is not None:
        qs = qs.filter(banned=banned)
    return qs


def report_list(*, banned: bool | None = None) -> QuerySet[EntryReport]:
    """Reported entries, newest report first, without the entry being played (no spoilers)."""
    qs = (
        EntryReport.objects.select_related("entry")
        .annotate(report_count=Count("votes"))
        .prefetch_related(
            Prefetch("votes", queryset=EntryReporter.objects.select_related("gamer").order_by("reported_at", "id"))
        )
        .order_by("-last_reported", "-id")
    )
    qs = qs.exclude(entry_id__in=_rounds_in_play().values("entry_id"))
    if banned is not None:
        qs = qs.filter(entry__banned=banned)
    return qs


def trivia_running(*, now: datetime | None = None) -> bool:
    """True while the clock keeps the game moving: the current round's next deadline is not
    overdue by more than a few clock intervals (a stopped beat or worker makes this false)."""
    now = now or timezone.now()
    round_ = current_round()
    if round_ is None:
        return False
    due = round_.split_ends_at if round_.state == Round.State.PLAYING else round_.next_round_at
    grace = timedelta(seconds=max(5.0, 5 * float(settings.CLOCK_INTERVAL_SECONDS)))
    return due is not None and due + grace >= now


def last_ended_round_number() -> int:
    """The number of the newest round that is over (0 before any): where a reader of
    `rounds_ended_after` starts so that it sees only rounds ending from now on."""
    number = (
        Round.objects.exclude(state=Round.State.PLAYING).order_by("-number").values_list("number", flat=True).first()
    )
    return number or 0


def rounds_ended_after(*, number: int, limit: int = 20) -> list[Round]:
    """Rounds numbered after `number` that are over (won or revealed), oldest first, with
    their winner; the Discord bot polls it to announce wins. A range scan of the unique
    `number` index: only the newest round or two are past a cursor that keeps up."""
    return list(
        Round.objects.filter(number__gt=number)
        .exclude(state=Round.State.PLAYING)
        .select_related("winner")
        .order_by("number")[:limit]
    )
