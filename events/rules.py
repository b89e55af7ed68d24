"""Pure event rules (no Django import): search folding, order and ticket codes, cancellation
deadlines and who a waiting list offers freed seats to."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

TICKETS_PER_ORDER_MAX = 10
SEARCH_TERMS_MAX = 8

# Crockford-style alphabet without look-alikes (no 0/O, 1/I/L, U): codes are read aloud at the door.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS = 2
CODE_GROUP_LEN = 4
CODE_PREFIX = "GC"
# A ticket code: 3 groups of 4 (30^12 ≈ 5.3e17, 59 bits): unguessable even before its signature.
TICKET_CODE_GROUPS = 3

_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'})


def fold(text: str) -> str:
    """Case-folded, accent-stripped, whitespace-collapsed text: what search compares.

    "Café  Théâtre" -> "cafe theatre"; the ligature "ﬁ" -> "fi"; curly quotes become straight.
    Folding twice gives the same result (`fold(fold(x)) == fold(x)`).
    """
    text = text.translate(_QUOTES)
    for _ in range(4):  # case folding can expose new combining marks; repeat until stable
        decomposed = unicodedata.normalize("NFKD", text)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
        folded = _SPACES.sub(" ", folded).strip()
        if folded == text:
            break
        text = folded
    return text


def search_document(*parts: str) -> str:
    """The denormalised search column of an event: its folded title, description and location."""
    return "\n".join(fold(part) for part in parts if part)


def city_key(city: str) -> str:
    """What the `city` filter compares: folded, cut to the column's 100 characters."""
    return fold(city)[:100]


def search_terms(query: str) -> list[str]:
    """Folded words of a search query; an event matches when it contains every one of them."""
    terms = [term for term in fold(query).split(" ") if term]
    return terms[:SEARCH_TERMS_MAX]


def new_order_code() -> str:
    """A random, human-friendly order code such as `GC-7KQ3-M9XT` (30^8 ≈ 6.6e11 codes)."""
    groups = ("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LEN)) for _ in range(CODE_GROUPS))
    return "-".join([CODE_PREFIX, *groups])


def quantity_problem(quantity: object) -> str | None:
    """A human sentence when `quantity` is not a whole number of tickets from 1 to 10."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        return "The quantity must be a whole number."
    if not 1 <= quantity <= TICKETS_PER_ORDER_MAX:
        return f"You can buy 1 to {TICKETS_PER_ORDER_MAX} tickets per order."
    return None


def new_ticket_code() -> str:
    """A random ticket code such as `7KQ3-M9XT-4HPA` (30^12 ≈ 5.3e17 codes), one per seat."""
    return "-".join(
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LEN)) for _ in range(TICKET_CODE_GROUPS)
    )


def cancel_deadline(starts_at: datetime, hours: float) -> datetime:
    """The last moment an order for an event starting at `starts_at` can be cancelled."""
    return starts_at - timedelta(hours=hours)


def can_cancel(*, starts_at: datetime, now: datetime, hours: float) -> bool:
    """Cancelling is allowed strictly before the deadline (at the deadline it is too late)."""
    return now < cancel_deadline(starts_at, hours)


def offers_for(free: int, waiting: Iterable[tuple[int, int]]) -> list[int]:
    """Which waiters get seats held when `free` seats are free: first fit, in queue order.

    `waiting` is `(entry_id, quantity)` in queue order. Each waiter in turn whose quantity fits in
    what is still free gets it held; a waiter who wants more than is left keeps their place (and
    gets the next seats that make their quantity fit) while a smaller request behind them is served.
    """
    chosen: list[int] = []
    for entry_id, quantity in waiting:
        if free <= 0:
            break
        if quantity <= free:
            chosen.append(entry_id)
            free -= quantity
    return chosen
