"""Live trivia under load: N WebSocket players through the balancer (PostgreSQL + Redis).

The players connect through HAProxy to `--processes` web processes of `--server` (default 2
uvicorn processes: the production topology of docs/deployment.md; `--processes 1` for one), so
every broadcast crosses processes through the Redis hub.

Prints, per player count N:
* connect rate: players connected, authenticated (?token=) and WELCOMEd per second;
* fan-out: for ROUND, SPLIT and PEER_ATTEMPT, the delay from the service call that broadcasts
  (round start, split, winning attempt, made by this script like beat's worker would) to the
  frame's arrival at the LAST of the N players, p50 / p99 over the trials;
* memory: the web processes' RSS growth per connected player;
* server CPU (every web process, plus HAProxy's apart) per connect, broadcast and attempt;
and once, with `--attempt-players` (200) players sending attempts: attempts processed per
second, the attempt -> own PEER_ATTEMPT echo latency, and that a burst of simultaneous correct
answers makes exactly one winner and one prize.

The players are a minimal asyncio WebSocket client (no per-frame JSON parsing) so that one
client process can hold thousands of sockets without dominating the measurement. The game
clock is not running: this script advances the game itself, so each broadcast has a known
start time.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gameconnect_bench_trivia \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/7 \\
    .venv/bin/python bench/trivia_load.py --players 100,1000,2000
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import resource
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
# This benchmark's own database and Redis (before the harness reads them).
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gameconnect_bench_trivia")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")

from bench.harness import (  # noqa: E402
    CLUSTERS,
    bench_env,
    cluster,
    ensure_database,
    percentile,
    proxy_cpu_seconds,
    server_cpu_seconds,
)

# The balancer port range (web processes take the ports after it); BENCH_PORTS=first-last picks another.
_first, _last = (int(x) for x in os.environ.get("BENCH_PORTS", "8300-8399").split("-"))
PORTS = range(_first, _last + 1)
GAME_ENV = {
    # The script drives the game; nothing else may advance it.
    "INPROCESS_CLOCK": "false",
    "TRIVIA_SPLIT_SECONDS": "3600",
    "TRIVIA_ROUND_END_SECONDS": "0",
    # A persistent database connection in the web process (recommended in production too).
    "DB_CONN_MAX_AGE": "60",
}


# --- a minimal WebSocket client ----------------------------------------------------------------


class Player(asyncio.Protocol):
    """One socket. Records when each event last arrived; answers pings; sends masked text."""

    def __init__(self, bench: Bench, index: int, user_id: int, path: str, host: str) -> None:
        self.bench, self.index, self.user_id = bench, index, user_id
        self.path, self.host = path, host
        self.buf = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.welcomed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.own_marker = f'"userId":{user_id},'.encode()
        self.sent: dict[str, float] = {}

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.welcomed.done():
            self.welcomed.set_exception(ConnectionError(f"player {self.index} closed before WELCOME"))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in bytes(self.buf[: self.buf.find(b"\r\n")]):
                if not self.welcomed.done():
                    self.welcomed.set_exception(ConnectionError(bytes(self.buf[:200]).decode(errors="replace")))
                return
            del self.buf[: end + 4]
            self.upgraded = True
        buf, pos, size = self.buf, 0, len(self.buf)
        while size - pos >= 2:
            opcode, length, header = buf[pos] & 0x0F, buf[pos + 1] & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, header = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, header = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if size - pos < header + length:
                break
            payload = bytes(buf[pos + header : pos + header + length])
            pos += header + length
            if opcode == 1:
                self.on_text(payload)
            elif opcode == 9:
                self.send_frame(0xA, payload)
            elif opcode == 8:
                self.closed = True
        del buf[:pos]

    def on_text(self, payload: bytes) -> None:
        now = time.perf_counter()
        end = payload.find(b'"', 10)
        event = payload[10:end].decode()
        self.bench.arrived(self, event, now, payload)
        if event == "WELCOME" and not self.welcomed.done():
            self.welcomed.set_result(None)

    def send_frame(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x80 | opcode])
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            header += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        key = int.from_bytes((mask * (n // 4 + 1))[:n], "big") if n else 0
        masked = (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big") if n else b""
        self.transport.write(header + mask + masked)

    def send_json(self, content: Any) -> None:
        self.send_frame(0x1, json.dumps(content, separators=(",", ":")).encode())

    def close(self) -> None:
        if self.transport is not None:
            self.send_frame(0x8, (1000).to_bytes(2, "big"))
            self.transport.close()


class Bench:
    """Arrival bookkeeping: for a watched event, when each player got it."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.watch: str | None = None
        self.arrivals: dict[int, float] = {}
        self.all_arrived: asyncio.Event = asyncio.Event()
        self.expected = 0
        self.on_own_attempt: Callable[[Player, float, bytes], None] | None = None
        self.correct_seen = 0

    def expect(self, event: str, players: int) -> None:
        self.watch, self.expected = event, players
        self.arrivals = {}
        self.all_arrived = asyncio.Event()

    def arrived(self, player: Player, event: str, now: float, payload: bytes) -> None:
        self.counts[event] += 1
        if event == "PEER_ATTEMPT":
            if player.index == 0 and b'"correct":true' in payload:
                self.correct_seen += 1
            if self.on_own_attempt is not None and player.own_marker in payload:
                self.on_own_attempt(player, now, payload)
        if event == self.watch and player.index not in self.arrivals:
            self.arrivals[player.index] = now
            if len(self.arrivals) >= self.expected:
                self.all_arrived.set()


