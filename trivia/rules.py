"""Pure trivia rules (SPEC §5 rules 2, 3 and 5). No Django import: plain functions, plain tests.

* masking: every letter and digit is hidden as `_`; the characters of ALWAYS_SHOWN stay visible,
  and so does any other character that is neither a letter nor a digit (e.g. `:` or `(`);
* revealing: one random hidden position at a time, never one already shown;
* value: `round(V * (n - k) / n)` after `k` reveals of `n` hidden characters, at least 1,
  rounding halves up (Python's `round` would round 2.5 to 2);
* matching: both sides normalised (case-folded, accents stripped, the always-shown punctuation
  other than the space removed, whitespace trimmed and collapsed) and compared.
"""

from __future__ import annotations

import random
import re
import unicodedata

HIDDEN = "_"
ALWAYS_SHOWN = frozenset(" '\"-.,;&/?!")
# The punctuation that normalising removes: every always-shown character except the space.
_REMOVED = str.maketrans("", "", "".join(sorted(ALWAYS_SHOWN - {" "})))
_SPACES = re.compile(r"\s+")
# What no database text column takes: NUL (PostgreSQL refuses it) and unpaired surrogates (not
# encodable as UTF-8; JSON's `\ud800` escape produces one).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

ATTEMPT_MAX_CHARS = 200
ANSWER_MAX_CHARS = 200
VALUE_MIN, VALUE_MAX, VALUE_STEP = 10, 100, 10


def is_hidden_char(ch: str) -> bool:
    """A character the mask hides: a letter or a digit that is not always shown."""
    return ch not in ALWAYS_SHOWN and ch.isalnum()


def mask(answer: str) -> str:
    return "".join(HIDDEN if is_hidden_char(ch) else ch for ch in answer)


def hidden_positions(answer: str, masked: str) -> list[int]:
    """Positions still hidden in `masked` (a mask of `answer` with some characters revealed)."""
    return [i for i, ch in enumerate(answer) if is_hidden_char(ch) and masked[i] == HIDDEN]


def hidden_count(answer: str, masked: str) -> int:
    return len(hidden_positions(answer, masked))


def reveal_one(answer: str, masked: str, rng: random.Random | None = None) -> tuple[str, int]:
    """Reveal one random hidden character. Returns the new mask and the revealed position.

    Raises ValueError when nothing is hidden. A position is never revealed twice because only
    still-hidden positions are candidates.
    """
    positions = hidden_positions(answer, masked)
    if not positions:
        raise ValueError("nothing left to reveal")
    position = (rng or random).choice(positions)
    return masked[:position] + answer[position] + masked[position + 1 :], position


def value_after(base_value: int, hidden_total: int, reveals: int) -> int:
    """The round's value after `reveals` of `hidden_total` characters were revealed (>= 1)."""
    if hidden_total <= 0:
        return max(1, base_value)
    remaining = max(0, hidden_total - reveals)
    # round-half-up of base * remaining / total, in integers.
    value = (2 * base_value * remaining + hidden_total) // (2 * hidden_total)
    return max(1, value)


def normalise(text: str) -> str:
    """The form attempts and answers are compared in (SPEC §5 rule 5)."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # Folding again catches characters whose decomposition exposes new upper-case forms.
    text = unicodedata.normalize("NFC", text).casefold().translate(_REMOVED)
    return _SPACES.sub(" ", text).strip()


def is_correct(attempt: str, answer: str) -> bool:
    expected = normalise(answer)
    return bool(expected) and normalise(attempt) == expected


def clean_text(text: str) -> str:
    """Trim and collapse whitespace (NFC), for clues, answers and categories as stored."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def answer_problem(answer: str) -> str | None:
    """Why an answer can't be played (a human sentence), or None."""
    if not answer:
        return "The answer can't be empty."
    if len(answer) > ANSWER_MAX_CHARS:
        return f"Answers are at most {ANSWER_MAX_CHARS} characters."
    if not any(is_hidden_char(ch) for ch in answer):
        return "The answer needs at least one letter or digit to guess."
    if not normalise(answer):
        return "The answer has nothing left to match once normalised."
    return None


def value_problem(value: object) -> str | None:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not VALUE_MIN <= value <= VALUE_MAX
        or value % VALUE_STEP
    ):
        return f"Values are {VALUE_MIN} to {VALUE_MAX} in steps of {VALUE_STEP}."
    return None


def is_single_emoji(text: str) -> bool:
    """One emoji, loosely: a pictographic symbol with only emoji joiners/modifiers around it.

    Accepts ZWJ sequences, skin tones, variation selectors, flags and keycaps; refuses letters,
    digits alone, spaces and plain punctuation. The byte limit is checked by the caller.
    """
    if not text or any(ch.isspace() for ch in text):
        return False
    pictographs = 0
    for ch in text:
        category = unicodedata.category(ch)
        if category == "So":
            pictographs += 1
        elif ch in "\u200d\ufe0f\ufe0e\u20e3" or category in {"Sk", "Mn", "Me"}:
            continue
        elif ch in "#*0123456789" and "\u20e3" in text:
            pictographs += 1  # keycap base, e.g. 1️⃣
        else:
            return False
    return pictographs >= 1
