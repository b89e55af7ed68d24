"""Pure account rules (no Django import): username shape and its case-insensitive key."""

from __future__ import annotations

import re
import unicodedata

USERNAME_MIN = 4
USERNAME_MAX = 50
_SPACES = re.compile(r"\s+")


def clean_username(raw: str) -> str:
    """Trim and collapse inner whitespace runs to one space; NFC so look-alikes compare equal."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip()


def username_key(username: str) -> str:
    """What uniqueness is checked on: case-folded, compatibility-normalised, spaces collapsed.

    NFKC and case folding can each expose new spaces or forms (e.g. "¯" becomes " ̄"), so the
    steps repeat until the key is stable: the key of a key is itself.
    """
    key = username
    for _ in range(5):
        new = clean_username(unicodedata.normalize("NFKC", key)).casefold()
        if new == key:
            break
        key = new
    return key


def username_problem(username: str) -> str | None:
    """A human sentence if the (cleaned) username is not acceptable, else None."""
    if len(username) < USERNAME_MIN or len(username) > USERNAME_MAX:
        return f"Usernames are {USERNAME_MIN} to {USERNAME_MAX} characters long."
    for ch in username:
        category = unicodedata.category(ch)
        if category.startswith("C") and ch != " ":
            return "Usernames can't contain control or invisible characters."
    if "@" in username:
        return "Usernames can't contain '@' (it is how we tell them from emails at sign-in)."
    return None


def normalize_email(email: str) -> str:
    return email.strip().lower()
