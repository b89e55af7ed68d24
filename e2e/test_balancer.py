"""Through the balancer: HAProxy in front of two web processes, as `make cluster` runs them.

The cluster is deploy/cluster.py with deploy/haproxy.cfg (the compose config), on the test
database and Redis, with beat and a worker driving trivia on short timings. Every socket says
which process it landed on: HAProxy's `X-Served-By` header on the 101 response.
"""

from __future__ import annotations

import asyncio
import subprocess
from typing import Any

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from conftest import make_gamer
from deploy.cluster import ROOT, SERVERS, http_ok, web_command
from leaderboard.tests.factories import ensure_games
from testsupport.drills import free_port, in_thread, invariant_violations, next_event, wait_until
from trivia.services.game import round_ref
from trivia.tests.factories import make_entry

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

PLAYERS = 6
# Long answers: many splits, so a round is still being played when the racers answer.
ANSWERS = ["Sidi Bou Said Tunisia", "Buenos Aires Argentina", "Tom and Jerry Cartoon"]


class Sockets:
    """An aiohttp session whose WebSocket handshakes record the process that answered them."""

    def __init__(self) -> None:
        import aiohttp

        self.served_by: list[str] = []
        trace = aiohttp.TraceConfig()

        async def on_end(session: Any, context: Any, params: Any) -> None:
            self.served_by.append(params.response.headers.get("X-Served-By", ""))

        trace.on_request_end.append(on_end)
        self.http = aiohttp.ClientSession(trace_configs=[trace])

    async def connect(self, url: str) -> tuple[Any, str]:
        """One socket (handshakes one at a time, so the last recorded answer is this one's)."""
        ws = await self.http.ws_connect(url)
        return ws, self.served_by[-1]

    async def post(self, url: str, body: Any, token: str) -> tuple[int, Any, str]:
        headers = {"Authorization": f"Bearer {token}"}
        async with self.http.post(url, json=body, headers=headers) as response:
            return response.status, await response.json(), response.headers.get("X-Served-By", "")


async def test_players_on_two_processes_play_one_round_and_see_one_winner(cluster_factory: Any) -> None:
    from django.db.models import Sum

    from gamers.models import CoinTransaction
    from trivia.models import Attempt, Round

    for answer in ANSWERS:
        await in_thread(make_entry, answer, value=60)
    gamers = [await in_thread(make_gamer, f"racer {i}") for i in range(PLAYERS)]
    cluster = await asyncio.to_thread(cluster_factory, processes=2, server="uvicorn")
    ws_url = cluster.url.replace("http", "ws", 1)

    tokens = [str(AccessToken.for_user(gamer)) for gamer in gamers]
    sockets = Sockets()
    try:
        players = []
        for gamer, token in zip(gamers, tokens, strict=True):
            ws, served_by = await sockets.connect(f"{ws_url}/ws/trivia/?token={token}")
            await next_event(ws, "WELCOME", timeout=20)
            players.append((gamer, ws, served_by))
        # The balancer spread the players over both processes (least connections: 3 and 3).
        landed = [served_by for _, _, served_by in players]
        assert sorted(set(landed)) == ["web1", "web2"], landed

        # Beat and the worker drive the game: once a round is being played, everyone sends the
        # right answer at the same moment.
        def playing() -> Any:
            return Round.objects.filter(state=Round.State.PLAYING).first()

        round_ = await wait_until(lambda: in_thread(playing), 30, "no round started")
        await asyncio.gather(
            *(ws.send_json({"event": "ATTEMPT", "data": {"message": round_.answer.lower()}}) for _, ws, _ in players)
        )

        async def frames_until_the_next_round(ws: Any) -> list[dict[str, Any]]:
            """This socket's frames until the ROUND that follows the winning attempt."""
            frames: list[dict[str, Any]] = []
            async with asyncio.timeout(30):
                while True:
                    frames.append(await ws.receive_json())
                    won = any(f["event"] == "PEER_ATTEMPT" and f["data"]["correct"] for f in frames)
                    if won and frames[-1]["event"] == "ROUND":
                        return frames

        seen = await asyncio.gather(*(frames_until_the_next_round(ws) for _, ws, _ in players))
    finally:
        await sockets.http.close()

    # HAProxy logs a socket when it closes: all six, and without their ?token=.
    def socket_lines() -> list[str]:
        return [line for line in (cluster.log_dir / "haproxy.log").read_text().splitlines() if "/ws/trivia/" in line]

    await wait_until(lambda: len(socket_lines()) == PLAYERS, 20, "HAProxy did not log the sockets")
    logs = cluster.logs()
    assert not [token for token in tokens if token in logs]

    winners = set(
        await in_thread(
            lambda: list(Attempt.objects.filter(round=round_, correct=True).values_list("gamer_id", flat=True))
        )
    )
    assert len(winners) == 1, winners
    (winner,) = winners
    for (gamer, _, served_by), frames in zip(players, seen, strict=True):
        correct = [f["data"] for f in frames if f["event"] == "PEER_ATTEMPT" and f["data"]["correct"]]
        # Every player, on either process, sees the one winning attempt, once.
        assert [c["userId"] for c in correct] == [winner], (served_by, frames)
        prizes = [f["data"]["coinDiff"] for f in frames if f["event"] == "COIN_DIFF" and f["data"]["coinDiff"] > 0]
        assert prizes == ([round_.current_value] if gamer.pk == winner else []), (gamer.pk, frames)
    prized = await in_thread(
        lambda: list(
            CoinTransaction.objects.filter(reason=CoinTransaction.Reason.PRIZE, ref=round_ref(round_.pk)).values_list(
                "gamer_id", flat=True
            )
        )
    )
    assert prized == [winner]
    ledger = await in_thread(lambda: CoinTransaction.objects.filter(gamer_id=winner).aggregate(s=Sum("amount"))["s"])
    assert ledger == await in_thread(lambda: type(gamers[0]).objects.get(pk=winner).coins)
    assert await in_thread(invariant_violations) == []


