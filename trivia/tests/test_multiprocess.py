"""Two daphne processes, a Celery worker and beat as real subprocesses on the test database.

Runs only on PostgreSQL + Redis (CI's second run): a client on process A sees what a client on
process B does, beat drives the rounds with short timings, and killing and restarting the
worker mid-round loses nothing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Sum
from rest_framework_simplejwt.tokens import AccessToken

from conftest import make_gamer
from gamers.models import CoinTransaction, Gamer
from trivia.models import Attempt, Round
from trivia.tests.factories import make_entry

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SPLIT_SECONDS = 0.8
ANSWERS = ["Buenos Aires", "Tom and Jerry", "Sidi Bou Said"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Stack:
    """The production processes, started and stopped by this test only."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "SECRET_KEY": settings.SECRET_KEY,
            "DEBUG": "true",
            "INPROCESS_CLOCK": "false",
            "CLOCK_INTERVAL_SECONDS": "0.2",
            "TRIVIA_SPLIT_SECONDS": str(SPLIT_SECONDS),
            "TRIVIA_ROUND_END_SECONDS": "0.5",
            "CHANNEL_PREFIX": f"mp-{os.getpid()}",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("GAMECONNECT_TESTING", None)

    def start(self, name: str, args: list[str]) -> None:
        log = open(self.tmp / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def start_web(self, name: str, port: int) -> None:
        self.start(name, [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"])

    def start_worker(self) -> None:
        self.start(
            "worker",
            [
                str(BIN / "celery"), "-A", "config", "worker", "--pool=solo", "--without-gossip",
                "--without-mingle", "--without-heartbeat", "--loglevel=WARNING",
            ],
        )  # fmt: skip

    def start_beat(self) -> None:
        schedule = self.tmp / "beat-schedule"
        self.start("beat", [str(BIN / "celery"), "-A", "config", "beat", "--loglevel=WARNING", "-s", str(schedule)])

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.tmp.glob("*.log"))


async def wait_healthy(port: int, stack: Stack, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            await asyncio.to_thread(urllib.request.urlopen, f"http://127.0.0.1:{port}/healthz", None, 1)
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"daphne on {port} did not come up\n{stack.logs()}")


async def next_event(ws: Any, *events: str, timeout: float = 10) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = await ws.receive_json()
            if frame["event"] in events:
                return frame


def splits_are_one_reveal_each(frames: list[dict[str, Any]]) -> bool:
    """Within a round, each SPLIT hides exactly one character less than the frame before it."""
    hidden = None
    for frame in frames:
        if frame["event"] == "ROUND":
            hidden = frame["data"]["answer"].count("_")
        elif frame["event"] == "SPLIT":
            now = frame["data"]["answer"].count("_")
            if hidden is not None and now != hidden - 1:
                return False
            hidden = now
        elif frame["event"] in {"REVEAL", "PEER_ATTEMPT"}:
            hidden = None if frame["event"] == "REVEAL" or frame["data"]["correct"] else hidden
    return True


async def test_two_web_processes_a_worker_and_beat_play_one_game(tmp_path):
    import aiohttp

    for answer in ANSWERS:
        await asyncio.to_thread(make_entry, answer, value=60)
    alice = await asyncio.to_thread(make_gamer, "alice on a")
    bob = await asyncio.to_thread(make_gamer, "bob on b")
    boss = await asyncio.to_thread(make_gamer, "the boss", role="admin")
    port_a, port_b = free_port(), free_port()
    stack = Stack(tmp_path)
    seen: list[dict[str, Any]] = []
    try:
        stack.start_web("web-a", port_a)
        stack.start_web("web-b", port_b)
        stack.start_worker()
        stack.start_beat()
        await asyncio.gather(wait_healthy(port_a, stack), wait_healthy(port_b, stack))
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
            playing = await asyncio.to_thread(lambda: Round.objects.get(state=Round.State.PLAYING))
            stack.kill("worker")
            # The web processes keep serving the game; only the clock waits for a worker.
            await ws_b.send_json({"event": "ATTEMPT", "data": {"message": "during the outage"}})
            assert (await a_event("PEER_ATTEMPT"))["data"]["message"] == "during the outage"
            with pytest.raises(TimeoutError):
                await a_event("SPLIT", "REVEAL", "ROUND", timeout=3 * SPLIT_SECONDS)
            stopped = await asyncio.to_thread(lambda: Round.objects.get(pk=playing.pk))
            assert stopped.state == Round.State.PLAYING  # nothing advanced while no worker ran

            stack.start_worker()
            # The same round carries on from where it stopped, one reveal per split.
            resumed = (await a_event("SPLIT", "REVEAL", timeout=30))["data"]
            if "currentValue" in resumed:
                assert resumed["answer"].count("_") == stopped.masked.count("_") - 1
            after = await asyncio.to_thread(lambda: Round.objects.get(pk=playing.pk))
            assert after.reveals > stopped.reveals or after.state != Round.State.PLAYING
            assert (await asyncio.to_thread(lambda: Attempt.objects.filter(message="during the outage").count())) == 1

            # A correct answer from A wins; B sees it; the next round follows by beat.
            round_ = await asyncio.to_thread(lambda: Round.objects.filter(state=Round.State.PLAYING).first())
            if round_ is None:
                await a_event("ROUND", timeout=20)
                round_ = await asyncio.to_thread(lambda: Round.objects.get(state=Round.State.PLAYING))
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
    rounds = await asyncio.to_thread(lambda: list(Round.objects.order_by("number")))
    assert [r.number for r in rounds] == list(range(1, len(rounds) + 1))
    assert sum(r.state != Round.State.CLOSED for r in rounds) == 1
    assert all(r.reveals < r.hidden_total for r in rounds)
    assert sum(r.winner_id == alice.pk for r in rounds) == 1

    def balances() -> list[tuple[int, int]]:
        ledger = dict(CoinTransaction.objects.values_list("gamer").annotate(s=Sum("amount")).values_list("gamer", "s"))
        return [(coins, ledger[pk]) for pk, coins in Gamer.objects.values_list("id", "coins")]

    assert all(coins == total for coins, total in await asyncio.to_thread(balances))
