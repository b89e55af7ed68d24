from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditLog(models.Model):
    """One moderation action, written in the same transaction as the action (SPEC §7)."""

    class Action(models.TextChoices):
        BAN = "ban", "Ban entry"
        UNBAN = "unban", "Unban entry"
        DISMISS = "dismiss", "Dismiss report"
        DELETE_REVIEW = "delete_review", "Delete review"
        DELETE_SESSION = "delete_session", "Delete session"
        DELETE_EVENT = "delete_event", "Delete event"
        DELETE_GAMER = "delete_gamer", "Delete gamer"
        ROLE_CHANGE = "role_change", "Change role"
        DISCONNECT_EVERYONE = "disconnect_everyone", "Disconnect everyone"
        DEACTIVATE_GAMER = "deactivate_gamer", "Deactivate gamer"
        REACTIVATE_GAMER = "reactivate_gamer", "Reactivate gamer"
        PASSWORD_SET = "password_set", "Set password"
        # Changes made in the back office (/admin/) to gamers, sessions, events, scores, entries.
        ADMIN_ADD = "admin_add", "Add (back office)"
        ADMIN_CHANGE = "admin_change", "Change (back office)"
        ADMIN_DELETE = "admin_delete", "Delete (back office)"
        # The leaderboards (SPEC §6 "Boards people can trust").
        SCORE_VOID = "score_void", "Void score"
        SCORE_SUSPEND = "score_suspend", "Suspend from a game's boards"
        SCORE_SUSPENSION_LIFT = "score_suspension_lift", "Lift a suspension"
        CONFIRM_SCORE = "confirm_score", "Confirm pending score"
        SESSION_RESULTS = "session_results", "Post session results"
        GAME_KEY_CREATE = "game_key_create", "Create game-server key"
        GAME_KEY_REVOKE = "game_key_revoke", "Revoke game-server key"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_actions"
    )
    # Kept when the actor's account is deleted, so the log still says who acted.
    actor_name = models.CharField(max_length=50, blank=True, default="")
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=40)
    reason = models.CharField(max_length=500, blank=True, default="")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        # The table the moderation app created: the model moved here, its rows never did.
        db_table = "moderation_auditlog"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.target_type}:{self.target_id}"
