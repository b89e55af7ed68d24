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
