"""Fixtures for the tests of mailed links."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def mails(mailoutbox: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any) -> Any:
    """`mails(call)` runs `call()` as a request whose transaction commits (the test's own never
    does, and mail leaves after commit) and returns its result; `mails.outbox` is Django's test
    outbox. The mail task runs inline even where REDIS_URL gives Celery a real broker."""
    from config.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)

    def committed(call: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    committed.outbox = mailoutbox  # type: ignore[attr-defined]  # the fixture hands both out as one
    return committed
