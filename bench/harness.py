"""Shared benchmark plumbing: start servers on PostgreSQL + Redis, drive HTTP load, percentiles.

* `cluster(env, processes=2, server="uvicorn")`: the production topology of `make cluster`
  (deploy/cluster.py: HAProxy in front of N web processes); yields the balancer's base URL.
* `daphne(env, port)`: one daphne process, reached directly (the older benchmarks' server).
* `http_load(..., cpu_of=base)`: req/s, p50/p99, and the server CPU per request, summed over every
  web process behind `base` (and, separately, HAProxy's).

Benchmarks are scripts (`bench/*.py`) run by `make bench`; they print their figures. They only
talk to 127.0.0.1 and every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from deploy.cluster import Cluster, cpu_seconds  # noqa: E402

PY = sys.executable
DEFAULT_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gameconnect_bench")
DEFAULT_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# base URL -> pid of the daphne process serving it (for server_cpu_seconds).
SERVER_PIDS: dict[str, int] = {}
# base URL (the balancer's) -> the cluster behind it.
CLUSTERS: dict[str, Cluster] = {}
# The balancer's port for cluster(); its web processes take the next ports.
CLUSTER_PORT = int(os.environ.get("BENCH_CLUSTER_PORT", "8780"))


def bench_env(**extra: str) -> dict[str, str]:
    """Environment for the server and management commands under benchmark."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": DEFAULT_DB,
            "REDIS_URL": DEFAULT_REDIS,
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "THROTTLE_AUTH_RATE": "1000000/min",
            "THROTTLE_LOGIN_ACCOUNT_RATE": "1000000/min",
            "THROTTLE_USER_RATE": "100000000/min",
            "THROTTLE_ANON_RATE": "100000000/min",
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra)
    return env


def ensure_database(env: dict[str, str]) -> None:
    """Create the benchmark database if needed and migrate it."""
    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True)
    manage("migrate", "--noinput", env=env)


def manage(*args: str, env: dict[str, str]) -> float:
    """Run a management command; returns its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


@contextlib.contextmanager
def daphne(env: dict[str, str], port: int = 8765) -> Iterator[str]:
    """A daphne process on 127.0.0.1:port; yields its base URL.

    Its output goes to bench/results/daphne-<port>.log: an unread pipe would fill up with
    request warnings and freeze the server mid-benchmark.
    """
    log_dir = ROOT / "bench" / "results"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"daphne-{port}.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [str(Path(PY).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    SERVER_PIDS[base] = proc.pid
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(log_path.read_text()) from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def cluster(
    env: dict[str, str],
    processes: int = 2,
    server: str = "uvicorn",
    port: int | None = None,
    *,
    worker: bool = False,
    beat: bool = False,
) -> Iterator[str]:
    """HAProxy on 127.0.0.1:port in front of `processes` web processes of `server` on the next
    ports, as `make cluster` runs them (deploy/cluster.py, deploy/haproxy.cfg); yields the
    balancer's base URL. No worker or beat unless asked: benchmarks drive the game themselves.
    Logs go to bench/results/cluster-<port>/.
    """
    port = port or CLUSTER_PORT
    started = Cluster(
        env,
        processes=processes,
        server=server,
        port=port,
        log_dir=ROOT / "bench" / "results" / f"cluster-{port}",
        worker=worker,
        beat=beat,
    )
    for log in started.log_dir.glob("*.log"):
        log.unlink()
    started.start(timeout=120)
    CLUSTERS[started.url] = started
    try:
        yield started.url
    finally:
        CLUSTERS.pop(started.url, None)
        started.stop()


def server_cpu_seconds(base: str) -> float:
    """CPU time (user + system) used so far by the server behind `base`: every web process of a
    cluster (with their children: granian runs its workers in subprocesses), or the daphne process
    of `daphne()`. HAProxy's is `proxy_cpu_seconds`."""
    if base in CLUSTERS:
        return sum(cpu_seconds(pid) for pid in CLUSTERS[base].web_pids())
    return cpu_seconds(SERVER_PIDS[base])


def proxy_cpu_seconds(base: str) -> float:
    """CPU time HAProxy has used so far (0 for a server reached directly)."""
    return cpu_seconds(CLUSTERS[base].proxy_pid()) if base in CLUSTERS else 0.0


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    server_cpu: float | None = None  # seconds, summed over the web processes (http_load's cpu_of)
    proxy_cpu: float | None = None  # seconds, HAProxy

    def cpu_ms_per_request(self) -> tuple[float, float]:
        """(web processes, HAProxy) CPU milliseconds per completed request."""
        n = max(1, len(self.latencies))
        return (self.server_cpu or 0.0) * 1000 / n, (self.proxy_cpu or 0.0) * 1000 / n

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def summary(self, label: str) -> str:
        cpu = ""
        if self.server_cpu is not None:
            web, lb = self.cpu_ms_per_request()
            cpu = f"   server CPU {web:5.2f} ms/req" + (f" (+ HAProxy {lb:4.2f})" if self.proxy_cpu else "")
        return (
            f"{label:<48} {self.rps:8.1f} req/s   p50 {percentile(self.latencies, 50) * 1000:7.1f} ms"
            f"   p99 {percentile(self.latencies, 99) * 1000:7.1f} ms{cpu}   statuses {dict(sorted(self.statuses.items()))}"
        )


async def _load(
    method: str,
    urls: list[str],
    concurrency: int,
    duration: float,
    headers: dict[str, str] | None,
    json_body: object,
    max_requests: int | None,
) -> LoadResult:
    import aiohttp

    result = LoadResult()
    sent = 0
    stop_at = time.perf_counter() + duration
    connector = aiohttp.TCPConnector(limit=concurrency)

    async with aiohttp.ClientSession(connector=connector, headers=headers or {}) as session:

        async def worker(i: int) -> None:
            nonlocal sent
            n = i
            while time.perf_counter() < stop_at and (max_requests is None or sent < max_requests):
                sent += 1
                url = urls[n % len(urls)]
                n += concurrency
                started = time.perf_counter()
                async with session.request(method, url, json=json_body) as response:
                    await response.read()
                result.latencies.append(time.perf_counter() - started)
                result.statuses[response.status] = result.statuses.get(response.status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        result.elapsed = time.perf_counter() - started
    return result


def http_load(
    urls: list[str] | str,
    *,
    method: str = "GET",
    concurrency: int = 32,
    duration: float = 20.0,
    headers: dict[str, str] | None = None,
    json_body: object = None,
    max_requests: int | None = None,
    cpu_of: str | None = None,
) -> LoadResult:
    """Drive `urls` round-robin from `concurrency` clients for `duration` seconds. With `cpu_of`
    (a base URL from `cluster()` or `daphne()`), also measure the server's and HAProxy's CPU."""
    url_list = [urls] if isinstance(urls, str) else urls
    before = (server_cpu_seconds(cpu_of), proxy_cpu_seconds(cpu_of)) if cpu_of else None
    result = asyncio.run(_load(method, url_list, concurrency, duration, headers, json_body, max_requests))
    if cpu_of and before:
        result.server_cpu = server_cpu_seconds(cpu_of) - before[0]
        result.proxy_cpu = proxy_cpu_seconds(cpu_of) - before[1]
    return result


def token_for(base: str, login: str, password: str) -> str:
    import json

    request = urllib.request.Request(
        base + "/api/v1/auth/token",
        data=json.dumps({"login": login, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["access"]