# --- the server and the database -----------------------------------------------------------------


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@dataclass
class Served:
    """The servers under test: the balancer's port, and CPU and memory over its web processes."""

    base: str
    port: int

    def cpu(self) -> float:
        return server_cpu_seconds(self.base)

    def proxy_cpu(self) -> float:
        return proxy_cpu_seconds(self.base)

    def rss(self) -> int:
        return sum(rss_bytes(pid) for pid in CLUSTERS[self.base].web_pids())


@contextlib.contextmanager
def serve(env: dict[str, str], processes: int, server: str) -> Iterator[Served]:
    """`processes` web processes of `server` behind HAProxy (bench.harness.cluster)."""
    port = free_port()
    with cluster(env, processes=processes, server=server, port=port) as base:
        yield Served(base, port)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


def reset_game(players: int) -> tuple[list[tuple[int, str]], Any]:
    """Fresh bench accounts (with their signup ledger rows), no rounds, empty Redis; returns
    [(user id, access token)] and the account this script plays with."""
    from django.db import transaction
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from common.redis import get_redis
    from gamers.models import CoinTransaction, Gamer
    from gamers.rules import username_key
    from gamers.services import CoinEntry, coins_apply_many
    from trivia import rules
    from trivia.models import Entry, Round
    from trivia.seed import load_bank

    get_redis().flushdb()
    with transaction.atomic():
        Round.objects.all().delete()
        Gamer.objects.filter(username__startswith="bench ").delete()
        if not Entry.objects.exists():
            load_bank()
        # Every trial splits a round once and then wins it: leave out the few answers that a
        # single split would reveal entirely (e.g. "7"), which end with REVEAL instead.
        short = [e.pk for e in Entry.objects.only("answer") if rules.hidden_count(e.answer, rules.mask(e.answer)) < 3]
        Entry.objects.filter(pk__in=short).update(banned=True)
        now = timezone.now()
        gamers = [
            Gamer(
                username=name,
                username_key=username_key(name),
                email=f"bench{i}@bench.invalid",
                coins=0,
                password="!bench",
                joined=now,
            )
            for i, name in enumerate([f"bench {i:05d}" for i in range(players + 1)])
        ]
        Gamer.objects.bulk_create(gamers, batch_size=1000)
        gamers = list(Gamer.objects.filter(username__startswith="bench ").order_by("id"))
        coins_apply_many([CoinEntry(g.pk, 100, CoinTransaction.Reason.SIGNUP) for g in gamers])
    host, players_ = gamers[0], gamers[1:]
    return [(g.pk, str(AccessToken.for_user(g))) for g in players_], host


