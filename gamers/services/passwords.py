"""The password lifecycle (SPEC §2 "Account lifecycle"): change, reset by mail, log out
everywhere.

Password hashing is slow on purpose (Argon2: ~100 MiB and tens of milliseconds), so no service
here hashes inside a transaction: each hashes first, then writes the new hash with a
conditional UPDATE on the old one. That UPDATE is also what makes a reset link one-use under
races: two requests with the same link can't both find the old hash.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.auth.password_validation import password_changed, validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext
from redis.exceptions import RedisError

from common.errors import InvalidInput
from common.mail import mail_send_on_commit
from common.throttling import window_record
from common.transactions import assert_no_transaction
from gamers.models import Gamer, SocialAccount
from gamers.rules import normalize_email
from gamers.services.accounts import refresh_tokens_revoke, token_pair_for
from gamers.services.verification import site_link
from gamers.tokens import password_reset_tokens, uid_decode, uid_encode

logger = logging.getLogger("gameconnect.accounts")

# However many addresses ask, one account gets at most this many reset mails an hour: the
# per-IP throttle alone would let a botnet flood someone's mailbox.
RESET_MAILS_PER_HOUR = 5


def _validate(password: str, user: Gamer, field: str) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise DjangoValidationError({field: exc.messages}) from exc


def password_change(*, gamer: Gamer, current_password: str, new_password: str) -> dict[str, str]:
    """Change the password: 400 on `current_password` when it is wrong; Django's validators on
    `new_password`. Every refresh token of the account is revoked and a new pair returned, so
    the caller stays signed in and every other device is signed out (their access tokens
    expire within ACCESS_TOKEN_MINUTES)."""
    assert_no_transaction("password_change")
    if not gamer.check_password(current_password):
        raise InvalidInput(
            gettext("Your current password is not correct."), code="wrong_password", field="current_password"
        )
    _validate(new_password, gamer, "new_password")
    old_hash = gamer.password
    gamer.set_password(new_password)
    with transaction.atomic():
        if not Gamer.objects.filter(pk=gamer.pk, password=old_hash).update(password=gamer.password):
            # Changed by another request since we checked: what was typed is no longer current.
            raise InvalidInput(
                gettext("Your password was changed meanwhile; sign in again."),
                code="wrong_password",
                field="current_password",
            )
        refresh_tokens_revoke(user_id=gamer.pk)
        tokens = token_pair_for(gamer)
    password_changed(new_password, user=gamer)
    return tokens


def password_reset_request(*, email: str) -> None:
    """POST /auth/password/reset: mail a one-use reset link, valid PASSWORD_RESET_TIMEOUT, to
    the active account using `email`. Says nothing either way (the view answers 202 alike)."""
    gamer = Gamer.objects.filter(email=normalize_email(email), is_active=True).first()
    if gamer is None:
        return
    try:
        allowed, _, _ = window_record(
            f"mail:reset:{gamer.pk}", now=time.time(), duration=3600, limit=RESET_MAILS_PER_HOUR
        )
    except RedisError:
        allowed = True  # an outage of Redis must not stop account recovery
    if not allowed:
        logger.info("password reset mail for account %s not sent: hourly budget used", gamer.pk)
        return
    link = site_link("/reset-password", uid=uid_encode(gamer.pk), token=password_reset_tokens.make_token(gamer))
    body = render_to_string(
        "mail/password_reset.txt",
        {"username": gamer.username, "link": link, "minutes": settings.PASSWORD_RESET_TIMEOUT // 60},
    )
    mail_send_on_commit(to=gamer.email, subject="Reset your GameConnect password", body=body)


def _invalid_reset_link() -> InvalidInput:
    return InvalidInput(
        gettext("This password reset link is invalid, expired or already used. Ask for a new one."),
        code="invalid_token",
    )


def password_reset_confirm(*, uid: str, token: str, new_password: str) -> None:
    """Set a new password with a mailed reset link: 400 `invalid_token` for a forged, expired or
    used link; Django's validators on `new_password`. Every refresh token is revoked.

    The link reached the account's mailbox, so the email becomes verified. If it wasn't before,
    the sign-in identities linked to the account are dropped: nobody had proved this address
    when they were linked, and whoever owns the mailbox is taking the account back.
    """
    assert_no_transaction("password_reset_confirm")
    pk = uid_decode(uid)
    gamer = Gamer.objects.filter(pk=pk, is_active=True).first() if pk is not None else None
    if gamer is None or not password_reset_tokens.check_token(gamer, token):
        raise _invalid_reset_link()
    _validate(new_password, gamer, "new_password")
    old_hash, was_verified = gamer.password, gamer.email_verified
    gamer.set_password(new_password)
    with transaction.atomic():
        updated = Gamer.objects.filter(pk=gamer.pk, password=old_hash, email=gamer.email).update(
            password=gamer.password, email_verified=True
        )
        if not updated:
            raise _invalid_reset_link()  # used by a racing request, or the email changed
        if not was_verified:
            _identities_drop(gamer)
        refresh_tokens_revoke(user_id=gamer.pk)
    password_changed(new_password, user=gamer)


def _identities_drop(gamer: Gamer) -> None:
    identities = SocialAccount.objects.filter(user=gamer)
    discord_uids = set(identities.filter(provider=SocialAccount.Provider.DISCORD).values_list("uid", flat=True))
    identities.delete()
    if gamer.discord_id is not None and gamer.discord_id in discord_uids:
        Gamer.objects.filter(pk=gamer.pk).update(discord_id=None)


def logout_everywhere(*, gamer: Gamer) -> int:
    """POST /auth/logout-all: every refresh token of the account is revoked (access tokens run
    out within ACCESS_TOKEN_MINUTES). Returns how many."""
    return refresh_tokens_revoke(user_id=gamer.pk)
