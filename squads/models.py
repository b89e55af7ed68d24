"""Links between sessions and leaderboard scores (this layer may see both apps)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class SessionResult(models.Model):
    """One player's result in one game of one session, as its organizer posted it.

    The unique (session, player, game) makes posting results idempotent: a second post of the
    same player's result answers `duplicate` for that row (squads.results). `score` is empty
    for the moment between the claim and the score's insert (results_post), and it becomes
    empty again if the score is deleted; a claim whose score is void, or that stayed empty
    longer than results.CLAIM_STALE, may be claimed again.
    """

    session = models.ForeignKey("sessions_app.GameSession", on_delete=models.CASCADE, related_name="+")
    player = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    game = models.ForeignKey("leaderboard.Game", on_delete=models.CASCADE, related_name="+")
    score = models.OneToOneField(
        "leaderboard.Score", on_delete=models.SET_NULL, null=True, blank=True, related_name="session_result"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "game", "player"], name="session_result_once"),
        ]

    def __str__(self) -> str:
        return f"session {self.session_id}: {self.player_id} in {self.game_id}"
