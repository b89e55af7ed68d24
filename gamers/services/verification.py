"""Email verification (SPEC §2 "Account lifecycle"): the mailed link and following it.

A sign-up, an email change and a social sign-up whose provider didn't vouch for the address
mail a link to `SITE_URL/verify-email?uid=..&token=..`; that page posts both to
`POST /auth/email/verify`. The token (gamers.tokens) covers the account id and its email, so a
link for an address the account no longer uses is refused.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext

from common.errors import Conflict, InvalidInput
from common.mail import mail_send_on_commit
from gamers.models import Gamer
from gamers.tokens import EMAIL_VERIFY_TIMEOUT, email_verification_tokens, uid_decode, uid_encode


def site_link(path: str, **query: str) -> str:
    """An absolute link to a page of SITE_URL, for mails."""
    return f"{settings.SITE_URL.rstrip('/')}{path}?{urlencode(query)}"


def email_verification_send(*, gamer: Gamer) -> None:
    """Mail a verification link for the account's current email, once the current transaction
    commits (at once outside one)."""
    link = site_link("/verify-email", uid=uid_encode(gamer.pk), token=email_verification_tokens.make_token(gamer))
    body = render_to_string(
        "mail/email_verify.txt",
        {"username": gamer.username, "email": gamer.email, "link": link, "days": EMAIL_VERIFY_TIMEOUT // 86400},
    )
    mail_send_on_commit(to=gamer.email, subject="Confirm your GameConnect email address", body=body)


def email_verification_resend(*, gamer: Gamer) -> None:
    """POST /auth/email/verify/resend: a new link, unless the email is verified (409)."""
    if Gamer.objects.filter(pk=gamer.pk, email_verified=True).exists():
        raise Conflict(gettext("Your email address is already verified."), code="already_verified")
    email_verification_send(gamer=gamer)


def _invalid_link() -> InvalidInput:
    return InvalidInput(
        gettext(
            "This verification link is invalid or has expired, or your account now uses another email "
            "address. Ask for a new link from your account page."
        ),
        code="invalid_token",
    )


def email_verify(*, uid: str, token: str) -> Gamer:
    """Follow a verification link: the account's email becomes verified. Following it again is
    the same success. 400 `invalid_token` for a forged or expired token, or one mailed to an
    address the account no longer uses."""
    pk = uid_decode(uid)
    gamer = Gamer.objects.filter(pk=pk).first() if pk is not None else None
    if gamer is None or not email_verification_tokens.check_token(gamer, token):
        raise _invalid_link()
    if not gamer.email_verified:
        # Conditional on the email the token was checked against: a change racing this
        # request leaves the new address pending.
        if not Gamer.objects.filter(pk=gamer.pk, email=gamer.email).update(email_verified=True):
            raise _invalid_link()
        gamer.email_verified = True
    return gamer
