from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from common.roles import RIGHTS, Role, admin_module_allowed, admin_perm_allowed
from gamers.rules import clean_username, normalize_email, username_key, username_skeleton


class GamerManager(BaseUserManager["Gamer"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> Gamer:
        return self.get(username_key=username_key(username or ""))

    def create_user(self, username: str, email: str, password: str | None = None, **extra: Any) -> Gamer:
        """Low-level creation (admin, tests, seeding). The API goes through `gamer_register`."""
        from gamers.services import gamer_create

        return gamer_create(username=username, email=email, password=password, **extra)

    def create_superuser(self, username: str, email: str, password: str | None = None, **extra: Any) -> Gamer:
        extra["role"] = Role.ADMIN
        return self.create_user(username, email, password, **extra)


class Gamer(AbstractBaseUser):
    """A GameConnect account. Staff access to /admin/ follows `role` (see common.roles)."""

    username = models.CharField(max_length=50)
    # Case-folded username: the database enforces case-insensitive uniqueness on it, so two
    # racing registrations of "Chad" and "chad" can't both win.
    username_key = models.CharField(max_length=200, unique=True, editable=False)
    # What the username looks like (Unicode TR39 skeleton, gamers.rules.username_skeleton): a new
    # username whose skeleton is taken is refused (SPEC §2 confusables). Indexed, not unique:
    # accounts from before the check may share one.
    username_skeleton = models.CharField(max_length=200, db_index=True, editable=False, default="")
    email = models.EmailField(max_length=254, unique=True)  # stored lower-cased
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.GAMER, db_index=True)
    coins = models.BigIntegerField(default=0)
    bio = models.TextField(max_length=500, blank=True, default="")
    avatar = models.ImageField(upload_to="avatars/", blank=True, null=True)
    joined = models.DateTimeField(default=timezone.now, db_index=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    discord_id = models.CharField(max_length=32, unique=True, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    # SPEC §2: set when the owner follows the link mailed to `email`; a changed email is
    # unverified (pending) until the link mailed to the new address is followed.
    email_verified = models.BooleanField(default=False)
    # Per-kind email opt-out for notifications (SPEC §2 "Notifications"): {kind: false} turns a
    # kind's mail off; a kind not named here is mailed. Edited through PATCH /auth/me {"notify"}.
    notify = models.JSONField(default=dict, blank=True)

    objects = GamerManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(coins__gte=0), name="gamer_coins_never_negative"),
            models.CheckConstraint(condition=Q(role__in=[r.value for r in Role]), name="gamer_role_valid"),
        ]

    def __str__(self) -> str:
        return self.username

    def derive_columns(self) -> None:
        """Set the columns derived from username and email. `save()` calls it; bulk writers
        (which skip `save()`) call it on each row themselves."""
        self.username = clean_username(self.username)
        self.username_key = username_key(self.username)
        self.username_skeleton = username_skeleton(self.username)
        self.email = normalize_email(self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Derived columns, kept in step with what they derive from wherever the row is saved.
        self.derive_columns()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_key", "username_skeleton"}
        super().save(*args, **kwargs)

    def notify_settings(self) -> dict[str, bool]:
        """Every notification kind with whether it is mailed (opted out kinds are False)."""
        return {kind: self.notify.get(kind, True) is not False for kind in NotificationKind.values}

    @property
    def rights(self) -> int:
        return RIGHTS.get(self.role, 0)

    # --- Django admin access follows the role ---
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.role in (Role.MODERATOR, Role.ADMIN)

    @property
    def is_superuser(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return admin_perm_allowed(self, perm)

    def has_perms(self, perm_list: Any, obj: Any = None) -> bool:
        return all(self.has_perm(p, obj) for p in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return admin_module_allowed(self, app_label)

    @property
    def avatar_url(self) -> str | None:
        return self.avatar.url if self.avatar else None


class CoinTransaction(models.Model):
    """The coin ledger: a gamer's `coins` always equals the sum of their rows (SPEC §5 rule 8).

    Rows are written by `gamers.services.ledger` (coins_apply, coins_apply_many) in the same
    transaction as the balance.
    """

    class Reason(models.TextChoices):
        SIGNUP = "signup", "Starting coins"
        ATTEMPT = "attempt", "Trivia attempt"
        PRIZE = "prize", "Trivia prize"
        ADJUSTMENT = "adjustment", "Adjustment"

    gamer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coin_transactions")
    amount = models.BigIntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    # What caused it, e.g. "trivia.round:42" (kept as text so the ledger never blocks deletes).
    ref = models.CharField(max_length=64, blank=True, default="")
    balance_after = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["gamer", "-created_at"])]
        constraints = [models.CheckConstraint(condition=Q(balance_after__gte=0), name="ledger_balance_never_negative")]

    def __str__(self) -> str:
        return f"{self.gamer_id}: {self.amount:+d} ({self.reason})"


class SocialAccount(models.Model):
    """A sign-in identity at an OAuth2 provider, linked to one account (SPEC §2 social login).

    `uid` is the provider's stable user id (Google's `sub`, Discord's user snowflake), never the
    email, which can change hands. One identity links to one account; an account may hold several.
    """

    class Provider(models.TextChoices):
        GOOGLE = "google", "Google"
        DISCORD = "discord", "Discord"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="social_accounts")
    provider = models.CharField(max_length=20, choices=Provider.choices)
    uid = models.CharField(max_length=191)
    # The email the provider reported at the last sign-in (informational; linking uses `uid`).
    email = models.EmailField(max_length=254, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    last_login_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["provider", "uid"], name="social_account_provider_uid_unique")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.uid} -> {self.user_id}"


class DiscordLinkCode(models.Model):
    """A one-time code that binds the Discord user who types `!link CODE` to `user`.

    Valid until `expires_at` and only once (`used_at`). Creating a new code deletes the
    account's older ones, so at most one is outstanding per account.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="discord_link_codes")
    code = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by_discord_id = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"link code for {self.user_id} (expires {self.expires_at:%Y-%m-%d %H:%M})"


class NotificationKind(models.TextChoices):
    SESSION_REMINDER = "session_reminder", "Session reminder"
    WAITLIST_PROMOTION = "waitlist_promotion", "Waiting-list promotion"
    TICKET_CONFIRMATION = "ticket_confirmation", "Ticket confirmation"
    LEADERBOARD_PRIZE = "leaderboard_prize", "Leaderboard prize"
    REPORT_OUTCOME = "report_outcome", "Report outcome"


class Notification(models.Model):
    """An in-app notification (SPEC §2 "Notifications"), created by `gamers.services.notifications`.

    Each is also mailed (verified email, unless the kind is opted out) and sent as a Discord DM
    when the account is linked, after commit. `key`, when set, makes a notification exactly-once
    per account (a reminder or a payout retried by a second worker finds the row and stops).
    """

    Kind = NotificationKind

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    url = models.CharField(max_length=500, blank=True, default="")
    key = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="notification_user_newest")]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], condition=~Q(key=""), name="notification_user_key_unique"),
            models.CheckConstraint(condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}: {self.title}"

    @property
    def read(self) -> bool:
        return self.read_at is not None
