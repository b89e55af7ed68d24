"""Accounts API (SPEC §2). Views parse input, call one service or selector, shape output."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer

from common.api import PublicApiView
from common.errors import NotFound, Unavailable
from common.permissions import require
from common.roles import Cap
from common.schema import ERRORS_AUTH, error
from common.throttling import AuthRateThrottle, LoginAccountRateThrottle, UserRateThrottle
from gamers import serializers as s
from gamers import services, social
from gamers.models import Gamer
from gamers.selectors import gamer_list, gamer_profile, username_available


class RegisterApi(PublicApiView):
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=s.RegisterSerializer,
        responses={201: s.AuthResponseSerializer, 409: error("`username_taken` or `email_taken`.")},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = s.RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gamer, tokens = services.gamer_register(**data.validated_data)
        body = {"user": s.GamerPrivateSerializer(gamer, context={"request": request}).data, **tokens}
        return Response(body, status=status.HTTP_201_CREATED)


class AvailabilityApi(PublicApiView):
    @extend_schema(responses={200: s.AvailabilitySerializer, 409: s.AvailabilitySerializer}, auth=[])
    def get(self, request: Request, username: str) -> Response:
        available = username_available(username)
        return Response({"available": available}, status=200 if available else 409)


class TokenApi(PublicApiView):
    throttle_classes = [AuthRateThrottle, LoginAccountRateThrottle]

    @extend_schema(
        request=s.TokenObtainSerializer,
        responses={200: s.AuthResponseSerializer, 401: error("`invalid_credentials`.")},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = s.TokenObtainSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gamer = authenticate(request, username=data.validated_data["login"], password=data.validated_data["password"])
        if gamer is None:
            return Response(
                {"detail": "Wrong username/email or password.", "code": "invalid_credentials"},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        tokens = services.token_pair_for(gamer)
        return Response({**tokens, "user": s.GamerPrivateSerializer(gamer, context={"request": request}).data})


class TokenRefreshApi(PublicApiView):
    @extend_schema(
        request=s.RefreshSerializer,
        responses={200: s.TokenPairSerializer, 401: error("`token_not_valid`: expired, blacklisted or rotated.")},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRefreshSerializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        except Gamer.DoesNotExist as exc:  # the account was deleted after the token was issued
            raise InvalidToken("This account no longer exists.") from exc
        return Response(serializer.validated_data)


class LogoutApi(APIView):
    @extend_schema(request=s.RefreshSerializer, responses={204: None, **ERRORS_AUTH})
    def post(self, request: Request) -> Response:
        data = s.RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.token_blacklist(user=request.user, refresh=data.validated_data["refresh"])  # type: ignore[arg-type]  # signed in (the view's permissions): a Gamer
        return Response(status=status.HTTP_204_NO_CONTENT)


class MailRateThrottle(UserRateThrottle):
    """Endpoints that mail the caller: a few an hour per account (THROTTLE_MAIL_RATE)."""

    scope = "mail"
    rate_setting = "THROTTLE_MAIL_RATE"


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.GamerPrivateSerializer})
    def get(self, request: Request) -> Response:
        return Response(s.GamerPrivateSerializer(request.user, context={"request": request}).data)

    @extend_schema(
        request={"application/json": s.MeUpdateSerializer, "multipart/form-data": s.MeUpdateSerializer},
        responses={
            200: s.GamerPrivateSerializer,
            400: error("Field errors (e.g. an unknown `notify` kind or a non-boolean value)."),
            409: error("`email_taken`."),
        },
    )
    def patch(self, request: Request) -> Response:
        data = s.MeUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        gamer = services.gamer_update(gamer=request.user, **data.validated_data)  # type: ignore[arg-type]  # signed in (the view's permissions): a Gamer
        return Response(s.GamerPrivateSerializer(gamer, context={"request": request}).data)

    @extend_schema(responses={204: None, 403: error("`admin_cannot_delete`.")})
    def delete(self, request: Request) -> Response:
        services.gamer_delete_self(gamer=request.user)  # type: ignore[arg-type]  # signed in (the view's permissions): a Gamer
        return Response(status=status.HTTP_204_NO_CONTENT)


class GamerListApi(ListAPIView):
    permission_classes = [require(Cap.GAMERS_LIST)]
    serializer_class = s.GamerAdminSerializer
    filter_backends: list = []

    @extend_schema(parameters=[s.GamerListQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = s.GamerListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return gamer_list(search=query.validated_data.get("search"), role=query.validated_data.get("role"))


class GamerDetailApi(APIView):
    def get_permissions(self) -> list[Any]:
        if self.request.method == "DELETE":
            return [require(Cap.GAMERS_DELETE)()]
        return [IsAuthenticated()]

    @extend_schema(responses={200: s.GamerProfileSerializer})
    def get(self, request: Request, pk: int) -> Response:
        gamer = gamer_profile(pk)
        if gamer is None:
            raise NotFound("No gamer with that id.")
        return Response(s.GamerProfileSerializer(gamer, context={"request": request}).data)

    @extend_schema(
        parameters=[OpenApiParameter("reason", str, required=False)],
        responses={204: None, 403: error("`cannot_target_self`, `cannot_target_admin` or role refused.")},
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.gamer_delete(actor=request.user, target_id=pk, reason=request.query_params.get("reason", "")[:500])  # type: ignore[arg-type]  # signed in (the view's permissions): a Gamer
        return Response(status=status.HTTP_204_NO_CONTENT)


class GamerRoleApi(APIView):
    permission_classes = [require(Cap.ROLES_CHANGE)]

    @extend_schema(
        request=s.RoleChangeSerializer,
        responses={200: s.RoleChangeResponseSerializer, 403: error("`cannot_target_self` or `cannot_target_admin`.")},
    )
    def put(self, request: Request, pk: int) -> Response:
        data = s.RoleChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gamer = services.gamer_set_role(
            actor=request.user,  # type: ignore[arg-type]  # signed in (the view's permissions): a Gamer
            target_id=pk,
            role=data.validated_data["role"],
            reason=data.validated_data.get("reason", ""),
        )
        article = "an" if gamer.role[0] in "aeiou" else "a"
        return Response(
            {
                "detail": f"{gamer.username} is now {article} {gamer.role}",
                "user": s.GamerAdminSerializer(gamer, context={"request": request}).data,
            }
        )


class SocialLoginApi(PublicApiView):
    """Sign in with Google or Discord: the client posts the authorization code it received."""

    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        parameters=[OpenApiParameter("provider", str, OpenApiParameter.PATH, enum=["google", "discord"])],
        request=s.SocialLoginSerializer,
        responses={
            200: s.SocialLoginResponseSerializer,
            400: error(
                "`invalid_code` (the provider refused the code), `email_unverified` (the provider gave no "
                "email, or refused to vouch for it), or field errors."
            ),
            403: error("`account_disabled`."),
            409: error(
                "`email_unverified`: an account here uses the profile's email, but the provider or that "
                "account has not verified it, so nothing is linked."
            ),
            503: error("`provider_disabled` (not configured here), `provider_unavailable`, `provider_misconfigured`."),
        },
        auth=[],
    )
    def post(self, request: Request, provider: str) -> Response:
        if social.provider_credentials(provider) is None:
            raise Unavailable(
                f"Sign-in with {provider.title()} is not enabled on this server.", code="provider_disabled"
            )
        data = s.SocialLoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.social_login(provider=provider, **data.validated_data)
        body = {
            "user": s.GamerPrivateSerializer(result.gamer, context={"request": request}).data,
            **result.tokens,
            "created": result.created,
        }
        return Response(body)


class DiscordLinkCodeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: s.DiscordLinkCodeSerializer})
    def post(self, request: Request) -> Response:
        link = services.discord_link_code_create(user=request.user)  # type: ignore[arg-type]  # signed in (the view's permissions): a Gamer
        return Response(s.DiscordLinkCodeSerializer(link).data, status=status.HTTP_201_CREATED)


# --- the account lifecycle (SPEC §2) --------------------------------------------------------


class EmailVerifyApi(PublicApiView):
    """Follow the link mailed to verify an email address (the /verify-email page posts it)."""

    @extend_schema(
        request=s.UidTokenSerializer,
        responses={
            200: s.EmailVerifiedSerializer,
            400: error("`invalid_token`: forged, expired, or mailed to an address the account no longer uses."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = s.UidTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.email_verify(**data.validated_data)
        return Response({"detail": "Your email address is verified.", "email_verified": True})


class EmailVerifyResendApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [MailRateThrottle]

    @extend_schema(
        request=None,
        responses={200: s.AccountNoticeSerializer, 409: error("`already_verified`."), **ERRORS_AUTH},
    )
    def post(self, request: Request) -> Response:
        services.email_verification_resend(gamer=request.user)  # type: ignore[arg-type]  # signed in (the view's permissions): a Gamer
        return Response({"detail": f"A new verification link is on its way to {request.user.email}."})  # type: ignore[union-attr]  # signed in: a Gamer


class PasswordChangeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.PasswordChangeSerializer,
        responses={
            200: s.TokenPairSerializer,
            400: error("`current_password` is wrong (`wrong_password`), or `new_password` fails the validators."),
            **ERRORS_AUTH,
        },
    )
    def post(self, request: Request) -> Response:
        data = s.PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.password_change(gamer=request.user, **data.validated_data)  # type: ignore[arg-type]  # signed in (the view's permissions): a Gamer
        return Response(tokens)


class PasswordResetApi(PublicApiView):
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=s.PasswordResetSerializer,
        responses={202: s.AccountNoticeSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = s.PasswordResetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_request(email=data.validated_data["email"])
        # The same answer whether or not an account uses the address.
        return Response(
            {"detail": "If an account uses that email, a link to reset its password is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmApi(PublicApiView):
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=s.PasswordResetConfirmSerializer,
        responses={
            200: s.AccountNoticeSerializer,
            400: error("`invalid_token` (forged, expired or used), or `new_password` fails the validators."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = s.PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(**data.validated_data)
        return Response({"detail": "Your password is changed. Sign in with it."})


class LogoutAllApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, **ERRORS_AUTH})
    def post(self, request: Request) -> Response:
        services.logout_everywhere(gamer=request.user)  # type: ignore[arg-type]  # signed in (the view's permissions): a Gamer
        return Response(status=status.HTTP_204_NO_CONTENT)
