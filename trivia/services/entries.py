"""The question bank: create, edit, delete, import."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from common.errors import NotFound
from trivia import rules
from trivia.importing import RawEntry
from trivia.models import Entry
from trivia.services.moderation import entry_set_banned

TEXT_LIMITS = {"category": 100, "clue": 1000}


def _cleaned(fields: dict[str, Any]) -> dict[str, Any]:
    """Clean and check the given entry fields; raises ValidationError({field: [message]})."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for name in ("category", "clue", "answer"):
        if name in fields:
            value = rules.clean_text(str(fields[name]))
            limit = TEXT_LIMITS.get(name)
            if not value:
                errors[name] = ["This field may not be blank."]
            elif limit and len(value) > limit:
                errors[name] = [f"At most {limit} characters."]
            out[name] = value
    if "answer" in out and "answer" not in errors and (problem := rules.answer_problem(out["answer"])):
        errors["answer"] = [problem]
    if "value" in fields:
        if problem := rules.value_problem(fields["value"]):
            errors["value"] = [problem]
        out["value"] = fields["value"]
    if errors:
        raise ValidationError(errors)
    return out


def entry_create(*, category: str, clue: str, answer: str, value: int, banned: bool = False) -> Entry:
    data = _cleaned({"category": category, "clue": clue, "answer": answer, "value": value})
    return Entry.objects.create(**data, banned=banned)


@transaction.atomic
def entry_update(*, actor: Any, entry_id: int, reason: str = "", **fields: Any) -> Entry:
    """Edit an entry. Changing `banned` here is a ban/unban and is audited like one. A round
    being played keeps the text it started with."""
    entry = Entry.objects.select_for_update().filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("No entry with that id.")
    banned = fields.pop("banned", None)
    data = _cleaned(fields)
    for name, value in data.items():
        setattr(entry, name, value)
    if data:
        entry.save(update_fields=list(data))
    if banned is not None:
        entry_set_banned(actor=actor, entry=entry, banned=bool(banned), reason=reason or "entries API")
    return entry


def entry_delete(*, entry_id: int) -> None:
    """Delete an entry (its report goes with it; past rounds keep their copy of the text)."""
    if Entry.objects.filter(pk=entry_id).delete()[0] == 0:
        raise NotFound("No entry with that id.")


@dataclass(frozen=True)
class ImportResult:
    created: int
    invalid: int
    duplicates: int


def _key(category: str, clue: str, answer: str) -> tuple[str, str]:
    return rules.normalise(clue), rules.normalise(answer)


def entries_import(rows: Iterable[RawEntry | None], *, batch_size: int = 500) -> ImportResult:
    """Add rows to the bank in one transaction. Unreadable or invalid rows (None, bad answer or
    value, blank or oversized text) are counted in `invalid`; a clue+answer already in the bank
    or earlier in the file is counted in `duplicates`."""
    seen = {_key(*row) for row in Entry.objects.values_list("category", "clue", "answer").iterator()}
    new: list[Entry] = []
    invalid = duplicates = 0
    for row in rows:
        if row is None:
            invalid += 1
            continue
        try:
            data = _cleaned({"category": row.category, "clue": row.clue, "answer": row.answer, "value": row.value})
        except ValidationError:
            invalid += 1
            continue
        key = _key(data["category"], data["clue"], data["answer"])
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        new.append(Entry(**data))
    with transaction.atomic():
        Entry.objects.bulk_create(new, batch_size=batch_size)
    return ImportResult(created=len(new), invalid=invalid, duplicates=duplicates)
