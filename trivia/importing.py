"""Reading question banks (pure, no Django): jService JSON and our CSV, row by row.

Each reader yields one `RawEntry` per source row, or None for a row too malformed to read,
so the caller can count what it skipped. Validation of the values themselves (answer shape,
value range) is the service's job (`trivia.services.entries.entries_import`).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

CSV_HEADER = ["category", "clue", "answer", "value"]
_TAGS = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class RawEntry:
    category: str
    clue: str
    answer: str
    value: int


def _text(raw: Any) -> str | None:
    if not isinstance(raw, str):
        return None
    text = html.unescape(_TAGS.sub("", raw)).replace("\\", "")
    return " ".join(text.split())


def _int(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    return None


def jservice_value(raw: Any) -> int | None:
    """Our 10-100 scale from a jService value: 10-100 as is; the Jeopardy board's 200-2000 (in
    hundreds) divided by ten and capped at 100. Anything else (null, odd amounts) is invalid."""
    value = _int(raw)
    if value is None:
        return None
    if 10 <= value <= 100:
        return value
    if 100 < value <= 2000 and value % 100 == 0:
        return min(100, value // 10)
    return None


def read_jservice(text: str) -> Iterator[RawEntry | None]:
    """`[{id, question, answer, value, category: {title}}]`. Raises ValueError if not such a list."""
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("a jService file is a JSON list of clues")
    for row in data:
        if not isinstance(row, dict):
            yield None
            continue
        category = row.get("category")
        title = _text(category.get("title")) if isinstance(category, dict) else _text(category)
        clue, answer, value = _text(row.get("question")), _text(row.get("answer")), jservice_value(row.get("value"))
        if not title or not clue or not answer or value is None:
            yield None
            continue
        yield RawEntry(category=title, clue=clue, answer=answer, value=value)


def read_csv(text: str) -> Iterator[RawEntry | None]:
    """`category,clue,answer,value` rows; a header row with those names is skipped."""
    reader = csv.reader(io.StringIO(text))
    for index, row in enumerate(reader):
        if index == 0 and [cell.strip().lower() for cell in row] == CSV_HEADER:
            continue
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 4:
            yield None
            continue
        category, clue, answer = (" ".join(cell.split()) for cell in row[:3])
        value = _int(row[3])
        if not category or not clue or not answer or value is None:
            yield None
            continue
        yield RawEntry(category=category, clue=clue, answer=answer, value=value)


def read_bank(text: str, *, filename: str = "") -> Iterator[RawEntry | None]:
    """Pick the reader by extension, else by content (a JSON list starts with `[`)."""
    name = filename.lower()
    if name.endswith(".json") or (not name.endswith(".csv") and text.lstrip().startswith("[")):
        return read_jservice(text)
    return read_csv(text)
