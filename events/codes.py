"""Signed ticket codes and their QR codes.

A ticket's stored `code` is random (events.rules.new_ticket_code). What a ticket shows (the API's
`code` and the QR code) is that code signed with Django's `signing.Signer` (HMAC-SHA256 keyed by
SECRET_KEY, with a salt of its own, so no other signed value of the project verifies as a ticket):
`7KQ3-M9XT-4HPA:<signature>`. Check-in verifies the signature before any lookup, so a forged or
mistyped code is refused without touching the database. Rotating SECRET_KEY keeps old tickets
valid while the old key is in SECRET_KEY_FALLBACKS.
"""

from __future__ import annotations

from functools import lru_cache

import segno
from django.core import signing

SALT = "gameconnect.events.ticket"
SIGNED_CODE_MAX = 100


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def signed_code(code: str) -> str:
    """What the ticket shows and its QR code holds: `code:signature`."""
    return _signer().sign(code)


def verified_code(text: str) -> str | None:
    """The stored code inside a signed code, or None when the signature doesn't verify."""
    text = text.strip()
    if not text or len(text) > SIGNED_CODE_MAX:
        return None
    try:
        return _signer().unsign(text)
    except signing.BadSignature:
        return None


@lru_cache(maxsize=2048)
def qr_svg(text: str) -> str:
    """An inline SVG QR code of `text` (error correction M, automatic mask): about 3 ms to make,
    so the last ones made are kept per process."""
    return segno.make_qr(text, error="m").svg_inline(scale=4, title="Ticket QR code")
