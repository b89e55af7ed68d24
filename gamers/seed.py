"""Demo accounts: one admin, one moderator, and `ctx.players` gamers."""

from __future__ import annotations

from common.progress import Progress
from common.roles import Role
from common.seeding import SeedContext
from gamers.services import gamer_create

DEMO_PASSWORD = "GameConnect2026!"

TUNISIAN_NAMES = [
    "Aziz", "Yasmine", "Skander", "Meriem", "Amine", "Ines", "Youssef", "Rania", "Mehdi", "Salma",
    "Hamza", "Nour", "Karim", "Emna", "Wassim", "Olfa", "Bilel", "Sarra", "Fares", "Hiba",
]  # fmt: skip
TAGS = ["Sniper", "Falcon", "Tiger", "Ninja", "Ghost", "Storm", "Viper", "Wolf", "Phoenix", "Joker"]


def seed(ctx: SeedContext) -> None:
    # Demo accounts' emails count as verified (nobody can follow links mailed to them).
    gamer_create(
        username="admin", email="admin@gameconnect.tn", password=DEMO_PASSWORD, role=Role.ADMIN, email_verified=True
    )
    gamer_create(
        username="moderator",
        email="moderator@gameconnect.tn",
        password=DEMO_PASSWORD,
        role=Role.MODERATOR,
        email_verified=True,
    )
    gamer_create(username="player one", email="player1@gameconnect.tn", password=DEMO_PASSWORD, email_verified=True)
    ctx.credentials += [
        ("admin", "admin", DEMO_PASSWORD),
        ("moderator", "moderator", DEMO_PASSWORD),
        ("gamer", "player one", DEMO_PASSWORD),
    ]
    bar = Progress(ctx.players, "gamers", ctx.stdout)
    for i in range(ctx.players):
        name = f"{ctx.rng.choice(TUNISIAN_NAMES)} {ctx.rng.choice(TAGS)} {i + 1}"
        gamer_create(username=name, email=f"gamer{i + 1}@example.tn", password=None, email_verified=True)
        bar.advance()
    bar.finish()
