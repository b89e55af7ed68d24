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


# --- usernames for accounts created by social login -------------------------------------

_SOCIAL_FALLBACK = "gamer"


def username_from_profile(*candidates: str | None) -> str:
    """A valid username base from what a provider told us (display name, handle, email local part).

    The first candidate that still has letters after cleaning wins: '@' and control or invisible
    characters are dropped, whitespace collapsed, the result cut to the maximum length, and a too
    short name padded (so "Jo" becomes "Jo gamer"). Uniqueness is the caller's job.
    """
    for raw in candidates:
        if not raw:
            continue
        kept = "".join(" " if ch.isspace() else ch for ch in raw if ch != "@" and not _invisible(ch))
        name = clean_username(kept)[:USERNAME_MAX].strip()
        if not name:
            continue
        if len(name) < USERNAME_MIN:
            name = f"{name} {_SOCIAL_FALLBACK}"
        return name
    return f"{_SOCIAL_FALLBACK} {_SOCIAL_FALLBACK}"


def username_with_suffix(base: str, number: int) -> str:
    """`base` with " <number>" appended, the base shortened so the whole fits the maximum length."""
    suffix = f" {number}"
    return clean_username(base[: USERNAME_MAX - len(suffix)]) + suffix


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch).startswith("C") and not ch.isspace()


# --- Discord link codes -----------------------------------------------------------------

# No 0/O, 1/I/L: the code is read off a screen and typed into Discord.
LINK_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LINK_CODE_LENGTH = 8


def link_code_normalize(raw: str) -> str:
    """What a user typed, as stored: upper-cased, without spaces or dashes (`abcd-efgh` works)."""
    return "".join(ch for ch in raw.upper() if ch not in " -\t")
