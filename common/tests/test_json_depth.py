"""Deeply nested JSON is a 400 `json_too_deep` on every JSON endpoint, never a 500 (SPEC §1).

Python's json raises RecursionError near 1,000 levels; common/parsers.py measures the depth
before decoding."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.parsers import json_depth, json_too_deep
from common.roles import Role
from conftest import client_for, make_gamer
from moderation.tests.matrix import ROWS, build_world
from moderation.tests.test_permission_matrix import api_endpoints

DEEP = '{"x": ' + "[" * 1000 + "]" * 1000 + "}"


# --- the depth scan --------------------------------------------------------------------------


def _real_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_real_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_real_depth(v) for v in value), default=0)
    return 0


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,: \n\u2028'),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text('[]{}"\\x'), children, max_size=3),
    max_leaves=30,
)


@given(_json)
def test_the_scan_measures_what_the_decoder_would_nest(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    assert json_depth(text) == _real_depth(value)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("{}", 1),
        ("[[[]]]", 3),
        ('{"a": "[[[[[[", "b": [1]}', 2),
        ('["\\"[[[[", {"k": "\\\\"}]', 2),
        ('"just a string"', 0),
        ("12", 0),
        ("", 0),
    ],
)
def test_brackets_inside_strings_do_not_count(text: str, depth: int) -> None:
    assert json_depth(text) == depth


def test_a_hostile_body_is_scanned_in_linear_time() -> None:
    # Escaped quotes and unclosed strings would make a naive string regex quadratic.
    for text in ('"' + '\\"' * 1_000_000, '"a' * 1_000_000, "[]," * 1_000_000, "[" * 2_000_000):
        started = time.perf_counter()
        json_depth(text)
        assert time.perf_counter() - started < 2, text[:20]


def test_the_limit_is_json_max_depth(settings: Any) -> None:
    settings.JSON_MAX_DEPTH = 3
    assert not json_too_deep("[[[1]]]")
    assert json_too_deep("[[[[1]]]]")


# --- every JSON endpoint ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_thousand_deep_body_is_400_on_every_json_endpoint(settings: Any) -> None:
    """Driven from the URL list: every POST/PUT/PATCH route under /api/v1/ (api_endpoints(),
    from get_resolver(); the permission matrix must have a row for each, which gives its path
    with the ids of real objects) gets a 1,000-deep body from an admin, so authentication and
    permissions pass. Rule: the answer is 400 `{"detail", "code": "json_too_deep"}`, except for
    a route listed in NO_BODY, which never reads a body (it answers what it answers without
    one); never a 5xx."""
    no_body = {  # these take no input today
        ("auth-discord-link-code", "POST"),
        ("auth-email-verify-resend", "POST"),
        ("auth-logout-all", "POST"),
        ("event-bookmark", "POST"),
        ("leaderboard-score-confirm", "POST"),
        ("leaderboard-scores-batch", "POST"),  # a GameKey first: 401 to a token (its own depth test: test_batch)
        ("my-calendar-key", "POST"),
        ("my-ticket-cancel", "POST"),
        ("session-leave", "POST"),
        ("session-like", "POST"),
    }
    # Social login reads its body only when the provider is configured (else 503 first).
    settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET = "client-id", "client-secret"
    settings.DISCORD_CLIENT_ID, settings.DISCORD_CLIENT_SECRET = "client-id", "client-secret"
    rows = {(row.name, row.method): row for row in ROWS}
    writes = sorted((name, method) for name, method in api_endpoints() if method in {"POST", "PUT", "PATCH"})
    assert len(writes) > 20
    failures = []
    for name, method in writes:
        assert (name, method) in rows, f"{method} {name} has no permission-matrix row to build its path from"
        owner = make_gamer(f"owner {name} {method}"[:50])
        caller = make_gamer(f"admin {name} {method}"[:50], role=Role.ADMIN)
        path = rows[(name, method)].path(build_world(owner, caller))
        response = getattr(client_for(caller), method.lower())(path, DEEP, content_type="application/json")
        if (name, method) in no_body:
            if response.status_code >= 500:
                failures.append(f"{method} {path}: {response.status_code}")
            continue
        body = response.json() if response.status_code < 500 else None
        if response.status_code != 400 or body is None or body.get("code") != "json_too_deep":
            failures.append(f"{method} {path}: {response.status_code} {body}")
        else:
            assert "64" in body["detail"]
    assert not failures, failures


@pytest.mark.django_db
def test_a_body_in_a_compression_codec_is_refused(api: Any) -> None:
    import bz2

    body = bz2.compress(b'{"login": "' + b"a" * 100_000 + b'", "password": "x"}')
    response = api.post("/api/v1/auth/token", body, content_type="application/json; charset=bz2_codec")
    assert response.status_code == 400


@pytest.mark.django_db
def test_valid_json_still_parses_including_non_ascii(api: Any) -> None:
    make_gamer("émile joueur")
    response = api.post("/api/v1/auth/token", {"login": "ÉMILE JOUEUR", "password": "S3cure-pass!"}, format="json")
    assert response.status_code == 200
    assert api.post("/api/v1/auth/token", b"{not json", content_type="application/json").status_code == 400