async def connect_players(bench: Bench, port: int, accounts: list[tuple[int, str]]) -> tuple[list[Player], float]:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(100)
    players: list[Player] = [None] * len(accounts)  # type: ignore[list-item]  # every slot is filled by one() below before use

    async def one(i: int, user_id: int, token: str) -> None:
        async with gate:
            _, player = await loop.create_connection(
                lambda: Player(bench, i, user_id, f"/ws/trivia/?token={token}", f"127.0.0.1:{port}"),
                "127.0.0.1",
                port,
            )
            players[i] = player
            await asyncio.wait_for(player.welcomed, 60)

    started = time.perf_counter()
    await asyncio.gather(*(one(i, uid, tok) for i, (uid, tok) in enumerate(accounts)))
    return players, time.perf_counter() - started


async def settle(bench: Bench, quiet: float = 1.0, limit: float = 300) -> float:
    """Wait until no frame has arrived for `quiet` seconds (e.g. the PEER_JOIN fan-out is done)."""
    started = time.perf_counter()
    last = sum(bench.counts.values())
    quiet_since = time.perf_counter()
    while time.perf_counter() - started < limit:
        await asyncio.sleep(0.1)
        total = sum(bench.counts.values())
        if total != last:
            last, quiet_since = total, time.perf_counter()
        elif time.perf_counter() - quiet_since >= quiet:
            break
    return time.perf_counter() - started - quiet


# --- phases --------------------------------------------------------------------------------------


async def fanout_trials(bench: Bench, players: list[Player], host: Any, trials: int) -> dict[str, list[float]]:
    """Each trial: start a round (ROUND), split it (SPLIT), win it (PEER_ATTEMPT)."""
    from django.db import close_old_connections

    from trivia import services
    from trivia.models import Round

    n = len(players)
    delays: dict[str, list[float]] = {"ROUND": [], "SPLIT": [], "PEER_ATTEMPT": []}

    def start() -> None:
        close_old_connections()
        assert services.round_start() is not None

    def split() -> None:
        round_ = Round.objects.get(state=Round.State.PLAYING)
        assert services.round_advance(round_.pk, now=round_.split_ends_at) is not None

    def win() -> None:
        round_ = Round.objects.get(state=Round.State.PLAYING)
        assert services.attempt_submit(user=host, message=round_.answer).correct

    for _ in range(trials):
        for event, action in (("ROUND", start), ("SPLIT", split), ("PEER_ATTEMPT", win)):
            bench.expect(event, n)
            t0 = time.perf_counter()
            await asyncio.to_thread(action)
            try:
                await asyncio.wait_for(bench.all_arrived.wait(), 60)
            except TimeoutError:
                closed = sum(p.closed for p in players)
                raise RuntimeError(f"{event}: {len(bench.arrivals)} of {n} players got it; {closed} closed") from None
            delays[event].append(max(bench.arrivals.values()) - t0)
        await asyncio.sleep(0.05)
    bench.expect("", 0)
    return delays


