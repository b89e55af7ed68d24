"""Demo data: the question bank we ship (trivia/data/bank.csv, our own questions)."""

from __future__ import annotations

from pathlib import Path

from common.seeding import SeedContext
from trivia.importing import read_csv
from trivia.services import entries_import

BANK = Path(__file__).resolve().parent / "data" / "bank.csv"


def load_bank() -> int:
    """Add the shipped bank's entries that are not in the database yet; returns how many."""
    return entries_import(read_csv(BANK.read_text(encoding="utf-8"))).created


def seed(ctx: SeedContext) -> None:
    created = load_bank()
    ctx.say(f"trivia bank: {created} entries loaded from {BANK.name}")
