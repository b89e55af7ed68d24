"""After a worker or Redis outage the clock resumes late: the split it fires then must last a full
TRIVIA_SPLIT_SECONDS (it lasted what was left of the stale period, about 1.5 s of 15), while an
on-time tick keeps the cadence (splits don't drift by the tick latency). Frozen clock: every
`now` is given."""

from __future__ import annotations

from datetime import timedelta

import pytest

from trivia import services
from trivia.models import Round
from trivia.services.game import split_start
from trivia.tests.factories import start_round

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _timings(settings):
    settings.TRIVIA_SPLIT_SECONDS = 15
    settings.CLOCK_INTERVAL_SECONDS = 1.0


def test_the_first_split_after_an_outage_shorter_than_a_split_lasts_a_full_period():
    round_ = start_round("Buenos Aires")
    due = round_.split_ends_at
    resumed = due + timedelta(seconds=13.5)  # the clock was down for most of a split
    assert services.tick(now=resumed) == "split"
    round_.refresh_from_db()
    assert round_.split_started_at == resumed
    assert round_.split_ends_at - resumed == timedelta(seconds=15)
    # Nothing fires early: the next split is due a full period after the resume.
    assert services.tick(now=resumed + timedelta(seconds=14.9)) == "idle"
    assert services.tick(now=resumed + timedelta(seconds=15)) == "split"


def test_an_on_time_tick_keeps_the_cadence():
    round_ = start_round("Buenos Aires")
    due = round_.split_ends_at
    assert services.tick(now=due + timedelta(seconds=0.8)) == "split"  # ordinary tick latency
    round_.refresh_from_db()
    assert (round_.split_started_at, round_.split_ends_at) == (due, due + timedelta(seconds=15))


def test_a_long_outage_also_restarts_from_now():
    round_ = start_round("Buenos Aires")
    resumed = round_.split_ends_at + timedelta(minutes=5)
    services.tick(now=resumed)
    round_.refresh_from_db()
    assert (round_.split_started_at, round_.split_ends_at, round_.reveals) == (
        resumed,
        resumed + timedelta(seconds=15),
        1,  # the missed splits are not fired back to back
    )
    assert Round.objects.count() == 1


@pytest.mark.parametrize(
    ("late", "interval", "split", "keeps_cadence"),
    [
        (0.0, 1.0, 15, True),
        (2.0, 1.0, 15, True),  # two clock intervals: still the clock's ordinary jitter
        (2.1, 1.0, 15, False),
        (0.3, 0.2, 0.8, True),  # the drills' timings
        (0.5, 0.2, 0.8, False),
        (0.6, 1.0, 1.0, False),  # never more than half a split, whatever the interval
    ],
)
def test_split_start_rule(settings, late, interval, split, keeps_cadence):
    settings.CLOCK_INTERVAL_SECONDS = interval
    settings.TRIVIA_SPLIT_SECONDS = split
    round_ = start_round("Buenos Aires")
    due = round_.split_ends_at
    now = due + timedelta(seconds=late)
    assert split_start(due, now) == (due if keeps_cadence else now)
    assert split_start(None, now) == now
