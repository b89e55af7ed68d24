"""Every endpoint x every persona answers what the spec says (see matrix.py for the table)."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from common.roles import Role
from conftest import client_for, make_gamer
from moderation.tests.matrix import ANON, MOD, OWNER, PERSONAS, ROWS, Row, build_world

pytestmark = pytest.mark.django_db
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def api_endpoints() -> set[tuple[str, str]]:
    """(URL name, METHOD) for every view under /api/v1/."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p

    found = set()
    for route, pattern in walk(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "cls", None)
        if not route.startswith("api/v1/") or view_class is None:
            continue
        for method in HTTP_METHODS:
            if hasattr(view_class, method):
                found.add((pattern.name, method.upper()))
    return found


def test_every_api_endpoint_has_a_row_in_the_matrix():
    rows = {(row.name, row.method) for row in ROWS}
    missing = sorted(api_endpoints() - rows)
    stale = sorted(rows - api_endpoints())
    assert not missing, f"endpoints without a permission-matrix row: {missing}"
    assert not stale, f"matrix rows for endpoints that don't exist: {stale}"


def _caller(persona: str, owner):
    if persona == ANON:
        return None
    if persona == OWNER:
        return owner
    role = {MOD: Role.MODERATOR, "admin": Role.ADMIN}.get(persona, Role.GAMER)
    return make_gamer(f"{persona} persona", role=role)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.method} {r.name}")
def test_matrix_cell(row: Row, persona: str, api):
    owner = make_gamer("the owner")
    caller = _caller(persona, owner)
    world = build_world(owner, caller)
    client = client_for(caller) if caller is not None else api
    response = getattr(client, row.method.lower())(row.path(world), row.body(world), format=row.fmt)
    expected = row.status_for(persona)
    assert response.status_code == expected, (
        f"{row.method} {row.path(world)} as {persona}: {response.status_code} {getattr(response, 'data', '')!r}"
    )
    if response.status_code >= 400:
        body = response.json()
        assert ("detail" in body and "code" in body) or response.status_code == 400, body
