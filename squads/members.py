"""Who is in my squad: me and everyone I have shared a session with (the most recent 500).

The REST squad board (squads.api) and the leaderboard socket's squad subscription (through the
LEADERBOARD_SQUAD_MEMBERS setting, since `leaderboard` may not import `sessions_app`) both ask
this one function.
"""

from __future__ import annotations

from sessions_app.selectors import squad_member_ids


def squad_of(user_id: int) -> list[int]:
    return [user_id, *squad_member_ids(user_id=user_id)]
