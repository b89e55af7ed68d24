"""The ten games GameConnect starts with (the data migration 0002 loads the same list)."""

from __future__ import annotations

# (slug, label, max_score). The max scores add up to 328,500, well under rules.VALUE_MAX.
DEFAULT_GAMES: tuple[tuple[str, str, int], ...] = (
    ("cod", "Call of Duty", 100_000),
    ("fortnite", "Fortnite", 50_000),
    ("valorant", "Valorant", 10_000),
    ("lol", "League of Legends", 20_000),
    ("csgo", "CS:GO", 10_000),
    ("fifa", "FIFA", 10_000),
    ("rocket", "Rocket League", 5_000),
    ("apex", "Apex Legends", 20_000),
    ("minecraft", "Minecraft", 100_000),
    ("chess", "Chess", 3_500),
)
# Games whose scores must come from a game server, an organizer or a confirmation (migration
# 0004); the others are `open`. All ten rank higher-is-better (`desc`).
VERIFIED_GAMES = frozenset({"chess"})
