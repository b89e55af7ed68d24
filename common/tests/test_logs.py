import logging

from common.logs import WarnAtMostEvery


def test_a_warning_is_logged_at_most_once_per_period(caplog):
    now = [100.0]
    warn = WarnAtMostEvery(logging.getLogger("gameconnect.test"), "down: %s", seconds=10, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="gameconnect.test"):
        warn("first")
        now[0] += 5
        warn("within the period")
        now[0] += 6
        warn("after the period")
    assert [r.getMessage() for r in caplog.records] == ["down: first", "down: after the period"]
