"""Trivia knobs. The SPEC's TRIVIA_* settings come from config/settings.py (environment); the
socket limits and presence timings below have sound defaults and can be overridden in settings
(tests shorten them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Presence: each web process refreshes its players every REFRESH seconds; a player whose
    # process stopped refreshing (crashed) disappears after TTL seconds.
    "TRIVIA_PRESENCE_TTL_SECONDS": 30.0,
    "TRIVIA_PRESENCE_REFRESH_SECONDS": 10.0,
    # Per-socket flood control: frames of any kind, reactions, player-list requests.
    "TRIVIA_FRAME_RATE": 10.0,
    "TRIVIA_FRAME_BURST": 20.0,
    "TRIVIA_REACTION_RATE": 1.0,
    "TRIVIA_REACTION_BURST": 3.0,
    "TRIVIA_PLAYER_LIST_RATE": 0.5,
    "TRIVIA_PLAYER_LIST_BURST": 2.0,
    # A sheddable broadcast (others' wrong attempts, reactions, joins, leaves) this old when its
    # turn comes goes only to the player it concerns: a flooded process keeps game frames on time.
    "TRIVIA_HUB_SHED_LAG_SECONDS": 0.25,
    # ... or when fanning out took more than this share of the last second.
    "TRIVIA_HUB_MAX_BUSY": 0.5,
    # Attempt group commit (trivia.batching): a group gathers this long before it goes to the
    # database (more arrive while a group is in the database), and holds at most MAX attempts.
    "TRIVIA_ATTEMPT_GATHER_SECONDS": 0.002,
    "TRIVIA_ATTEMPT_GROUP_MAX": 200,
    # The attempts feed a WELCOME / rounds/current carries (the newest ones).
    "TRIVIA_WELCOME_ATTEMPTS": 100,
    # PLAYER_LIST lists at most this many players (richest first).
    "TRIVIA_PLAYER_LIST_MAX": 1000,
    # Rounds not replayed: an entry played in the last N rounds is not picked (SPEC §5 rule 1).
    "TRIVIA_RECENT_ROUNDS": 50,
}


def conf(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
