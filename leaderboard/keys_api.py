"""Game-server keys and score batches (SPEC §6): the admins' key endpoints, and the batch
endpoint a game server calls with `Authorization: GameKey <key>` (no user, no session)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.permissions import require
from common.roles import Cap
from common.schema import error
from common.throttling import UserRateThrottle
from leaderboard import keys
from leaderboard.batch import scores_batch_record
from leaderboard.models import GameKey
from leaderboard.serializers import ScoreRowResultsSerializer

KEYWORD = "GameKey"


class GameKeyAuthentication(BaseAuthentication):
    """`Authorization: GameKey <key>`: the request is a game server's, `request.auth` its live
    GameKey and `request.user` anonymous. Anything else (no header, another scheme, an unknown or
    revoked key) is 401 `invalid_key` with `WWW-Authenticate: GameKey`."""

    def authenticate(self, request: Any) -> tuple[Any, GameKey]:
        from django.contrib.auth.models import AnonymousUser

        parts = get_authorization_header(request).split()
        key = None
        if len(parts) == 2 and parts[0].decode("latin-1").lower() == KEYWORD.lower():
            try:
                key = keys.key_authenticate(parts[1].decode("ascii"))
            except UnicodeDecodeError:
                key = None
        if key is None:
            raise AuthenticationFailed("Send a live game key: `Authorization: GameKey <key>`.", code="invalid_key")
        return AnonymousUser(), key

    def authenticate_header(self, request: Any) -> str:
        return KEYWORD


class GameKeyScheme(OpenApiAuthenticationExtension):
    target_class = "leaderboard.keys_api.GameKeyAuthentication"
    name = "gameKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`GameKey <key>`"}


class HasGameKey(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return isinstance(request.auth, GameKey)


class GameKeyRateThrottle(UserRateThrottle):
    """Batches per key (THROTTLE_GAME_KEY_RATE), so one server can't flood the others out."""

    scope = "game_key"
    rate_setting = "THROTTLE_GAME_KEY_RATE"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not isinstance(request.auth, GameKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class KeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, help_text="What the key is for, e.g. the server's name.")


class KeySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key's first characters.")
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.SerializerMethodField()

    def get_created_by(self, key: GameKey) -> str | None:
        return key.created_by.username if key.created_by is not None else None


class NewKeySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    key = serializers.CharField(help_text="The key itself: shown this once, stored hashed.")
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()


class GameKeysApi(APIView):
    """A game's server keys (admins): create one (the key is shown once), or list them."""

    permission_classes = [require(Cap.LEADERBOARD_KEYS)]

    @extend_schema(responses={200: KeySerializer(many=True), 404: error("`unknown_game`.")})
    def get(self, request: Request, slug: str) -> Response:
        return Response(KeySerializer(keys.key_list(game=slug), many=True).data)

    @extend_schema(
        request=KeyCreateSerializer,
        responses={201: NewKeySerializer, 400: error("`invalid_name`."), 404: error("`unknown_game`.")},
    )
    def post(self, request: Request, slug: str) -> Response:
        data = KeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key, plaintext = keys.key_create(game=slug, name=data.validated_data["name"], by=request.user)
        body = {"id": key.pk, "name": key.name, "key": plaintext, "prefix": key.prefix, "created_at": key.created_at}
        return Response(NewKeySerializer(body).data, status=status.HTTP_201_CREATED)


class GameKeyRevokeApi(APIView):
    """Revoke a key (admins): its next batch is 401. Revoking twice is fine."""

    permission_classes = [require(Cap.LEADERBOARD_KEYS)]

    @extend_schema(responses={204: None, 404: error("`not_found`.")})
    def delete(self, request: Request, key_id: int) -> Response:
        keys.key_revoke(key_id=key_id, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScoreBatchApi(APIView):
    """A game server's scores: up to 500 rows, each answered on its own (docs/leaderboard.md)."""

    authentication_classes = [GameKeyAuthentication]
    permission_classes = [HasGameKey]
    throttle_classes = [GameKeyRateThrottle]

    @extend_schema(
        request=inline_serializer(
            name="ScoreBatch",
            fields={
                "game": serializers.SlugField(),
                "scores": serializers.ListField(child=serializers.DictField(), max_length=500),
            },
        ),
        responses={
            200: ScoreRowResultsSerializer,
            400: error("`too_many_rows`, `invalid_body`."),
            401: error("`invalid_key`: missing, unknown or revoked."),
            403: error("`wrong_game`: the key is another game's."),
        },
    )
    def post(self, request: Request) -> Response:
        results = scores_batch_record(key=request.auth, body=request.data)  # type: ignore[arg-type]  # HasGameKey: a GameKey
        return Response({"results": results})
