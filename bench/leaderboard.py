"""Leaderboard benchmark (issues 6 and 15), on PostgreSQL + Redis, through HAProxy.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gameconnect_bench_leaderboard \
    BENCH_REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/leaderboard.py

(`make bench BENCH_ARGS=leaderboard` runs it too.) Steps:
1. drop and re-create the bench database, migrate, empty the bench Redis database;
2. time `seed_demo --scores N` (N = BENCH_SCORES, default 1,000,000: the leaderboard seeder
   adds one player per ten scores, so 100,000 players, scores over 6 months, boards built);
3. empty Redis and time `rebuild_leaderboards`;
4. HAProxy in front of BENCH_PROCESSES web processes (default 2) of BENCH_SERVER (default
   uvicorn), as `make cluster` runs them; 32 clients (32 different players) `POST /leaderboard/scores` for
   BENCH_DURATION seconds (random game and score): submissions/s, p50/p99;
5. latency of reads, one client at a time (then 32 at once): a top-10 window, `/me`, `around-me`,
   next to two baselines through the same stack (`/healthz`, `/leaderboard/games`);
6. the same three over the WebSocket (`subscribe` 0..9, `my_score`, `around_me`), one request
   in flight per socket, 1 socket then 32; then `add_score` from 32 sockets for BENCH_DURATION.
The server runs with a PostgreSQL pool of BENCH_DB_POOL_MAX_SIZE (16) connections per process
(DB_POOL_MAX_SIZE in config/settings.py; 0 opens a connection per request).
BENCH_REUSE=1 skips steps 1-3 and measures against the data a previous run left.
Everything talks to 127.0.0.1 only (ports 8400-8499) and every loop is bounded.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gameconnect_bench_leaderboard")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")

from bench.harness import (  # noqa: E402
    PY,
    LoadResult,
    bench_env,
    cluster,
    http_load,
    manage,
    percentile,
    proxy_cpu_seconds,
    server_cpu_seconds,
)

PORT = int(os.environ.get("BENCH_LEADERBOARD_PORT", "8400"))  # this benchmark's range: 8400-8499
SCORES = int(os.environ.get("BENCH_SCORES", "1000000"))
DURATION = float(os.environ.get("BENCH_DURATION", "20"))
READ_REQUESTS = int(os.environ.get("BENCH_READ_REQUESTS", "2000"))
# Skip steps 1-3 and measure against the database and boards a previous run left.
REUSE = os.environ.get("BENCH_REUSE", "") not in ("", "0")
CLIENTS = 32
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "2"))
SERVER = os.environ.get("BENCH_SERVER", "uvicorn")
GAMES = {
    "cod": 100_000,
    "fortnite": 50_000,
    "valorant": 10_000,
    "lol": 20_000,
    "csgo": 10_000,
    "fifa": 10_000,
    "rocket": 5_000,
    "apex": 20_000,
    "minecraft": 100_000,
    "chess": 3_500,
}

TOKENS_SCRIPT = """
import json
from rest_framework_simplejwt.tokens import AccessToken
from gamers.models import Gamer
from leaderboard.models import Score
ids = list(Score.objects.filter(game__slug="cod").order_by("user_id").values_list("user_id", flat=True).distinct()[:{n}])
print(json.dumps([[pk, str(AccessToken.for_user(Gamer(pk=pk)))] for pk in ids]))
"""


def fresh_database(env: dict[str, str]) -> None:
    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    assert "bench" in name, f"refusing to drop {name!r}: not a bench database"
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    manage("migrate", "--noinput", "-v", "0", env=env)


def flush_redis(env: dict[str, str]) -> None:
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()


def tokens(env: dict[str, str], n: int) -> list[tuple[int, str]]:
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", TOKENS_SCRIPT.format(n=n)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [(pk, token) for pk, token in json.loads(out.strip().splitlines()[-1])]


def line(label: str, result: LoadResult, cpu: float) -> str:
    """The load summary, plus the server's CPU time per request (the machine is shared: a
    figure that moves less with the load than the rates do)."""
    per_request = cpu / len(result.latencies) * 1000 if result.latencies else float("nan")
    return f"{result.summary(label)}   server CPU {per_request:.2f} ms/req"


async def _submit_load(base: str, players: list[tuple[int, str]], duration: float) -> LoadResult:
    import aiohttp

    result = LoadResult()
    stop_at = time.perf_counter() + duration

    async def client(token: str, seed: int) -> None:
        rng = random.Random(seed)
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            while time.perf_counter() < stop_at:
                game = rng.choice(list(GAMES))
                body = {"game": game, "score": rng.randint(0, GAMES[game])}
                started = time.perf_counter()
                async with session.post(f"{base}/api/v1/leaderboard/scores", json=body) as response:
                    await response.read()
                result.latencies.append(time.perf_counter() - started)
                result.statuses[response.status] = result.statuses.get(response.status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client(token, i) for i, (_, token) in enumerate(players)))
    result.elapsed = time.perf_counter() - started
    return result


async def _ws_load(
    base: str, players: list[tuple[int, str]], frame: dict, answer: str, per_socket: int, duration: float = 60.0
) -> LoadResult:
    """Each socket sends `frame` and waits for its `answer` frame, `per_socket` times (or until
    `duration` runs out). A frame with "score": None gets a random game and score each time."""
    import aiohttp

    result = LoadResult()
    url = base.replace("http://", "ws://") + "/ws/leaderboard/"

    stop_at = time.perf_counter() + duration

    async def client(token: str, seed: int) -> None:
        rng = random.Random(seed)
        async with aiohttp.ClientSession() as session, session.ws_connect(f"{url}?token={token}") as ws:
            hello = await ws.receive_json(timeout=10)
            assert hello["type"] == "authenticated", hello
            for _ in range(per_socket):
                if time.perf_counter() > stop_at:
                    break
                started = time.perf_counter()
                if "score" in frame and frame["score"] is None:
                    game = rng.choice(list(GAMES))
                    await ws.send_json({**frame, "game": game, "score": rng.randint(0, GAMES[game])})
                else:
                    await ws.send_json(frame)
                while True:
                    got = await ws.receive_json(timeout=10)
                    if got["type"] == answer:
                        break
                    if got["type"] == "error":
                        raise RuntimeError(got)
                result.latencies.append(time.perf_counter() - started)
                result.statuses[101] = result.statuses.get(101, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client(token, i) for i, (_, token) in enumerate(players)))
    result.elapsed = time.perf_counter() - started
    return result


def main() -> int:
    # DB_POOL_MAX_SIZE: the per-process PostgreSQL pool of config/settings.py (0: a connection
    # per request). Persistent connections (DB_CONN_MAX_AGE) are no good under ASGI: every request
    # runs in a new thread, which would leave its connection open.
    env = bench_env(
        DB_POOL_MAX_SIZE=os.environ.get("BENCH_DB_POOL_MAX_SIZE", "16"),
        LEADERBOARD_WS_FRAMES_PER_SECOND="100000",
    )
    print(
        f"database {env['DATABASE_URL']}  redis {env['REDIS_URL']}  scores {SCORES:,}  "
        f"DB_POOL_MAX_SIZE={env['DB_POOL_MAX_SIZE']}  {PROCESSES} {SERVER} process(es) behind HAProxy",
        flush=True,
    )
    if REUSE:
        figures = ["(BENCH_REUSE: the seeded database and boards of the previous run)"]
    else:
        fresh_database(env)
        flush_redis(env)
        seed_seconds = manage("seed_demo", "--scores", str(SCORES), env=env)
        flush_redis(env)
        rebuild_seconds = manage("rebuild_leaderboards", env=env)
        figures = [
            f"seed_demo --scores {SCORES}: {seed_seconds:.1f} s",
            f"rebuild_leaderboards (Redis emptied first): {rebuild_seconds:.1f} s",
        ]
    players = tokens(env, CLIENTS)
    me_token = players[0][1]
    print("\n" + "\n".join(figures), flush=True)

    with cluster(env, processes=PROCESSES, server=SERVER, port=PORT) as base:
        api = f"{base}/api/v1/leaderboard"
        auth = {"Authorization": f"Bearer {me_token}"}
        # Warm up (connections, caches, scripts).
        http_load(f"{api}/cod?page_size=10", concurrency=4, duration=2)
        cpu, lb = server_cpu_seconds(base), proxy_cpu_seconds(base)
        submits = asyncio.run(_submit_load(base, players, DURATION))
        results = [line(f"POST /leaderboard/scores x{CLIENTS} clients", submits, server_cpu_seconds(base) - cpu)]
        results[-1] += (
            f"  (HAProxy {(proxy_cpu_seconds(base) - lb) * 1000 / max(len(submits.latencies), 1):.2f} ms/req)"
        )
        print(results[-1], flush=True)
        reads = [
            # Baselines: the same stack (server, Django middleware, DRF, throttle) with no board work.
            ("GET /healthz (baseline)", f"{base}/healthz", None),
            ("GET /leaderboard/games (baseline)", f"{api}/games", None),
            ("GET top-10 window /leaderboard/cod", f"{api}/cod?page_size=10", None),
            ("GET top-10 window /leaderboard/all?period=week", f"{api}/all?period=week&page_size=10", None),
            ("GET /leaderboard/cod/me", f"{api}/cod/me", auth),
            ("GET /leaderboard/cod/around-me", f"{api}/cod/around-me", auth),
        ]
        for concurrency in (1, CLIENTS):
            for label, url, headers in reads:
                cpu = server_cpu_seconds(base)
                result = http_load(
                    url, concurrency=concurrency, duration=30, headers=headers, max_requests=READ_REQUESTS
                )
                results.append(line(f"{label} c={concurrency}", result, server_cpu_seconds(base) - cpu))
                print(results[-1], flush=True)
        frames: list[tuple[str, dict[str, Any], str]] = [
            ("WS subscribe cod 0..9 -> scores", {"action": "subscribe", "game": "cod", "start": 0, "end": 9}, "scores"),
            ("WS my_score cod -> my_score", {"action": "my_score", "game": "cod"}, "my_score"),
            ("WS around_me cod -> around_me", {"action": "around_me", "game": "cod"}, "around_me"),
        ]
        for sockets in (1, CLIENTS):
            for label, frame, answer in frames:
                per_socket = max(1, READ_REQUESTS // sockets)
                cpu = server_cpu_seconds(base)
                result = asyncio.run(_ws_load(base, players[:sockets], frame, answer, per_socket))
                results.append(line(f"{label} sockets={sockets}", result, server_cpu_seconds(base) - cpu))
                print(results[-1], flush=True)
        # Submissions over the socket (one JWT check per connection, no HTTP or DRF per frame).
        add = {"action": "add_score", "game": "cod", "score": None}
        cpu = server_cpu_seconds(base)
        ws_submits = asyncio.run(_ws_load(base, players, add, "score_added", 10**6, duration=DURATION))
        results.append(line(f"WS add_score x{CLIENTS} sockets", ws_submits, server_cpu_seconds(base) - cpu))
        print(results[-1], flush=True)

    print("\n######## leaderboard figures")
    print("\n".join(figures))
    print("\n".join(results))
    print(f"POST rate {submits.rps:.0f}/s (p99 {percentile(submits.latencies, 99) * 1000:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
