"""Root fixtures: personas with authenticated API clients, clean Redis, fast settings."""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis
import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from rest_framework.test import APIClient

from common.roles import Role

# Property-based tests: no per-example deadline. Hypothesis's default (200 ms) measures the
# machine, not the code: a pure rule's example took 303 ms on a loaded CI machine and failed.
hypothesis.settings.register_profile("gameconnect", deadline=None)
hypothesis.settings.load_profile("gameconnect")


def pytest_configure(config: Any) -> None:
    if not hasattr(config, "workerinput"):  # once, in the controller, before any worker reads them
        from config.translations import compile_messages

        compile_messages()
    # pytest-xdist: DRILL_PORTS (the range the drills' servers take ports from) is split between
    # the workers, so two workers never hand out the same port.
    span, worker = os.environ.get("DRILL_PORTS", ""), os.environ.get("PYTEST_XDIST_WORKER", "")
    if span and worker:
        first, last = (int(p) for p in span.split("-"))
        count, index = int(os.environ["PYTEST_XDIST_WORKER_COUNT"]), int(worker.removeprefix("gw"))
        size = (last - first + 1) // count
        os.environ["DRILL_PORTS"] = f"{first + index * size}-{first + (index + 1) * size - 1}"


def _is_postgres() -> bool:
    return django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--at",
        metavar="INSTANT",
        default=None,
        help="start every test's clock at INSTANT (ISO 8601, UTC unless it says otherwise), ticking from"
        " there, to find the tests that fail at some moments: e.g. --at 2026-12-14T00:00:00 (a Monday)."
        " Tests that pin their own instant (@pytest.mark.time_machine) keep it.",
    )


def _instant(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://... (CI's second run does)")
    skip_redis = pytest.mark.skip(reason="needs a real Redis: run with REDIS_URL=redis://... (CI's second run does)")
    # Browser tests last: Playwright's sync API keeps an asyncio loop running in the main thread
    # while it is open, which would break the async tests collected after it. Under pytest-xdist
    # (--dist loadgroup) the tests against e2e's live server form one group, so one worker runs
    # them, browser tests last, against one server. Tests that start servers of their own form
    # another group: one such stack at a time, so their deadlines hold on a 2-core machine.
    # The browser tests are many (every page, two sizes, two languages): they are split into
    # BROWSER_GROUPS groups by a stable hash of their id, each group on one worker with a live
    # server of its own.
    items.sort(key=lambda item: ("browser" in item.keywords, "live_app" in getattr(item, "fixturenames", ())))
    groups = int(os.environ.get("BROWSER_GROUPS", "2"))
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.xdist_group(f"live_app-{zlib.crc32(item.nodeid.encode()) % groups}"))
        elif "live_app" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("live_app-0"))
        elif "multiprocess" in item.keywords:
            item.add_marker(pytest.mark.xdist_group("servers"))
        if "postgres" in item.keywords and not _is_postgres():
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not django_settings.REDIS_URL:
            item.add_marker(skip_redis)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's test database, plus, at the end, the PostgreSQL sessions that threads of
    the test process still hold on it ended before it is dropped.

    Test code reaches the database from threads Django doesn't clean up after: asgiref's shared
    thread for `sync_to_async(...)` helpers, and the threads the concurrency tests start. Their
    idle connections made dropping the database fail with a warning ("is being accessed by other
    users"). The server's own threads close theirs after every call (`database_sync_to_async`).
    """
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


# The Gregorian calendar repeats every 400 years: 146,097 days, a whole number of weeks, so the
# same weekdays, leap days and ISO weeks.
CALENDAR_CYCLE = timedelta(days=146_097)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def ahead(at: datetime) -> datetime:
    """`at`, or the same calendar moment 400 years on once the real clock comes within a year of it.

    For tests frozen at a chosen instant (`@pytest.mark.time_machine(ahead(...))`) that write
    period boards: a real Redis drops at once a key whose expiry (its period's end) is past, so
    the frozen instant must stay ahead of the Redis server's own clock, whenever the suite runs.
    """
    hatch = time_machine.escape_hatch
    real_now = hatch.datetime.datetime.now(UTC) if hatch.is_travelling() else datetime.now(UTC)
    while at < real_now + timedelta(days=366):
        at += CALENDAR_CYCLE
    return at


@pytest.fixture(autouse=True)
def _clock_at(request: Any, monkeypatch: Any) -> Iterator[None]:
    """--at: the test (and its fixtures) run from that instant on, the clock ticking.

    With --at, or a test pinned to an instant of its own, the score stamps start afresh: the
    leaderboard stamps each submission at least a millisecond after the previous one of the
    process (leaderboard.services._stamp), which the clock moved back would leave in its future.
    """
    at = request.config.getoption("--at")
    moved = request.node.get_closest_marker("time_machine") is not None
    if at or moved:
        from leaderboard import services as leaderboard_services

        monkeypatch.setattr(leaderboard_services, "_last_ms", 0)
    if not at or moved:
        yield
        return
    with time_machine.travel(_instant(at), tick=True):
        yield


@pytest.fixture(autouse=True)
def _fast_and_clean(settings: Any, tmp_path: Any) -> Iterator[None]:
    """High throttles (throttle tests lower them), isolated media, empty Redis and cache."""
    settings.THROTTLE_AUTH_RATE = "10000/min"
    settings.THROTTLE_LOGIN_ACCOUNT_RATE = "10000/min"
    settings.THROTTLE_USER_RATE = "100000/min"
    settings.THROTTLE_ANON_RATE = "100000/min"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    from common.redis import reset_for_tests

    cache.clear()
    reset_for_tests()
    yield
    cache.clear()


def make_gamer(username: str, role: str = Role.GAMER, **extra: Any) -> Any:
    from gamers.services import gamer_create

    email = extra.pop("email", f"{username.replace(' ', '_').lower()}@example.com")
    return gamer_create(
        username=username, email=email, password=extra.pop("password", "S3cure-pass!"), role=role, **extra
    )


def client_for(user: Any) -> APIClient:
    from gamers.services import token_pair_for

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_for(user)['access']}")
    client.user = user  # type: ignore[attr-defined]  # tests read the account off its client
    return client


@pytest.fixture
def api() -> APIClient:
    """An anonymous client."""
    return APIClient()


@pytest.fixture
def gamer(db: Any) -> Any:
    return make_gamer("gamer one")


@pytest.fixture
def other_gamer(db: Any) -> Any:
    return make_gamer("gamer two")


@pytest.fixture
def moderator(db: Any) -> Any:
    return make_gamer("mod one", role=Role.MODERATOR)


@pytest.fixture
def admin(db: Any) -> Any:
    return make_gamer("admin one", role=Role.ADMIN)


@pytest.fixture
def gamer_client(gamer: Any) -> APIClient:
    return client_for(gamer)


@pytest.fixture
def other_client(other_gamer: Any) -> APIClient:
    return client_for(other_gamer)


@pytest.fixture
def moderator_client(moderator: Any) -> APIClient:
    return client_for(moderator)


@pytest.fixture
def admin_client_api(admin: Any) -> APIClient:
    """Named so it doesn't shadow pytest-django's `admin_client` (a Django test client)."""
    return client_for(admin)