async def attempt_phase(bench: Bench, players: list[Player], rate_each: float, seconds: float, racers: int) -> dict:
    """Every player sends attempts at `rate_each`/s; halfway, `racers` players send the right
    answer at once. A ticker thread starts the next round after each win."""
    from django.db import close_old_connections, connection, transaction
    from django.db.models import Count, Sum

    from gamers.models import CoinTransaction, Gamer
    from trivia import services
    from trivia.models import Attempt, Round

    echoes: list[float] = []
    last_echo = [0.0]

    def own(player: Player, now: float, payload: bytes) -> None:
        message = json.loads(payload)["data"]["message"]
        sent = player.sent.pop(message, None)
        if sent is not None:
            echoes.append(now - sent)
            last_echo[0] = now

    bench.on_own_attempt = own
    bench.correct_seen = 0
    stop = threading.Event()

    def ticker() -> None:
        while not stop.is_set():
            with contextlib.suppress(Exception):
                services.tick()
            stop.wait(0.05)
        close_old_connections()

    await asyncio.to_thread(services.round_start)
    attempts_before = await asyncio.to_thread(Attempt.objects.count)
    frames_before = bench.counts["PEER_ATTEMPT"]
    ticking = threading.Thread(target=ticker, daemon=True)
    ticking.start()
    errors_before = bench.counts["ERROR"] + bench.counts["INSUFFICIENT_FUNDS"]

    async def play(player: Player, offset: float) -> int:
        await asyncio.sleep(offset)
        sent = 0
        end = time.perf_counter() + seconds
        next_at = time.perf_counter()
        while next_at < end:
            message = f"guess {player.index} {sent}"
            player.sent[message] = time.perf_counter()
            player.send_json({"event": "ATTEMPT", "data": {"message": message}})
            sent += 1
            # On a schedule, not "sleep after each send": a client busy receiving frames still
            # offers the full rate (catching up in small bursts).
            next_at += 1 / rate_each
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        return sent

    async def race() -> tuple[int, int]:
        if not racers:
            return 0, 0
        await asyncio.sleep(seconds / 2)
        round_ = await asyncio.to_thread(lambda: Round.objects.filter(state=Round.State.PLAYING).first())
        if round_ is None:
            return 0, 0
        for player in players[:racers]:
            player.send_json({"event": "ATTEMPT", "data": {"message": round_.answer}})
        # Wait (bounded) until the round is over: the racers' attempts queue behind the others.
        for _ in range(600):
            won = await asyncio.to_thread(lambda: Round.objects.get(pk=round_.pk))
            if won.state != Round.State.PLAYING:
                break
            await asyncio.sleep(0.1)
        prizes = await asyncio.to_thread(
            lambda: CoinTransaction.objects.filter(reason="prize", ref=f"trivia.round:{round_.pk}").count()
        )
        winners = await asyncio.to_thread(lambda: Attempt.objects.filter(round_id=round_.pk, prize__gt=0).count())
        return winners, prizes

    started = time.perf_counter()
    sent, (winners, prizes) = await asyncio.gather(
        asyncio.gather(*(play(p, random.random() / rate_each) for p in players)), race()
    )
    sent_total = sum(sent)
    await settle(bench, quiet=0.5, limit=120)
    # From the first attempt sent to the last one echoed back: the time the server took.
    elapsed = max(last_echo[0], started + seconds) - started
    stop.set()
    ticking.join()
    attempts = await asyncio.to_thread(Attempt.objects.count) - attempts_before
    paid = await asyncio.to_thread(lambda: Attempt.objects.filter(cost__gt=0).count())

    def invariants() -> tuple[bool, bool]:
        # One snapshot: attempts may still be committing (a queue of them, when the server is
        # behind), and balances read a moment after the ledger would not match.
        with transaction.atomic():
            connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return _invariants()

    def _invariants() -> tuple[bool, bool]:
        ledger = dict(CoinTransaction.objects.values_list("gamer").annotate(s=Sum("amount")).values_list("gamer", "s"))
        balanced = all(coins == ledger.get(pk, 0) for pk, coins in Gamer.objects.values_list("id", "coins"))
        one_prize = all(
            n == 1
            for n in Attempt.objects.filter(prize__gt=0)
            .values("round")
            .annotate(n=Count("id"))
            .values_list("n", flat=True)
        )
        return balanced, one_prize

    balanced, one_prize = await asyncio.to_thread(invariants)
    bench.on_own_attempt = None
    return {
        "paid": paid,
        "frames_delivered": bench.counts["PEER_ATTEMPT"] - frames_before,
        "frames_full": attempts * len(players),
        "offered": len(players) * rate_each,
        "sent": sent_total,
        "processed": attempts,
        "per_second": attempts / elapsed,
        "echo_p50": percentile(echoes, 50),
        "echo_p99": percentile(echoes, 99),
        "echoed": len(echoes),
        "refused": bench.counts["ERROR"] + bench.counts["INSUFFICIENT_FUNDS"] - errors_before,
        "race_winners": winners,
        "race_prizes": prizes,
        "correct_frames_seen_by_one_player": bench.correct_seen,
        "balances_equal_ledger": balanced,
        "one_prize_per_round": one_prize,
        "elapsed": elapsed,
    }


