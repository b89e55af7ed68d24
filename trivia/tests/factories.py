"""Test data for trivia: entries and rounds in known states."""

from __future__ import annotations

from typing import Any

from trivia import services
from trivia.models import Entry, Round


def make_entry(answer: str = "Buenos Aires", *, value: int = 50, category: str = "Capitals", **extra: Any) -> Entry:
    clue = extra.pop("clue", f"The clue whose answer is {answer} #{Entry.objects.count() + 1}")
    return Entry.objects.create(category=category, clue=clue, answer=answer, value=value, **extra)


def make_entries(n: int, **extra: Any) -> list[Entry]:
    return [make_entry(f"answer {i}", clue=f"clue {i}", **extra) for i in range(n)]


def start_round(answer: str = "Buenos Aires", *, value: int = 50) -> Round:
    """A PLAYING round on a fresh entry (entries never played are banned so it is the one chosen;
    the others were played recently, so the recency rule leaves them out)."""
    Entry.objects.filter(banned=False, rounds__isnull=True).update(banned=True)
    entry = make_entry(answer, value=value)
    round_ = services.round_start()
    assert round_ is not None and round_.entry_id == entry.pk
    return round_


def end_round(round_: Round) -> Round:
    """Reveal splits until the round ends with REVEAL."""
    while True:
        round_.refresh_from_db()
        if round_.state != Round.State.PLAYING:
            return round_
        services.round_advance(round_.pk, now=round_.split_ends_at)


def next_round(previous: Round | None) -> Round | None:
    """Start the round after `previous` at the moment its transition ends."""
    return services.round_start(now=previous.next_round_at if previous else None)
