"""Fuzzing /ws/leaderboard/ (SPEC §6): hostile frames get `{"type": "error"}`, never a crash, and
never change a board. See docs/hardening.md, "WebSocket fuzzing"."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from conftest import make_gamer
from leaderboard.tests.test_consumer import connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("games")]


# --- regressions found by the fuzzer ----------------------------------------------------------

OVERFLOWING_REPORTS = [
    {"start": "9999-12-31T23:59:59-05:00"},  # past year 9999 once in UTC
    {"end": "0001-01-01T00:00:00+05:00"},  # before year 1 once in UTC
    {"start": "9999-12-31", "end": "9999-12-31"},  # the day's last instant is fine, its next day is not
]


async def test_reports_with_dates_out_of_range_are_errors_not_crashes(gamer_client):
    me = await database_sync_to_async(make_gamer)("calendar player")
    comm = await connect(me)
    for query in OVERFLOWING_REPORTS:
        await comm.send_to(text_data=json.dumps({"action": "report", **query}))
        answer = await comm.receive_json_from()
        assert answer["type"] == "error" and "date" in answer["message"], (query, answer)
        response = await database_sync_to_async(gamer_client.get)("/api/v1/leaderboard/reports", query)
        assert response.status_code == 400, (query, response.content)
    # The default start, a week before the end, would be before year 1: it stops at year 1.
    await comm.send_json_to({"action": "report", "end": "0001-01-01"})
    answer = await comm.receive_json_from()
    assert (answer["type"], answer["result"]) == ("report", [])
    assert answer["start"].endswith("01-01T00:00:00.000000Z")
    await comm.disconnect()
