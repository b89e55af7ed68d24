"""common.asgi: the tuning of daphne applied when the ASGI application loads."""

from __future__ import annotations

from unittest import mock

from daphne.http_protocol import HTTPFactory, WebRequest

from common.asgi import tune_daphne


def test_daphne_tuning_applies_on_the_pinned_versions():
    """common.asgi.tune_daphne: Twisted parses no POST body and writes no access line of its own."""
    assert tune_daphne() == ["form parsing", "twisted access log"]
    assert tune_daphne() == ["form parsing", "twisted access log"]  # idempotent
    channel = mock.MagicMock()
    request = WebRequest(channel, False)
    assert request._parsePOSTFormSubmission is False
    factory = HTTPFactory(mock.MagicMock())
    factory._logFile = mock.MagicMock()
    factory.log(request)
    assert not factory._logFile.write.called


def test_loading_the_asgi_app_loads_the_edge_and_freezes_the_start_up_heap():
    """config.asgi: the edge's routes are loaded at start-up, then gc.freeze() keeps the start-up
    objects out of the collector's passes (a separate process: freezing is for a server's)."""
    import os
    import subprocess
    import sys

    code = "import gc, config.asgi as a; print(sorted(a.http_app.routes), gc.get_freeze_count() > 10000)"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip().splitlines()[-1] == ("['/api/v1/leaderboard/scores', '/api/v1/leaderboard/scores/'] True")
