"""OAuth2 code exchange with Google and Discord through social-auth-core's provider backends.

The client (web page or app) sends the user to the provider, checks the `state` it generated
when the provider redirects back, and posts the authorization `code` with the `redirect_uri` it
used. This module exchanges that code for an access token and fetches the profile, using the
library's backends for the provider specifics (endpoints, parameters, error payloads, Google's
`email_verified` check). Account creation and linking stay in `gamers.services.social_login`,
under our own rules (verified email, unique usernames, starting coins), so the library's
Django storage and pipeline are not used: a small strategy hands the verified profile back.

Provider errors become our service errors: a refused code is `InvalidInput("invalid_code")`,
a profile the provider won't vouch an email for `InvalidInput("email_unverified")`, an
unreachable or misconfigured provider `Unavailable`. Nothing here touches the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from social_core.backends.discord import DiscordOAuth2
from social_core.backends.google import GoogleOAuth2
from social_core.backends.oauth import BaseOAuth2
from social_core.exceptions import (
    AuthCanceled,
    AuthConfigurationError,
    AuthCredentialError,
    AuthInputError,
    AuthProviderError,
    AuthResponseError,
    SocialAuthBaseException,
)
from social_core.strategy import BaseStrategy

from common.errors import Conflict, InvalidInput, Unavailable

logger = logging.getLogger("gameconnect.social")

REQUEST_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SocialProfile:
    """What a provider vouches for about the person who granted the code."""

    provider: str
    uid: str
    email: str  # "" when the provider gave none
    email_verified: bool
    names: tuple[str, ...]  # username candidates, best first


class _CodeExchangeMixin:
    # The `state` round trip is checked by the client that started the flow and received the
    # redirect; this endpoint only receives the code, so there is no server-side session state.
    STATE_PARAMETER = False
    REDIRECT_STATE = False


class _Google(_CodeExchangeMixin, GoogleOAuth2):
    pass


class _Discord(_CodeExchangeMixin, DiscordOAuth2):
    pass


@dataclass(frozen=True)
class _Provider:
    backend: type[BaseOAuth2]
    id_setting: str
    secret_setting: str


PROVIDERS: dict[str, _Provider] = {
    "google": _Provider(_Google, "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"),
    "discord": _Provider(_Discord, "DISCORD_CLIENT_ID", "DISCORD_CLIENT_SECRET"),
}


def provider_credentials(provider: str) -> tuple[str, str] | None:
    """(client id, secret) when the provider is configured, else None."""
    conf = PROVIDERS[provider]
    key = getattr(settings, conf.id_setting, "") or ""
    secret = getattr(settings, conf.secret_setting, "") or ""
    return (key, secret) if key and secret else None


class _ExchangeStrategy(BaseStrategy[Any]):
    """The minimum social-auth-core needs to run a backend outside a web framework session.

    `authenticate` is where the library would run its pipeline; we return the provider's
    profile response instead and link accounts ourselves.
    """

    def __init__(self, *, code: str, key: str, secret: str) -> None:
        super().__init__(storage=None)
        self._code = code
        self._settings = {"KEY": key, "SECRET": secret, "REQUESTS_TIMEOUT": REQUEST_TIMEOUT_SECONDS}

    def get_setting(self, name: str) -> Any:
        return self._settings[name]  # KeyError means "unset": the library then uses its default

    def get_request_data(self, merge: bool = True) -> dict[str, Any]:
        return {"code": self._code}

    def request_host(self) -> str:
        return ""

    def build_absolute_uri(self, path: str | None = None) -> str:
        return path or ""

    def session_get(self, name: str, default: Any = None) -> Any:
        return default

    def session_set(self, name: str, value: Any) -> None:
        return None

    def session_pop(self, name: str) -> None:
        return None

    def authenticate(self, backend: Any, *args: Any, **kwargs: Any) -> Any:
        return kwargs["response"]


def profile_fetch(*, provider: str, code: str, redirect_uri: str) -> SocialProfile:
    """Exchange `code` with the provider and return the profile it vouches for.

    Raises Unavailable("provider_disabled") when the provider has no client id/secret, and the
    errors listed in the module docstring. Blocking network I/O: call it outside transactions.
    """
    credentials = provider_credentials(provider)
    if credentials is None:
        raise Unavailable(
            gettext("Sign-in with %(value)s is not enabled on this server.") % {"value": provider.title()},
            code="provider_disabled",
        )
    key, secret = credentials
    backend = PROVIDERS[provider].backend(
        _ExchangeStrategy(code=code, key=key, secret=secret), redirect_uri=redirect_uri
    )
    try:
        response = backend.auth_complete()
        if not isinstance(response, dict):
            raise AuthResponseError(backend, code="malformed_response", stage="user_info")
        details = backend.get_user_details(response)
        uid = backend.get_user_id(details, response)
    except SocialAuthBaseException as exc:
        raise _translate(provider, exc) from exc
    if uid is None or str(uid).strip() == "":
        logger.error("%s returned a profile without a user id", provider)
        raise Unavailable(
            gettext("%(value)s returned an incomplete profile; try again later.") % {"value": provider.title()},
            code="provider_error",
        )
    return _profile(provider, str(uid), response)


def _profile(provider: str, uid: str, response: dict[str, Any]) -> SocialProfile:
    email = str(response.get("email") or "").strip()
    names: tuple[Any, ...]
    if provider == "google":
        # The library refuses Google profiles whose email_verified is not True (see _translate).
        verified = response.get("email_verified") is True
        names = (response.get("name"), response.get("given_name"), email.split("@", 1)[0])
    else:
        verified = response.get("verified") is True
        names = (response.get("global_name"), response.get("username"))
    return SocialProfile(
        provider=provider,
        uid=uid,
        email=email,
        email_verified=bool(email) and verified,
        names=tuple(str(n) for n in names if n),
    )


def _translate(provider: str, exc: SocialAuthBaseException) -> Exception:
    name = provider.title()
    if isinstance(exc, AuthResponseError) and exc.claim == "email_verified":
        return unverified_email_error(provider)
    if isinstance(exc, AuthCredentialError | AuthCanceled | AuthInputError):
        return _bad_code(name)
    if isinstance(exc, AuthConfigurationError):
        # The library files invalid_client, unauthorized_client, invalid_scope... here: our
        # registration is wrong, not the user's code. invalid_request is a malformed request.
        if exc.provider_code == "invalid_request":
            return _bad_code(name)  # e.g. a missing or malformed code or redirect_uri
        logger.error("%s refused our OAuth2 client configuration: %s (%s)", name, exc.provider_code, exc.detail)
        return Unavailable(
            gettext("Sign-in with %(name)s is misconfigured on this server.") % {"name": name},
            code="provider_misconfigured",
        )
    status = getattr(exc, "status_code", None)
    if isinstance(exc, AuthProviderError) and status is not None and 400 <= status < 500 and status != 429:
        return _bad_code(name)
    logger.warning("%s sign-in failed: %s (%s, stage %s)", name, exc.code, exc.__class__.__name__, exc.stage)
    return Unavailable(
        gettext("%(name)s could not be reached or answered oddly; try again shortly.") % {"name": name},
        code="provider_unavailable",
    )


def _bad_code(name: str) -> InvalidInput:
    return InvalidInput(
        gettext(
            "%(name)s refused that authorization code: it is invalid, expired, already used, or was issued for another redirect_uri. Start the sign-in again."
        )
        % {"name": name},
        code="invalid_code",
    )


def unverified_email_error(provider: str) -> InvalidInput:
    return InvalidInput(
        gettext(
            "Your %(value)s account's email address is not verified. Verify it with %(value)s (or sign up with a password), then try again."
        )
        % {"value": provider.title()},
        code="email_unverified",
    )


def email_unverified_conflict(provider: str, *, provider_verified: bool) -> Conflict:
    """409: an account here uses the profile's email, but linking needs both sides verified."""
    name = provider.title()
    if provider_verified:
        detail = (
            f"An account here already uses this email, but its owner hasn't verified it, so it can't be "
            f"linked to your {name} account. Sign in with your password, verify your email (the link "
            "we mailed, or ask for a new one), then sign in with " + name + " again."
        )
    else:
        detail = (
            f"An account here already uses this email, but {name} says the address isn't verified on "
            f"your {name} account, so we can't link them. Verify it with {name}, then try again."
        )
    return Conflict(detail, code="email_unverified")
