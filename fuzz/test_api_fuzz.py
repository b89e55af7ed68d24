"""Schema-driven fuzzing of the whole REST API (schemathesis, in-process WSGI).

Every operation of the OpenAPI schema served at /api/schema/ is called with generated inputs
(schemathesis' coverage phase: boundary and invalid values; then Hypothesis' random fuzzing) as
an anonymous client, a gamer and an admin. No response may be a 5xx, and each must match the
documented status codes, content type, headers and body schema. See docs/hardening.md.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi import checks as oas

from fuzz.app import wsgi_app
from fuzz.conftest import STATS
from fuzz.permissions import matrix_allows_gamer
from fuzz.providers import providers_configure, providers_mocked
from fuzz.world import World, world_build
from leaderboard.boards import breaker_reset
from leaderboard.games import catalog_invalidate
from leaderboard.rebuild import boards_rebuild

# Random cases per test on top of the boundary-value (coverage) cases, which don't depend on it.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "5"))
DERANDOMIZE = os.environ.get("FUZZ_DERANDOMIZE", "1") != "0"

# About two minutes of CPU: CI runs it on PostgreSQL + Redis (NUL bytes, integer overflow and
# strict types bite there); FUZZ_EMBEDDED=1 runs it on the embedded defaults too.
pytestmark = [] if os.environ.get("FUZZ_EMBEDDED") == "1" else [pytest.mark.postgres]

CHECKS = [
    schemathesis.checks.not_a_server_error,
    oas.status_code_conformance,
    oas.content_type_conformance,
    oas.response_headers_conformance,
    oas.response_schema_conformance,
    oas.missing_required_header,
    oas.unsupported_method,
    oas.allow_header_conformance,
    oas.ignored_auth,
]
if os.environ.get("FUZZ_STRICT") == "1":
    # Exploration only: these also flag DRF's documented leniency (see docs/hardening.md).
    CHECKS += [oas.negative_data_rejection, oas.positive_data_acceptance]

schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app())


@pytest.fixture(scope="module")
def module_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """Built once for the module (a few hundred ms each time counts over ~140 tests), inside a
    transaction rolled back at the end; each test's own transaction and each case's savepoint
    nest inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield world_build()
        transaction.set_rollback(True)


@pytest.fixture
def world(module_world: World, db: Any, settings: Any) -> Iterator[World]:
    providers_configure(settings)
    breaker_reset()
    catalog_invalidate()
    boards_rebuild(stream=io.StringIO())  # every test starts on an emptied Redis
    with providers_mocked():
        yield module_world


@contextmanager
def rolled_back() -> Iterator[None]:
    """Each case runs after a savepoint that is rolled back to: a deleted account, a role change
    or a sold-out event never leaks into the next case, and every case meets the same world.

    A bare savepoint (`transaction.savepoint()`, Django's documented API), not a nested `atomic`
    block: the innermost block stays the test's own, as during any test, so services that must
    run outside a transaction (`assert_no_transaction`: sign-up, password change and reset)
    accept the case as they accept pytest-django's test transaction."""
    sid = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(sid)


def point_at_world(case: Any, world: World) -> None:
    """Map some valid generated path values onto rows that exist (chosen from the value itself, so
    Hypothesis still shrinks and replays it); invalid values are left alone."""
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    path = case.operation.path.removeprefix("/api/v1/")
    for name, value in list((case.path_parameters or {}).items()):
        known = world.ids.get(path.split("/{" + name + "}")[0])
        if not known:
            continue
        if isinstance(value, str):
            value = int(value) if value.isdigit() else len(value)
        if isinstance(value, int):
            index = value % (len(known) + 1)
            if index < len(known):
                case.path_parameters[name] = known[index]


def anonymous_allowed(ctx: Any) -> bool:
    """Operations a client without a token may call (no security, or `{}` among the options).
    The others answer 401 before reading anything; the `ignored_auth` check covers them."""
    security = ctx.operation.definition.raw.get("security")
    return security is None or {} in security


def gamer_allowed(ctx: Any) -> bool:
    return matrix_allows_gamer(ctx.operation.method, ctx.operation.path)


fuzz_settings = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=DERANDOMIZE,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def fuzz_one(case: Any, world: World, persona: str) -> Any:
    point_at_world(case, world)
    headers = {"Authorization": f"Bearer {world.tokens[persona]}"} if persona in world.tokens else {}
    with rolled_back():
        response = case.call(headers=headers)
        STATS.record(persona=persona, operation=case.operation.label, status=response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)
    return response


@schema.parametrize()
@fuzz_settings
def test_api_as_admin(case: Any, world: World) -> None:
    fuzz_one(case, world, "admin")


@schema.include(gamer_allowed).parametrize()
@fuzz_settings
def test_api_as_gamer(case: Any, world: World) -> None:
    fuzz_one(case, world, "gamer")


@schema.exclude(gamer_allowed).parametrize()
@settings(fuzz_settings, phases=[Phase.generate])
def test_staff_operations_refuse_a_gamer(case: Any, world: World) -> None:
    """Staff-only operations (per the permission matrix) answer a gamer before reading the input,
    so random fuzzing alone checks them; the boundary-value phase would only repeat the 403."""
    response = fuzz_one(case, world, "gamer")
    assert not 200 <= response.status_code < 300, f"a gamer got {response.status_code}"


@schema.include(anonymous_allowed).parametrize()
@fuzz_settings
def test_api_anonymously(case: Any, world: World) -> None:
    fuzz_one(case, world, "anonymous")
