"""`manage.py recount_session_counters [--check] [ids...]`: repair (or only report) session counters."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sessions_app.counters import counters_drift, counters_recount


class Command(BaseCommand):
    help = (
        "Compare each session's counters (attendees, likes, reviews, rating sum) with its rows and "
        "correct those that differ. --check only reports them (exit status 1 if any differ)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="Session ids (default: every session).")
        parser.add_argument("--check", action="store_true", help="Report differences; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = options["ids"] or None
        wrong = counters_drift(session_ids=ids)
        for row in wrong[:50]:
            self.stdout.write(f"session {row['id']}: stored {row['stored']}, rows say {row['true']}")
        if len(wrong) > 50:
            self.stdout.write(f"... and {len(wrong) - 50} more")
        if options["check"]:
            if wrong:
                raise CommandError(f"{len(wrong)} sessions have counters that differ from their rows.")
            self.stdout.write("Every session's counters match its rows.")
            return
        counters_recount(session_ids=[row["id"] for row in wrong])
        self.stdout.write(self.style.SUCCESS(f"{len(wrong)} sessions corrected."))
