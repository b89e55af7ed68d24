from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.roles import Role
from gamers.models import CoinTransaction, Gamer, NotificationKind
from gamers.rules import USERNAME_MAX, USERNAME_MIN


class AvatarUrlMixin(serializers.Serializer):
    avatar_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_avatar_url(self, obj: Gamer) -> str | None:
        if not obj.avatar:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(obj.avatar.url) if request else obj.avatar.url


class GamerSummarySerializer(serializers.ModelSerializer):
    """The smallest public shape: used inside other resources (authors, attendees...)."""

    class Meta:
        model = Gamer
        fields = ["id", "username"]


class GamerPublicSerializer(AvatarUrlMixin, serializers.ModelSerializer):
    class Meta:
        model = Gamer
        fields = ["id", "username", "role", "coins", "joined", "last_seen", "bio", "avatar_url"]


class GamerStatsSerializer(serializers.Serializer):
    sessions_hosted = serializers.IntegerField()
    sessions_joined = serializers.IntegerField()
    trivia_wins = serializers.IntegerField()


class GamerProfileSerializer(GamerPublicSerializer):
    """Public profile with stats; expects the `stat_*` annotations of `gamer_profile`."""

    stats = serializers.SerializerMethodField()

    class Meta(GamerPublicSerializer.Meta):
        fields = [*GamerPublicSerializer.Meta.fields, "stats"]

    @extend_schema_field(GamerStatsSerializer)
    def get_stats(self, obj: Any) -> dict[str, int]:
        return {
            "sessions_hosted": int(getattr(obj, "stat_sessions_hosted", 0) or 0),
            "sessions_joined": int(getattr(obj, "stat_sessions_joined", 0) or 0),
            "trivia_wins": int(getattr(obj, "stat_trivia_wins", 0) or 0),
        }


class GamerAdminSerializer(GamerPublicSerializer):
    """What moderators and admins see in the gamers list (includes email)."""

    class Meta(GamerPublicSerializer.Meta):
        fields = [*GamerPublicSerializer.Meta.fields, "email", "discord_id"]


class NotifySettingsSerializer(serializers.Serializer):
    """Whether each notification kind is mailed (true unless opted out)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {kind: serializers.BooleanField(help_text=label) for kind, label in NotificationKind.choices}


class GamerPrivateSerializer(AvatarUrlMixin, serializers.ModelSerializer):
    """The owner's own view (GET /auth/me)."""

    discord_linked = serializers.SerializerMethodField()
    notify = serializers.SerializerMethodField()

    class Meta:
        model = Gamer
        fields = [
            "id",
            "username",
            "email",
            "role",
            "coins",
            "bio",
            "avatar_url",
            "joined",
            "last_seen",
            "discord_id",
            "discord_linked",
            "email_verified",
            "notify",
        ]

    def get_discord_linked(self, obj: Gamer) -> bool:
        return obj.discord_id is not None

    @extend_schema_field(NotifySettingsSerializer)
    def get_notify(self, obj: Gamer) -> dict[str, bool]:
        return obj.notify_settings()


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(min_length=USERNAME_MIN, max_length=USERNAME_MAX, trim_whitespace=True)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)


class AuthResponseSerializer(serializers.Serializer):
    user = GamerPrivateSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()


class TokenObtainSerializer(serializers.Serializer):
    login = serializers.CharField(max_length=254, help_text="Username or email.")
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class AvailabilitySerializer(serializers.Serializer):
    available = serializers.BooleanField()


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only (DRF's also takes "yes", "0", 1 ...)."""

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)
        raise AssertionError("unreachable")  # fail() raises


class NotifyUpdateField(serializers.DictField):
    """{kind: bool}: the kinds named are turned on (true) or off (false) for mail."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=StrictBooleanField(), **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, bool]:
        value = super().to_internal_value(data)
        unknown = sorted(set(value) - set(NotificationKind.values))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown notification kind: {', '.join(unknown)}. Kinds: {', '.join(NotificationKind.values)}."
            )
        return value


class MeUpdateSerializer(serializers.Serializer):
    bio = serializers.CharField(max_length=500, required=False, allow_blank=True, trim_whitespace=False)
    email = serializers.EmailField(
        max_length=254, required=False, help_text="A new email is unverified until the link mailed to it is followed."
    )
    avatar = serializers.FileField(required=False, help_text="An image; re-encoded and resized to <= 320 px.")
    notify = NotifyUpdateField(
        required=False,
        help_text="Per-kind email opt-out, merged into the current settings: e.g. "
        '`{"session_reminder": false}`. Kinds: ' + ", ".join(NotificationKind.values) + ".",
    )


class RoleChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class RoleChangeResponseSerializer(serializers.Serializer):
    detail = serializers.CharField()
    user = GamerAdminSerializer()


class GamerListQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, max_length=100)
    role = serializers.ChoiceField(choices=Role.choices, required=False)


class SocialLoginSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=2048, help_text="The authorization code the provider redirected with.")
    redirect_uri = serializers.URLField(
        max_length=2048, help_text="The redirect URI used in the authorization request (must match exactly)."
    )


class SocialLoginResponseSerializer(AuthResponseSerializer):
    created = serializers.BooleanField(help_text="True when this sign-in created the account.")


class DiscordLinkCodeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="8 characters; type `!link CODE` to the GameConnect bot in Discord.")
    expires_at = serializers.DateTimeField()


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class UidTokenSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64, help_text="The `uid` query parameter of the mailed link.")
    token = serializers.CharField(max_length=128, help_text="The `token` query parameter of the mailed link.")


class PasswordResetConfirmSerializer(UidTokenSerializer):
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class AccountNoticeSerializer(serializers.Serializer):
    """A sentence for the person: what happened, or (202) what will."""

    detail = serializers.CharField()


class EmailVerifiedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    email_verified = serializers.BooleanField()


class CoinTransactionSerializer(serializers.ModelSerializer):
    """One row of the caller's coin history (GET /me/coins)."""

    reason_label = serializers.CharField(source="get_reason_display", read_only=True, help_text="The reason in words.")
    ref = serializers.SerializerMethodField(help_text='What caused it, e.g. "trivia.round:42"; null when nothing did.')

    class Meta:
        model = CoinTransaction
        fields = ["id", "amount", "reason", "reason_label", "ref", "balance_after", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_ref(self, obj: CoinTransaction) -> str | None:
        return obj.ref or None