async def test_a_score_push_crosses_processes_and_logins_are_counted_per_real_client(cluster_factory: Any) -> None:
    """Without the game clock: a score posted through the balancer reaches a subscriber on the
    other process; and with TRUSTED_PROXIES=1 (the cluster's default) the login throttle keys on
    HAProxy's X-Forwarded-For entry: clients on two loopback addresses each have their own window,
    and a header the client writes itself changes nothing."""
    viewer = await in_thread(make_gamer, "board viewer")
    player = await in_thread(make_gamer, "score poster")
    game = sorted(await in_thread(ensure_games))[0]
    cluster = await asyncio.to_thread(
        cluster_factory, processes=2, server="uvicorn", worker=False, beat=False, env={"THROTTLE_AUTH_RATE": "2/min"}
    )
    ws_url = cluster.url.replace("http", "ws", 1)

    sockets = Sockets()
    try:
        # A subscriber on each process: whichever process takes the score, one of them is remote.
        subscribers: dict[str, Any] = {}
        for _ in range(6):
            ws, served_by = await sockets.connect(f"{ws_url}/ws/leaderboard/?token={AccessToken.for_user(viewer)}")
            assert (await ws.receive_json(timeout=20))["type"] == "authenticated"
            if served_by in subscribers:
                await ws.close()
                continue
            await ws.send_json({"action": "subscribe", "game": game, "period": "all", "start": 0, "end": 9})
            first = await ws.receive_json(timeout=20)
            assert (first["type"], first["total_count"]) == ("scores", 0), first
            subscribers[served_by] = ws
            if len(subscribers) == 2:
                break
        assert sorted(subscribers) == ["web1", "web2"]

        status, body, posted_on = await sockets.post(
            f"{cluster.url}/api/v1/leaderboard/scores", {"game": game, "score": 4242}, str(AccessToken.for_user(player))
        )
        assert status == 201, body
        (other,) = set(subscribers) - {posted_on}

        async def pushed_score() -> dict[str, Any]:
            while True:
                frame = await subscribers[other].receive_json(timeout=20)
                if frame["type"] == "scores" and frame["result"]:
                    return frame

        push = await asyncio.wait_for(pushed_score(), 30)
    finally:
        await sockets.http.close()
    assert [(row["user_id"], row["score"]) for row in push["result"]] == [(player.pk, 4242)]
    assert push["total_count"] == 1

    assert await _logins(cluster.url, "127.0.0.2", ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) == [401, 401, 429]
    assert await _logins(cluster.url, "127.0.0.3", ["127.0.0.2", "4.4.4.4"]) == [401, 401]
    assert await _logins(cluster.url, "127.0.0.3", ["5.5.5.5"]) == [429]


async def _logins(base: str, source: str, spoofs: list[str]) -> list[int]:
    """Failed logins from the local address `source`, each with a made-up X-Forwarded-For."""
    import aiohttp

    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    codes = []
    async with aiohttp.ClientSession(connector=connector) as http:
        for spoof in spoofs:
            async with http.post(
                f"{base}/api/v1/auth/token",
                json={"login": "nobody here", "password": "wrong-password"},
                headers={"X-Forwarded-For": spoof},
            ) as response:
                codes.append(response.status)
    return codes


@pytest.mark.parametrize("server", SERVERS)
async def test_no_server_takes_the_client_address_from_x_forwarded_for(server: str, tmp_path: Any) -> None:
    """Each server on its standard command line (deploy/cluster.py), reached directly with
    TRUSTED_PROXIES unset: the socket peer is the client, so a header can't buy more logins.
    A server that rewrote the peer from X-Forwarded-For (uvicorn does for 127.0.0.1 unless told
    not to) would give each spoofed address its own window."""
    from testsupport.drills import Stack

    env = Stack(tmp_path, env={"THROTTLE_AUTH_RATE": "2/min"}).env
    env.pop("TRUSTED_PROXIES", None)
    port = free_port()
    with open(tmp_path / f"{server}.log", "wb") as log:
        proc = subprocess.Popen(
            web_command(server, "127.0.0.1", port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        await wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), 60, f"{server} did not start")
        codes = []
        for spoof in ["1.1.1.1", "2.2.2.2", "3.3.3.3"]:
            request = {"login": "nobody here", "password": "wrong-password"}
            status, _ = await asyncio.to_thread(
                _post_with_header, f"http://127.0.0.1:{port}/api/v1/auth/token", request, spoof
            )
            codes.append(status)
        assert codes == [401, 401, 429], (tmp_path / f"{server}.log").read_text(errors="replace")[-3000:]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _post_with_header(url: str, body: Any, forwarded_for: str) -> tuple[int, Any]:
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
