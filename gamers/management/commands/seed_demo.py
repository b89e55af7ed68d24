from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from common.seeding import SeedContext, run_seeders
from gamers.models import Gamer


class Command(BaseCommand):
    help = "Fill an empty database with demo data (accounts, sessions, events, games, scores, trivia bank)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--players", type=int, default=50, help="Number of demo gamers (default 50).")
        parser.add_argument("--scores", type=int, default=20000, help="Number of leaderboard scores (default 20000).")
        parser.add_argument("--force", action="store_true", help="Seed even though the database has data.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (exit 0) when the database already has data."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["players"] < 0 or options["scores"] < 0:
            raise CommandError("--players and --scores can't be negative.")
        if Gamer.objects.exists() and not options["force"]:
            if options["if_empty"]:
                self.stdout.write("Demo data already loaded; leaving the database as it is.")
                return
            raise CommandError("The database already has data; use --force to seed anyway.")
        if options["force"] and Gamer.objects.exists():
            # Demo accounts have fixed names; drop the previous demo data so they can be made again.
            Gamer.objects.all().delete()
        ctx = SeedContext(stdout=self.stdout, players=options["players"], scores=options["scores"])
        with transaction.atomic():
            run_seeders(ctx)
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Sign in with:"))
        for role, login, password in ctx.credentials:
            self.stdout.write(f"  {role:<10} login: {login:<12} password: {password}")
