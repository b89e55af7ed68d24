"""URL converters shared by every app."""

from __future__ import annotations

from django.urls import register_converter

BIGINT_MAX = 2**63 - 1


class RowIdConverter:
    """`<id:pk>`: a positive bigint. Longer digit strings don't match (404) instead of
    overflowing the database driver (`pk=10**30` is a 500 on SQLite and PostgreSQL)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > BIGINT_MAX:
            raise ValueError("out of range")  # the URL doesn't match: 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


def register() -> None:
    register_converter(RowIdConverter, "id")
