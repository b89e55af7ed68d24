"""Real processes for the multi-process tests and the fault drills (docs/hardening.md).

* `Stack`: daphne web processes, a Celery worker and beat as subprocesses of the test, on the
  test database, with short game timings; kill (SIGKILL) and restart any of them.
* `RedisServer`: a private redis-server on its own port, to kill and restart (never the shared one).
* `PostgresCluster`: a private PostgreSQL cluster (initdb), loaded with a copy of the test
  database, to stop and start.
* waiting helpers (poll a condition with a deadline, never a fixed sleep) and `/healthz`.

Ports come from DRILL_PORTS (`first-last`, e.g. `18300-18399`) when it is set, else from the OS.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("DRILL_PG_BIN", "/usr/lib/postgresql/15/bin"))
SPLIT_SECONDS = 0.8
_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port nobody listens on: from the DRILL_PORTS range when set, else any the OS offers."""
    span = os.environ.get("DRILL_PORTS", "")
    candidates: list[int] = []
    if span:
        first, last = (int(p) for p in span.split("-"))
        candidates = [p for p in range(first, last + 1) if p not in _handed_out]
    for port in candidates or [0]:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            port = s.getsockname()[1]
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port left in DRILL_PORTS={span}")


def database_url(*, host: str | None = None, port: int | None = None, name: str | None = None) -> str:
    """The test database's URL (what pytest-django created), optionally on another server."""
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    host = host or db["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{port or db['PORT'] or 5432}/{name or db['NAME']}"


# --- processes ------------------------------------------------------------------------------


class Stack:
    """The production processes, started and stopped by one test only."""

    def __init__(self, tmp: Path, *, env: dict[str, str] | None = None, redis: RedisServer | None = None) -> None:
        self.tmp = tmp
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}
        self.redis = redis  # the private Redis the processes use, if any (else the test Redis)
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis.url(0) if redis else settings.REDIS_URL,
            "SECRET_KEY": settings.SECRET_KEY,
            "DEBUG": "true",
            "INPROCESS_CLOCK": "false",
            "CLOCK_INTERVAL_SECONDS": "0.2",
            "TRIVIA_SPLIT_SECONDS": str(SPLIT_SECONDS),
            "TRIVIA_ROUND_END_SECONDS": "0.5",
            "TRIVIA_PRESENCE_TTL_SECONDS": "2",
            "TRIVIA_PRESENCE_REFRESH_SECONDS": "0.5",
            "THROTTLE_USER_RATE": "100000/min",
            "THROTTLE_ANON_RATE": "100000/min",
            "CHANNEL_PREFIX": f"mp-{os.getpid()}-{id(self)}",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.env.pop("GAMECONNECT_TESTING", None)

    def start(self, name: str, args: list[str]) -> None:
        with open(self.tmp / f"{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def start_web(self, name: str, port: int | None = None) -> str:
        """Start daphne; returns its base URL (the same port again on a restart)."""
        port = port or self.ports.get(name) or free_port()
        self.ports[name] = port
        self.start(name, [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"])
        return self.url(name)

    def url(self, name: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.ports[name]}"

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

    def manage(self, *args: str, timeout: float = 60) -> str:
        """Run a management command against the stack's database and Redis; returns its output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, timeout=timeout
        )
        out = (done.stdout + done.stderr).decode(errors="replace")
        assert done.returncode == 0, out
        return out

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(sig)
        proc.wait(timeout=10)

    def alive(self, name: str) -> bool:
        return name in self.procs and self.procs[name].poll() is None

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.procs.clear()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in self.tmp.glob("*.log"))


class RedisServer:
    """A private redis-server without persistence: a restart empties it, like a crash of a cache."""

    def __init__(self, tmp: Path, port: int | None = None) -> None:
        self.tmp = tmp
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with open(self.tmp / "redis-server.log", "ab") as log:
            self.proc = subprocess.Popen([*args, "--dir", str(self.tmp)], stdout=log, stderr=subprocess.STDOUT)
        wait_sync(self.answers, 10, "the private redis-server did not start")

    def kill(self) -> None:
        """SIGKILL: clients see their connections reset, and the data is gone."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class PostgresCluster:
    """A private PostgreSQL cluster (initdb) on its own port and socket folder, to stop and start.

    initdb refuses to run as root: as root the cluster belongs to the `postgres` OS user.
    """

    def __init__(self, port: int | None = None) -> None:
        # Not under pytest's tmp_path: that is private to root, and the server runs as `postgres`.
        self.dir = Path(tempfile.mkdtemp(prefix="gameconnect-drill-pg-"))
        self.data = self.dir / "data"
        self.port = port or free_port()

    @staticmethod
    def available() -> bool:
        return (PG_BIN / "initdb").is_file() and (os.geteuid() != 0 or shutil.which("runuser") is not None)

    def _run(self, *args: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *args], capture_output=True, timeout=timeout)
        assert done.returncode == 0, (done.stdout + done.stderr).decode(errors="replace")

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """`fast`: the server ends every session (clients get "terminating connection") and exits."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def copy_of_test_database(self, name: str) -> str:
        """Create `name` here as a copy of the test database (schema and rows); returns its URL."""
        source = database_url()
        target = database_url(port=self.port, name=name)
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name], check=True
        )
        dump = subprocess.Popen([str(PG_BIN / "pg_dump"), "--no-owner", "--no-acl", source], stdout=subprocess.PIPE)
        load = subprocess.run(
            [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", target], stdin=dump.stdout, capture_output=True
        )
        assert dump.wait() == 0 and load.returncode == 0, load.stderr.decode(errors="replace")
        return target

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with suppress(AssertionError):
                self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def database_at(url_port: int, name: str) -> Iterator[None]:
    """Point this process's default connection at another server's database for a while (the
    checks of a drill whose processes ran on a private cluster); back to the test database after."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update({"HOST": "127.0.0.1", "PORT": str(url_port), "NAME": name})
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


# --- waiting --------------------------------------------------------------------------------


def wait_sync(condition: Callable[[], Any], timeout: float, message: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(interval)
    raise AssertionError(message)


async def wait_until(
    condition: Callable[[], Any | Awaitable[Any]], timeout: float, message: str, interval: float = 0.1
) -> Any:
    """Poll `condition` (sync or async) until it returns something truthy, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(message)
        await asyncio.sleep(interval)


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ORM code from async test code, closing the thread's connection afterwards (an open
    one would keep the test database from being dropped)."""

    def call() -> T:
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    return await asyncio.to_thread(call)


def http_json(
    url: str, *, method: str = "GET", body: Any = None, token: str | None = None, timeout: float = 10
) -> tuple[int, Any]:
    """(status, parsed JSON body) of one request; the status of an error response too."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"null")
        except ValueError:
            return exc.code, raw.decode(errors="replace")


async def health(base_url: str, timeout: float = 5) -> tuple[int, Any]:
    """GET /healthz: (status, body); (0, error) when nothing answers."""
    try:
        return await asyncio.to_thread(http_json, f"{base_url}/healthz", timeout=timeout)
    except OSError as exc:
        return 0, str(exc)


async def wait_healthy(base_url: str, stack: Stack | None = None, timeout: float = 40) -> dict[str, Any]:
    """Wait until /healthz answers 200 (a process starting, or a dependency coming back)."""
    last: tuple[int, Any] = (0, None)

    async def ok() -> bool:
        nonlocal last
        last = await health(base_url, timeout=2)
        return last[0] == 200

    try:
        await wait_until(ok, timeout, f"{base_url}/healthz")
    except AssertionError:
        raise AssertionError(f"{base_url}/healthz is not ok: {last}\n{stack.logs() if stack else ''}") from None
    return last[1]


async def next_event(ws: Any, *events: str, timeout: float = 10, seen: list[dict[str, Any]] | None = None) -> Any:
    """The next trivia frame whose event is one of `events` (every frame read is kept in `seen`)."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await ws.receive_json()
            if seen is not None:
                seen.append(frame)
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
        elif frame["event"] in {"REVEAL", "WELCOME"} or (frame["event"] == "PEER_ATTEMPT" and frame["data"]["correct"]):
            hidden = None
    return True


# --- invariants -----------------------------------------------------------------------------


def invariant_violations() -> list[str]:
    """Every product invariant the drills must keep, read from the database (empty = all hold):
    coins equal the ledger; trivia rounds numbered without gaps, at most one open, at most one
    correct attempt and one prize per round, reveals consistent with the mask; tickets sold +
    available = total; attendances within seats and never twice."""
    from django.db.models import Count, F, Q, Sum

    from events.models import Event
    from gamers.models import CoinTransaction, Gamer
    from sessions_app.models import Attendance, GameSession
    from trivia import rules
    from trivia.models import Attempt, Round

    problems: list[str] = []
    ledger = dict(CoinTransaction.objects.values_list("gamer").annotate(s=Sum("amount")).values_list("gamer", "s"))
    for pk, coins in Gamer.objects.values_list("id", "coins"):
        if coins != ledger.get(pk, 0):
            problems.append(f"gamer {pk}: {coins} coins, ledger says {ledger.get(pk, 0)}")

    rounds = list(Round.objects.order_by("number"))
    if [r.number for r in rounds] != list(range(1, len(rounds) + 1)):
        problems.append(f"round numbers {[r.number for r in rounds]}")
    if sum(r.state != Round.State.CLOSED for r in rounds) > 1:
        problems.append("more than one round open")
    for r in rounds:
        hidden = rules.hidden_count(r.answer, r.masked)
        if r.reveals >= r.hidden_total:
            problems.append(f"round {r.number}: {r.reveals} reveals of {r.hidden_total}")
        if r.state == Round.State.PLAYING and hidden != r.hidden_total - r.reveals:
            problems.append(f"round {r.number}: {hidden} hidden after {r.reveals} reveals of {r.hidden_total}")
    for row in Attempt.objects.values("round").annotate(wins=Count("id", filter=Q(correct=True))).filter(wins__gt=1):
        problems.append(f"round {row['round']}: {row['wins']} correct attempts")
    prizes = (
        CoinTransaction.objects.filter(reason=CoinTransaction.Reason.PRIZE)
        .values("ref")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    problems += [f"{row['ref']}: {row['n']} prizes" for row in prizes]
    for r in rounds:
        if r.winner_id is not None and not Attempt.objects.filter(round=r, gamer_id=r.winner_id, correct=True).exists():
            problems.append(f"round {r.number}: winner without a correct attempt")

    confirmed = Q(orders__status="confirmed")  # cancelled orders gave their seats back (issue 21)
    sold = Event.objects.annotate(sold=Sum("orders__quantity", filter=confirmed, default=0)).exclude(
        tickets_total=F("tickets_available") + F("tickets_held") + F("sold")
    )
    problems += [
        f"event {e.pk}: {e.tickets_available} left + {e.tickets_held} held + {e.sold} sold != {e.tickets_total}"
        for e in sold
    ]
    full = GameSession.objects.annotate(n=Count("attendances")).filter(n__gt=F("max_attendees"))
    problems += [f"session {s.pk}: {s.n} attendees > {s.max_attendees} seats" for s in full]
    twice = Attendance.objects.values("session", "gamer").annotate(n=Count("id")).filter(n__gt=1)
    problems += [f"attendance twice: {row}" for row in twice]
    return problems