async def run_size(env: dict[str, str], n: int, trials: int, processes: int, server: str) -> dict[str, Any]:
    accounts, host = await asyncio.to_thread(reset_game, n)
    with serve(env, processes, server) as served:
        bench = Bench()
        # Warm every server (imports, first DB connection) before measuring memory.
        warm, _ = await connect_players(bench, served.port, accounts[: 2 * processes])
        for player in warm:
            player.close()
        await settle(bench, quiet=0.5)
        rss_before = served.rss()
        server_cpu, proxy_cpu, client_cpu = served.cpu(), served.proxy_cpu(), time.process_time()
        players, connect_seconds = await connect_players(bench, served.port, accounts)
        join_settle = await settle(bench)
        connect_cpu = (served.cpu() - server_cpu, time.process_time() - client_cpu)
        rss_after = served.rss()
        server_cpu, client_cpu = served.cpu(), time.process_time()
        delays = await fanout_trials(bench, players, host, trials)
        # CPU per broadcast: the servers', and this client's (receiving it on N sockets, plus the
        # service call it makes as the worker would), both on the same two cores.
        fanout_cpu = (served.cpu() - server_cpu, time.process_time() - client_cpu)
        proxy_total = served.proxy_cpu() - proxy_cpu
        for player in players:
            player.close()
    return {
        "n": n,
        "connect_rate": n / connect_seconds,
        "connect_seconds": connect_seconds,
        "join_settle": join_settle,
        "peer_joins": bench.counts["PEER_JOIN"],
        "peer_joins_full": n * (n - 1) // 2,
        "mem_per_player_kib": (rss_after - rss_before) / n / 1024,
        "server_ms_per_connect": connect_cpu[0] / n * 1000,
        "client_ms_per_connect": connect_cpu[1] / n * 1000,
        "server_ms_per_broadcast": fanout_cpu[0] / (3 * trials) * 1000,
        "client_ms_per_broadcast": fanout_cpu[1] / (3 * trials) * 1000,
        "proxy_seconds": proxy_total,
        "rss_mib": rss_after / 2**20,
        **{f"{e}_p50": percentile(v, 50) for e, v in delays.items()},
        **{f"{e}_p99": percentile(v, 99) for e, v in delays.items()},
    }


async def run_attempts(
    env: dict[str, str], n: int, rate_each: float, seconds: float, racers: int, processes: int, server: str
) -> dict[str, Any]:
    accounts, _ = await asyncio.to_thread(reset_game, n)
    with serve(env, processes, server) as served:
        bench = Bench()
        players, _ = await connect_players(bench, served.port, accounts)
        await settle(bench)
        server_cpu, client_cpu = served.cpu(), time.process_time()
        result = await attempt_phase(bench, players, rate_each, seconds, racers)
        result["server_ms_per_attempt"] = (served.cpu() - server_cpu) / max(1, result["processed"]) * 1000
        result["client_cpu_share"] = (time.process_time() - client_cpu) / result["elapsed"]
        for player in players:
            player.close()
    return result


