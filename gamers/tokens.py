"""Signed tokens for the links mailed to an account (SPEC §2 "Account lifecycle").

Both are Django's `PasswordResetTokenGenerator` (an HMAC of the account's state and a timestamp,
keyed by SECRET_KEY): nothing is stored, and a token dies when the state it covers changes.

- Password reset: Django's own generator. Its hash covers the password hash, so the link works
  once (the reset changes the hash), and it expires after PASSWORD_RESET_TIMEOUT (an hour).
- Email verification: its own salt, and a hash over the account id and its email, so a link
  mailed to an old address dies when the email changes; not over `email_verified`, so
  following a link twice verifies once and answers the same. Valid EMAIL_VERIFY_TIMEOUT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

if TYPE_CHECKING:
    from gamers.models import Gamer

EMAIL_VERIFY_TIMEOUT = 3 * 24 * 3600  # seconds: a verification mail may sit unread for a weekend


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "gamers.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user: Gamer, timestamp: int) -> str:
        return f"{user.pk}:{user.email}:{timestamp}"

    def check_token(self, user: Gamer | None, token: str | None) -> bool:
        """Django's check with this generator's own lifetime (Django's reads
        PASSWORD_RESET_TIMEOUT, an hour here, too short for a verification mail)."""
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return 0 <= self._num_seconds(self._now()) - ts <= EMAIL_VERIFY_TIMEOUT


password_reset_tokens = PasswordResetTokenGenerator()
email_verification_tokens = EmailVerificationTokenGenerator()


def uid_encode(pk: int) -> str:
    return urlsafe_base64_encode(force_bytes(pk))


def uid_decode(uid: str) -> int | None:
    """The account id a link carries, or None when `uid` is not one we made."""
    try:
        text = urlsafe_base64_decode(uid).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and len(text) < 19 else None
