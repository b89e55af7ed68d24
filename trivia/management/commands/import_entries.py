from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trivia.importing import read_bank
from trivia.services import entries_import


class Command(BaseCommand):
    help = (
        "Load trivia entries from a jService JSON file ([{id, question, answer, value, category: {title}}]) "
        "or a CSV file (category,clue,answer,value). Invalid rows and duplicates are skipped and counted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A .json (jService) or .csv file.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Can't read {path}: {exc}") from exc
        try:
            result = entries_import(read_bank(text, filename=path.name))
        except ValueError as exc:  # json.JSONDecodeError included
            raise CommandError(f"{path} is not a valid jService JSON file: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(f"Imported {result.created} entries from {path.name}")
            + f"; skipped {result.invalid} invalid rows and {result.duplicates} duplicates."
        )
