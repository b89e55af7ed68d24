"""Discord linking from the web: `POST /auth/discord/link` `{token}` binds the Discord user who
asked the bot for the link; `DELETE /auth/discord/link` removes the binding (bot.weblink)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bot import weblink
from common.schema import ERRORS_AUTH, error


class LinkTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)


class DiscordLinkApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=LinkTokenSerializer,
        responses={
            200: inline_serializer(
                "DiscordLinked", {"detail": serializers.CharField(), "discord_id": serializers.CharField()}
            ),
            400: error("Invalid body, or `link_token_expired`."),
            404: error("`link_token_invalid`: unknown or forged token."),
            409: error("`link_token_used`, or `discord_already_linked` to another account."),
            **ERRORS_AUTH,
        },
    )
    def post(self, request: Request) -> Response:
        data = LinkTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gamer = weblink.link_request_use(token=data.validated_data["token"], user=request.user)
        detail = f"Your Discord account is now linked to {gamer.username}."
        return Response({"detail": detail, "discord_id": gamer.discord_id})

    @extend_schema(request=None, responses={204: None, **ERRORS_AUTH})
    def delete(self, request: Request) -> Response:
        weblink.discord_unlink(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
