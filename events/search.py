"""Substring search of events through an index, on PostgreSQL and on SQLite.

What is searched is `Event.search_text`: title, description and location folded in Python by
`events.rules.fold` (case folded, accents dropped) when the row is saved; a query is folded the
same way and split into terms, and an event matches when its text contains every term. Both
databases answer exactly that (`search_text LIKE '%term%'` for each term); the index only
finds the candidates faster:

* PostgreSQL: a `pg_trgm` GIN index (`gin_trgm_ops`) on `search_text` (migration 0003) serves
  `LIKE '%term%'` directly: the planner intersects the posting lists of the term's trigrams and
  rechecks the candidates, so the selector writes the plain `__contains` filter.
* SQLite: an FTS5 table `events_event_search` with the `trigram` tokenizer (SQLite >= 3.34),
  whose content is `events_event.search_text` itself (an "external content" table: it stores
  only the index), kept in step by triggers on insert, delete and update of `search_text`, so
  `bulk_create`, raw SQL and the admin keep it right too. A phrase query `"term"` over
  trigrams is exactly a substring test (case-sensitive tokenizer over already folded text).

A term shorter than 3 characters has no trigram: SQLite's FTS can't answer it, so it is
matched with `LIKE` on the table (a scan, still correct); PostgreSQL's index degrades the same
way and its planner picks the scan.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

TRIGRAM = 3
FTS_TABLE = "events_event_search"
SEARCH_MIGRATION = ("events", "0003_search_index")

# The SQLite index: table and triggers (migration 0003 holds a frozen copy of these statements).
SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "search_text, content='events_event', content_rowid='id', tokenize='trigram case_sensitive 1')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON events_event BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON events_event BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update AFTER UPDATE OF search_text ON events_event BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
)
SQLITE_TRIGGERS = (f"{FTS_TABLE}_insert", f"{FTS_TABLE}_delete", f"{FTS_TABLE}_update")
SQLITE_REBUILD = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"


@cache
def _sqlite_library_has_trigram_fts() -> bool:
    """FTS5 with the trigram tokenizer: SQLite >= 3.34 built with FTS5 (a property of the
    library this process loaded, so asked once)."""
    import sqlite3

    if sqlite3.sqlite_version_info < (3, 34, 0):
        return False
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x, tokenize='trigram')")
    except sqlite3.Error:
        return False
    finally:
        probe.close()
    return True


def uses_fts(connection: BaseDatabaseWrapper) -> bool:
    """Whether search on this database goes through the SQLite FTS5 trigram table."""
    return connection.vendor == "sqlite" and _sqlite_library_has_trigram_fts()


def fts_phrases(terms: list[str]) -> str:
    """An FTS5 query that matches text containing every term: each term a quoted phrase
    (a `"` inside doubled), the phrases joined by FTS5's implicit AND."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def search_filter(queryset: QuerySet[Any], terms: list[str]) -> QuerySet[Any]:
    """`queryset` (of events) narrowed to those whose folded text contains every term."""
    if terms and uses_fts(connections[queryset.db]):
        indexed = [term for term in terms if len(term) >= TRIGRAM]
        if indexed:
            matching = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (fts_phrases(indexed),))
            queryset = queryset.filter(id__in=matching)
        terms = [term for term in terms if len(term) < TRIGRAM]
    for term in terms:
        queryset = queryset.filter(search_text__contains=term)
    return queryset


def ensure_search_index(*, using: str = "default", **kwargs: Any) -> None:
    """After `migrate` (post_migrate): on SQLite, put back the FTS table's triggers if a schema
    change dropped them, and rebuild the index from the table then.

    Django's SQLite schema editor changes a table by copying it into a new one and dropping the
    old, which drops the triggers with it; a later migration of `Event` would otherwise leave the
    index silently stale. Nothing to do before migration 0003 ran (or after it was reversed).
    """
    connection = connections[using]
    if not uses_fts(connection):
        return
    if SEARCH_MIGRATION not in MigrationRecorder(connection).applied_migrations():
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name IN (%s, %s, %s, %s)", [FTS_TABLE, *SQLITE_TRIGGERS])
        present = {row[0] for row in cursor.fetchall()}
        if present == {FTS_TABLE, *SQLITE_TRIGGERS}:
            return
        for statement in SQLITE_CREATE:
            cursor.execute(statement)
        cursor.execute(SQLITE_REBUILD)
