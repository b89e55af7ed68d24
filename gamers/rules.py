"""Pure account rules (no Django import): username shape, its case-insensitive key and its
look-alike skeleton."""

from __future__ import annotations

import functools
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


# The stored derived columns (Gamer.username_key, Gamer.username_skeleton) are this long at most.
DERIVED_MAX = 200


def username_problem(username: str) -> str | None:
    """A human sentence if the (cleaned) username is not acceptable, else None."""
    if len(username) < USERNAME_MIN or len(username) > USERNAME_MAX:
        return f"Usernames are {USERNAME_MIN} to {USERNAME_MAX} characters long."
    if len(username_skeleton(username)) > DERIVED_MAX or len(username_key(username)) > DERIVED_MAX:
        # A few characters spell out to many (NFKC turns U+FDFA into 18 letters).
        return "That username is too long once its characters are spelled out; use fewer ligatures."
    for ch in username:
        category = unicodedata.category(ch)
        if category.startswith("C") and ch != " ":
            return "Usernames can't contain control or invisible characters."
    if "@" in username:
        return "Usernames can't contain '@' (it is how we tell them from emails at sign-in)."
    return None


# --- look-alike usernames (Unicode TR39 confusables) -------------------------------------


@functools.cache
def _prototypes() -> dict[str, str]:
    """Each confusable character -> its prototype, from Unicode's confusables table (TR39) as
    shipped by `confusable_homoglyphs`.

    That package stores the table both ways (a source lists its prototype, a prototype lists its
    sources), so every group of look-alikes is a star around its prototype. The centre is the
    member linked to all the others; in a pair, a multi-character member is the prototype
    (sources are single code points, e.g. "m" -> "rn"), else either serves as the group's name.
    """
    from confusable_homoglyphs.confusables import confusables_data  # type: ignore[import-untyped]  # no type information published

    def clean(text: str) -> str:
        return text.replace("\u200e", "")  # the package wraps right-to-left characters in LRM marks

    linked: dict[str, set[str]] = {}
    for key, entries in confusables_data.items():
        for entry in entries:
            a, b = clean(key), clean(entry["c"])
            linked.setdefault(a, set()).add(b)
            linked.setdefault(b, set()).add(a)
    prototypes: dict[str, str] = {}
    for node, neighbours in linked.items():
        if len(node) != 1:
            continue  # a prototype sequence ("rn"): nothing maps from it
        if len(neighbours) == 1:
            (other,) = neighbours
            if len(linked[other]) > 1 or len(other) > 1:
                prototypes[node] = other  # a source of a larger group, or of a sequence
            elif other < node:
                prototypes[node] = other  # a pair of single characters: the smaller names it
        # else: `node` is the centre of its group, a prototype: it maps to itself
    return prototypes


def username_skeleton(username: str) -> str:
    """What look-alike checks compare: two usernames with the same skeleton look the same.

    Unicode TR39's skeleton (NFD, each character replaced by its confusables prototype, NFD
    again) of the case-folded username key, repeated until stable: Cyrillic "\u0430" and Greek "\u03bf"
    become Latin "a" and "o", fullwidth letters their ASCII forms, "0" an "o", "1" an "l", and
    "m" the sequence "rn" (so "modern" and "modem" share one). Usernames are compared case-
    insensitively, so the skeleton is too: capital "I" and small "l" are told apart, as "i" and
    "l" are.
    """
    prototypes = _prototypes()
    text = username
    for _ in range(8):
        # A prototype may itself be a compatibility form ("º" for "o"): key it again each round.
        mapped = "".join(prototypes.get(ch, ch) for ch in unicodedata.normalize("NFD", username_key(text)))
        new = unicodedata.normalize("NFD", mapped).casefold()
        if new == text:
            break
        text = new
    return text


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
