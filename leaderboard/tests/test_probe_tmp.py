import json
import pytest
from leaderboard.tests.test_consumer import connect, gamer_named

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("games")]

PROBES = [
    {"action": "report", "game": "\ud800"},
    {"action": "report", "game": "a\x00"},
    {"action": "report", "start": "9999-12-31T23:59:59-05:00"},
    {"action": "report", "end": "0001-01-01T00:00:00+05:00"},
    {"action": "report", "end": "0001-01-01"},
    {"action": "report", "start": "9999-12-31", "end": "9999-12-31"},
    {"action": "report", "start": "0001-01-01T00:00:00", "end": "9999-12-31T23:59:59.999999"},
    {"action": "report", "start": "2026-01-01T25:00:00"},
    {"action": "report", "start": "\ud800"},
    {"action": "report", "limit": 10**400 if False else 1e308},
    {"action": "my_score", "game": "\ud800"},
    {"action": "subscribe", "game": "\ud800"},
    {"action": "add_score", "game": "\ud800", "score": 1},
    {"action": "add_score", "game": "cod", "score": 10**30},
    {"action": "around_me", "game": "cod", "radius": 10**30},
    {"action": "subscribe", "game": "cod", "period": ["all"]},
    {"action": "subscribe", "game": "cod", "period": {"a": 1}},
]

@pytest.mark.parametrize("frame", PROBES)
async def test_probe(frame):
    me = await gamer_named("probe player")
    comm = await connect(me)
    await comm.send_to(text_data=json.dumps(frame))
    out = []
    try:
        while True:
            out.append(await comm.receive_output(timeout=0.5))
    except Exception as e:
        out.append(repr(e))
    print("\nPROBE", str(frame)[:70], [str(o)[:200] for o in out])

@pytest.mark.parametrize("raw", ['{"action":"authenticate","token":"\\ud800"}', '{"event":"authentication","data":{"idToken":"\\ud800x"}}', '{"action":"authenticate","token":"a\\u0000.b.c"}'])
async def test_probe_auth(raw):
    comm = await connect()
    await comm.send_to(text_data=raw)
    out = []
    try:
        while True:
            out.append(await comm.receive_output(timeout=0.5))
    except Exception as e:
        out.append(repr(e))
    print("\nPROBE", raw, [str(o)[:200] for o in out])
