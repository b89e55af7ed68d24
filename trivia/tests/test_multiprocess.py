"""Two daphne processes, a Celery worker and beat as real subprocesses on the test database.

Runs only on PostgreSQL + Redis (CI's second run): a client on process A sees what a client on
process B does, beat drives the rounds with short timings, and killing and restarting the
worker mid-round loses nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from conftest import make_gamer
from testsupport.drills import (
    SPLIT_SECONDS,
    Stack,
    in_thread,
    invariant_violations,
    next_event,
    splits_are_one_reveal_each,
    wait_healthy,
)
from trivia.models import Attempt, Round
from trivia.tests.factories import make_entry

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

ANSWERS = ["Buenos Aires", "Tom and Jerry", "Sidi Bou Said"]


async def test_two_web_processes_a_worker_and_beat_play_one_game(tmp_path):
    import aiohttp

    for answer in ANSWERS:
        await in_thread(make_entry, answer, value=60)
    alice = await in_thread(make_gamer, "alice on a")
    bob = await in_thread(make_gamer, "bob on b")
    boss = await in_thread(make_gamer, "the boss", role="admin")
    stack = Stack(tmp_path)
    seen: list[dict[str, Any]] = []
    try:
        url_a = stack.start_web("web-a")
        url_b = stack.start_web("web-b")
        stack.start_worker()
        stack.start_beat()
        await asyncio.gather(wait_healthy(url_a, stack), wait_healthy(url_b, stack))
        port_a, port_b = stack.ports["web-a"], stack.ports["web-b"]
        async with aiohttp.ClientSession() as http:
            ws_a = await http.ws_connect(f"ws://127.0.0.1:{port_a}/ws/trivia/?token={AccessToken.for_user(alice)}")

            async def a_event(*events: str, timeout: float = 15) -> dict[str, Any]:
                async with asyncio.timeout(timeout):
                    while True:
                        frame = await ws_a.receive_json()
                        seen.append(frame)
                        if frame["event"] in events:
                            return frame

            await a_event("WELCOME")
            # B joins only after A's WELCOME: a join that A's WELCOME already counted is (rightly)
            # not announced to A again, so connecting both at once would race.
            ws_b = await http.ws_connect(f"ws://127.0.0.1:{port_b}/ws/trivia/?token={AccessToken.for_user(bob)}")
            await next_event(ws_b, "WELCOME")
            assert (await a_event("PEER_JOIN"))["data"]["userId"] == bob.pk

            # Beat drives the clock through the worker: rounds start and split on their own.
            await a_event("SPLIT", timeout=20)
            # A client on A sees the attempt made by a client on B.
            await ws_b.send_json({"event": "ATTEMPT", "data": {"message": "not it"}})
            attempt = (await a_event("PEER_ATTEMPT"))["data"]
            assert (attempt["userId"], attempt["message"], attempt["correct"]) == (bob.pk, "not it", False)

            # Kill the worker in the middle of a round.
            await a_event("SPLIT", "ROUND", timeout=20)
            playing = await in_thread(lambda: Round.objects.get(state=Round.State.PLAYING))
            stack.kill("worker")
            # The web processes keep serving the game; only the clock waits for a worker.
            await ws_b.send_json({"event": "ATTEMPT", "data": {"message": "during the outage"}})
            assert (await a_event("PEER_ATTEMPT"))["data"]["message"] == "during the outage"
            with pytest.raises(TimeoutError):
                await a_event("SPLIT", "REVEAL", "ROUND", timeout=3 * SPLIT_SECONDS)
            stopped = await in_thread(lambda: Round.objects.get(pk=playing.pk))
            assert stopped.state == Round.State.PLAYING  # nothing advanced while no worker ran

            stack.start_worker()
            # The same round carries on from where it stopped, one reveal per split.
            resumed = (await a_event("SPLIT", "REVEAL", timeout=30))["data"]
            if "currentValue" in resumed:
                assert resumed["answer"].count("_") == stopped.masked.count("_") - 1
            after = await in_thread(lambda: Round.objects.get(pk=playing.pk))
            assert after.reveals > stopped.reveals or after.state != Round.State.PLAYING
            assert (await in_thread(lambda: Attempt.objects.filter(message="during the outage").count())) == 1

            # A correct answer from A wins; B sees it; the next round follows by beat.
            round_ = await in_thread(lambda: Round.objects.filter(state=Round.State.PLAYING).first())
            if round_ is None:
                await a_event("ROUND", timeout=20)
                round_ = await in_thread(lambda: Round.objects.get(state=Round.State.PLAYING))
            await ws_a.send_json({"event": "ATTEMPT", "data": {"message": round_.answer.lower()}})
            won = (await next_event(ws_b, "PEER_ATTEMPT"))["data"]
            while won["userId"] != alice.pk:
                won = (await next_event(ws_b, "PEER_ATTEMPT"))["data"]
            assert won["correct"] and won["correctAnswer"] == round_.answer
            assert (await a_event("COIN_DIFF"))["data"]["coinDiff"] == round_.current_value
            next_round = (await a_event("ROUND", timeout=20))["data"]
            assert next_round["answer"].count("_") > 0

            # Alice connects again on B: her socket on A is closed with 4002.
            ws_a2 = await http.ws_connect(f"ws://127.0.0.1:{port_b}/ws/trivia/?token={AccessToken.for_user(alice)}")
            await next_event(ws_a2, "WELCOME")
            async with asyncio.timeout(10):
                while not ws_a.closed:
                    await ws_a.receive()
            assert ws_a.close_code == 4002
            # An admin on A disconnects everyone, counting the clients of both processes.
            response = await http.post(
                f"http://127.0.0.1:{port_a}/api/v1/system/disconnect-everyone",
                headers={"Authorization": f"Bearer {AccessToken.for_user(boss)}"},
            )
            assert await response.json() == {"detail": "Sent the disconnect signal to 2 clients"}
            for ws in (ws_a2, ws_b):
                async with asyncio.timeout(10):
                    while not ws.closed:
                        await ws.receive()
                assert ws.close_code == 4004
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_all()

    assert splits_are_one_reveal_each(seen), [f for f in seen if f["event"] in {"ROUND", "SPLIT", "REVEAL"}]
    rounds = await in_thread(lambda: list(Round.objects.order_by("number")))
    assert sum(r.winner_id == alice.pk for r in rounds) == 1
    assert await in_thread(invariant_violations) == []
