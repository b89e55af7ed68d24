"""Root fixtures: personas with authenticated API clients, clean Redis, fast settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from rest_framework.test import APIClient

from common.roles import Role


def _is_postgres() -> bool:
    return django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://... (CI's second run does)")
    skip_redis = pytest.mark.skip(reason="needs a real Redis: run with REDIS_URL=redis://... (CI's second run does)")
    # Browser tests last: Playwright's sync API keeps an asyncio loop running in the main thread
    # while it is open, which would break the async tests collected after it.
    items.sort(key=lambda item: "browser" in item.keywords)
    for item in items:
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


@pytest.fixture(autouse=True)
def _fast_and_clean(settings: Any, tmp_path: Any) -> Iterator[None]:
    """High throttles (throttle tests lower them), isolated media, empty Redis and cache."""
    settings.THROTTLE_AUTH_RATE = "10000/min"
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
    client.user = user  # type: ignore[attr-defined]
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