def raise_open_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(needed, soft)), hard))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", default="1000", help="comma-separated player counts (default 1000)")
    parser.add_argument("--trials", type=int, default=20, help="broadcast trials per event (default 20)")
    parser.add_argument("--attempt-players", type=int, default=200, help="players sending attempts (0 to skip)")
    parser.add_argument(
        "--attempt-rates",
        default="0.5,2.5",
        help="attempts per second per player, one phase each (default 0.5,2.5: 100/s and 500/s offered by 200)",
    )
    parser.add_argument("--attempt-seconds", type=float, default=10.0)
    parser.add_argument("--racers", type=int, default=50, help="players answering correctly at the same instant")
    parser.add_argument("--processes", type=int, default=2, help="web processes behind HAProxy (default 2)")
    parser.add_argument("--server", default="uvicorn", choices=["uvicorn", "daphne", "granian"])
    args = parser.parse_args()
    sizes = [int(x) for x in args.players.split(",") if x.strip()]

    raise_open_file_limit(2 * max([*sizes, args.attempt_players]) + 1000)
    env = bench_env(**GAME_ENV)
    ensure_database(env)
    setup_django(env)
    print(
        f"database {env['DATABASE_URL']}  redis {env['REDIS_URL']}  {args.processes} {args.server} process(es)"
        " behind HAProxy",
        flush=True,
    )

    rows = []
    for n in sizes:
        row = asyncio.run(run_size(env, n, args.trials, args.processes, args.server))
        rows.append(row)
        print(
            f"N={n:>5}: connect {row['connect_rate']:7.1f}/s ({row['connect_seconds']:.1f} s; PEER_JOIN frames "
            f"delivered {row['peer_joins']} of {row['peer_joins_full']}, settled {row['join_settle']:.1f} s later)  "
            f"RSS {row['rss_mib']:.0f} MiB = {row['mem_per_player_kib']:.1f} KiB/player",
            flush=True,
        )
        print(
            f"         CPU per connect: server {row['server_ms_per_connect']:.2f} ms, client "
            f"{row['client_ms_per_connect']:.2f} ms;  CPU per broadcast: server "
            f"{row['server_ms_per_broadcast']:.1f} ms, client {row['client_ms_per_broadcast']:.1f} ms",
            flush=True,
        )
        print(
            "         to the last player: "
            + "   ".join(
                f"{e} p50 {row[e + '_p50'] * 1000:6.1f} ms p99 {row[e + '_p99'] * 1000:6.1f} ms"
                for e in ("ROUND", "SPLIT", "PEER_ATTEMPT")
            ),
            flush=True,
        )

    print(
        "\n| players | connect/s | ROUND p50 / p99 | SPLIT p50 / p99 | PEER_ATTEMPT p50 / p99 | KiB per player "
        "| CPU per broadcast server / client |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        cells = " | ".join(
            f"{row[e + '_p50'] * 1000:.0f} / {row[e + '_p99'] * 1000:.0f} ms"
            for e in ("ROUND", "SPLIT", "PEER_ATTEMPT")
        )
        print(
            f"| {row['n']:,} | {row['connect_rate']:.0f} | {cells} | {row['mem_per_player_kib']:.0f} "
            f"| {row['server_ms_per_broadcast']:.1f} / {row['client_ms_per_broadcast']:.1f} ms |"
        )

    for rate in [float(x) for x in args.attempt_rates.split(",") if x.strip()] if args.attempt_players else []:
        result = asyncio.run(
            run_attempts(
                env, args.attempt_players, rate, args.attempt_seconds, args.racers, args.processes, args.server
            )
        )
        print(
            f"\nattempts with {args.attempt_players} players (offered {result['offered']:.0f}/s for "
            f"{args.attempt_seconds:.0f} s): {result['per_second']:.0f} attempts/s processed "
            f"({result['processed']} of {result['sent']} sent, {result['paid']} of them paid; {result['refused']} refused: "
            f"throttle, no round, coins); "
            f"echo to the attempter p50 {result['echo_p50'] * 1000:.0f} ms p99 {result['echo_p99'] * 1000:.0f} ms; "
            f"PEER_ATTEMPT frames delivered {result['frames_delivered']} of {result['frames_full']} "
            f"(the rest shed by the hub: other players' wrong attempts); server CPU "
            f"{result['server_ms_per_attempt']:.2f} ms per attempt processed; this client used "
            f"{result['client_cpu_share'] * 100:.0f} % of a core"
        )
        print(
            f"race: {args.racers} simultaneous correct answers -> {result['race_winners']} winner, "
            f"{result['race_prizes']} prize; correct PEER_ATTEMPT frames seen by one player during the phase: "
            f"{result['correct_frames_seen_by_one_player']}; balances == ledger: {result['balances_equal_ledger']}; "
            f"one prize per round: {result['one_prize_per_round']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
