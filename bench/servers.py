"""Which ASGI server for `web`? daphne, uvicorn (uvloop + httptools) and granian, side by side.

Each server runs as `make cluster` runs it (deploy/cluster.py: its standard command line, HAProxy
in front), with 1 and with 2 web processes, on PostgreSQL + Redis. The servers take turns in the
same run (round 1: daphne, uvicorn, granian; round 2: the same again ...), so a change in the
machine's load hits them alike. Per server and process count:

* `GET /api/v1/leaderboard/games`: a cheap JSON endpoint (DRF, throttle, one small query);
* `GET /api/v1/sessions/?ordering=-like_count`: a list from the database (1,000 sessions,
  5,000 likes);
* `POST /api/v1/leaderboard/scores`: an authenticated write, each client its own player;
* WebSocket fan-out: N trivia sockets through the balancer; the time from a broadcast (a round
  start, a split, a win, made by this script like the worker would) to the last socket receiving
  it (bench/trivia_load.py's client and trials);

each HTTP load with 32 clients, printing req/s, p50/p99 and the server CPU per request (summed
over the web processes; HAProxy's beside it). The load generator runs on the same two cores.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gc_bench_cluster \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/10 BENCH_CLUSTER_PORT=8780 \\
    .venv/bin/python bench/servers.py [--rounds 2] [--duration 8] [--sockets 250]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gameconnect_bench_servers")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ.setdefault("ACCESS_TOKEN_MINUTES", "600")  # tokens made here outlive the whole run

from bench.harness import (  # noqa: E402
    LoadResult,
    bench_env,
    cluster,
    ensure_database,
    http_load,
    percentile,
    proxy_cpu_seconds,
    server_cpu_seconds,
)
from bench.trivia_load import (  # noqa: E402
    GAME_ENV,
    Bench,
    connect_players,
    fanout_trials,
    raise_open_file_limit,
    reset_game,
    settle,
    setup_django,
)
from deploy.cluster import SERVERS  # noqa: E402

SESSIONS, LIKES = 1_000, 5_000
CLIENTS = 32
HTTP = ("games", "sessions", "scores")
LABELS = {
    "games": "GET /leaderboard/games",
    "sessions": "GET /sessions/?ordering=-like_count",
    "scores": "POST /leaderboard/scores",
    "fanout": "WS broadcast to the last socket",
}


def seed_sessions(organizers: list[int]) -> None:
    """SESSIONS sessions and LIKES likes by the bench players (replacing earlier ones)."""
    from django.db import connection
    from django.utils import timezone

    from sessions_app.counters import counters_recount
    from sessions_app.models import GameSession, Like

    rng = random.Random(15)
    now = timezone.now()
    GameSession.objects.all().delete()
    GameSession.objects.bulk_create(
        [
            GameSession(
                title=f"Bench session {i}",
                game=rng.choice(["Valorant", "FIFA", "Chess", "Apex Legends"]),
                description="voice chat, no toxicity",
                platform="pc",
                starts_at=now + timedelta(hours=rng.randint(1, 500)),
                max_attendees=10,
                organizer_id=organizers[i % len(organizers)],
            )
            for i in range(SESSIONS)
        ],
        batch_size=1000,
    )
    ids = list(GameSession.objects.values_list("id", flat=True))
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < min(LIKES, len(ids) * len(organizers)):
        pairs.add((rng.choice(ids[: len(ids) // 4 or 1] if rng.random() < 0.5 else ids), rng.choice(organizers)))
    Like.objects.bulk_create([Like(session_id=s, gamer_id=g) for s, g in pairs], batch_size=2000)
    counters_recount(session_ids=ids)  # bulk_create bypasses the services that keep like_count
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sessions_app_gamesession; ANALYZE sessions_app_like")


async def _scores(base: str, tokens: list[str], game: str, duration: float) -> LoadResult:
    """CLIENTS clients, each a different player, posting scores back to back."""
    import aiohttp

    result = LoadResult()
    stop_at = time.perf_counter() + duration
    url = f"{base}/api/v1/leaderboard/scores"

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=len(tokens))) as session:

        async def client(token: str, seed: int) -> None:
            rng = random.Random(seed)
            headers = {"Authorization": f"Bearer {token}"}
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                async with session.post(url, json={"game": game, "score": rng.randint(1, 1000)}, headers=headers) as r:
                    await r.read()
                result.latencies.append(time.perf_counter() - started)
                result.statuses[r.status] = result.statuses.get(r.status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(client(token, i) for i, token in enumerate(tokens)))
        result.elapsed = time.perf_counter() - started
    return result


def scores_load(base: str, tokens: list[str], game: str, duration: float) -> LoadResult:
    before = server_cpu_seconds(base), proxy_cpu_seconds(base)
    result = asyncio.run(_scores(base, tokens, game, duration))
    result.server_cpu = server_cpu_seconds(base) - before[0]
    result.proxy_cpu = proxy_cpu_seconds(base) - before[1]
    return result


def http_phase(base: str, workload: str, tokens: list[str], game: str, duration: float) -> LoadResult:
    if workload == "scores":
        scores_load(base, tokens, game, 1.0)  # warm-up
        return scores_load(base, tokens, game, duration)
    url = {
        "games": f"{base}/api/v1/leaderboard/games",
        "sessions": f"{base}/api/v1/sessions/?ordering=-like_count",
    }[workload]
    headers = {"Authorization": f"Bearer {tokens[0]}"}  # the sessions list is for signed-in players
    http_load(url, concurrency=CLIENTS, duration=1.0, headers=headers)  # warm-up: imports, connections
    return http_load(url, concurrency=CLIENTS, duration=duration, headers=headers, cpu_of=base)


async def fanout_phase(base: str, accounts: list[tuple[int, str]], host: Any, trials: int) -> dict[str, float]:
    """Connect the sockets through the balancer, then `trials` x (ROUND, SPLIT, PEER_ATTEMPT)."""
    from trivia.models import Round

    await asyncio.to_thread(lambda: Round.objects.all().delete())
    port = int(base.rsplit(":", 1)[1])
    bench = Bench()
    players, connect_seconds = await connect_players(bench, port, accounts)
    await settle(bench, quiet=1.0)
    cpu = server_cpu_seconds(base), proxy_cpu_seconds(base)
    delays = await fanout_trials(bench, players, host, trials)
    broadcasts = 3 * trials
    web_ms = (server_cpu_seconds(base) - cpu[0]) * 1000 / broadcasts
    lb_ms = (proxy_cpu_seconds(base) - cpu[1]) * 1000 / broadcasts
    for player in players:
        player.close()
    everything = [d for values in delays.values() for d in values]
    return {
        "p50": percentile(everything, 50),
        "p99": percentile(everything, 99),
        "web_ms": web_ms,
        "lb_ms": lb_ms,
        "connect_rate": len(players) / connect_seconds,
        "n": len(players),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", default=",".join(("daphne", "uvicorn", "granian")))
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per HTTP measurement")
    parser.add_argument("--sockets", type=int, default=250, help="trivia sockets for the fan-out (0 to skip)")
    parser.add_argument("--trials", type=int, default=8, help="fan-out trials per event")
    args = parser.parse_args()
    servers = [s for s in args.servers.split(",") if s]
    assert all(s in SERVERS for s in servers), servers
    process_counts = [int(p) for p in args.processes.split(",") if p]

    raise_open_file_limit(4 * args.sockets + 1000)
    env = bench_env(**GAME_ENV)
    ensure_database(env)
    setup_django(env)
    from leaderboard.models import Game

    accounts, host = reset_game(max(args.sockets, CLIENTS))
    seed_sessions([user_id for user_id, _ in accounts[:200]])
    game = Game.objects.order_by("slug").values_list("slug", flat=True).first()
    assert game, "no leaderboard game (the leaderboard migrations seed them)"
    tokens = [token for _, token in accounts[:CLIENTS]]
    print(
        f"database {env['DATABASE_URL']}  redis {env['REDIS_URL']}  servers {servers}  processes {process_counts}  "
        f"{args.rounds} rounds  {args.duration:.0f} s per HTTP figure, {CLIENTS} clients; "
        f"{args.sockets} sockets x {args.trials} trials",
        flush=True,
    )

    # (workload, processes, server) -> one figure per round
    http: dict[tuple[str, int, str], list[LoadResult]] = defaultdict(list)
    fan: dict[tuple[int, str], list[dict[str, float]]] = defaultdict(list)
    for round_no in range(1, args.rounds + 1):
        for processes in process_counts:
            for server in servers:  # interleaved: A B C, then A B C again
                with cluster(env, processes=processes, server=server) as base:
                    print(f"\n-- round {round_no}: {server} x{processes} behind HAProxy", flush=True)
                    for workload in HTTP:
                        result = http_phase(base, workload, tokens, game, args.duration)
                        http[(workload, processes, server)].append(result)
                        print("   " + result.summary(LABELS[workload]), flush=True)
                    if args.sockets:
                        row = asyncio.run(fanout_phase(base, accounts[: args.sockets], host, args.trials))
                        fan[(processes, server)].append(row)
                        print(
                            f"   {LABELS['fanout']} ({row['n']} sockets): p50 {row['p50'] * 1000:.0f} ms  "
                            f"p99 {row['p99'] * 1000:.0f} ms  server CPU {row['web_ms']:.1f} ms/broadcast "
                            f"(+ HAProxy {row['lb_ms']:.1f})  connect {row['connect_rate']:.0f}/s",
                            flush=True,
                        )

    print("\nMedians over the rounds (each figure is one 32-client run; CPU in ms per request, web + HAProxy)\n")
    print("| workload | processes | " + " | ".join(servers) + " |")
    print("|---|---:|" + "---:|" * len(servers))
    for workload in HTTP:
        for processes in process_counts:
            cells = []
            for server in servers:
                runs = http[(workload, processes, server)]
                rps = statistics.median(r.rps for r in runs)
                p50 = statistics.median(percentile(r.latencies, 50) for r in runs) * 1000
                p99 = statistics.median(percentile(r.latencies, 99) for r in runs) * 1000
                web = statistics.median(r.cpu_ms_per_request()[0] for r in runs)
                lb = statistics.median(r.cpu_ms_per_request()[1] for r in runs)
                bad = sum(n for r in runs for status, n in r.statuses.items() if status >= 400)
                spread = f" ({min(r.rps for r in runs):.0f}-{max(r.rps for r in runs):.0f})" if len(runs) > 1 else ""
                cells.append(
                    f"{rps:.0f} req/s{spread}, {p50:.0f} / {p99:.0f} ms, CPU {web:.2f} + {lb:.2f}"
                    + (f", {bad} errors" if bad else "")
                )
            print(f"| {LABELS[workload]} | {processes} | " + " | ".join(cells) + " |")
    for processes in process_counts:
        if not fan[(processes, servers[0])]:
            continue
        cells = []
        for server in servers:
            rows = fan[(processes, server)]
            p50 = statistics.median(r["p50"] for r in rows) * 1000
            p99 = statistics.median(r["p99"] for r in rows) * 1000
            web = statistics.median(r["web_ms"] for r in rows)
            lb = statistics.median(r["lb_ms"] for r in rows)
            cells.append(f"{p50:.0f} / {p99:.0f} ms, CPU {web:.1f} + {lb:.1f} per broadcast")
        print(f"| {LABELS['fanout']} ({args.sockets} sockets) | {processes} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
