"""Shared benchmark plumbing: start daphne on PostgreSQL + Redis, drive HTTP load, percentiles.

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
PY = sys.executable
DEFAULT_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gameconnect_bench")
DEFAULT_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# base URL -> pid of the daphne process serving it (for server_cpu_seconds).
SERVER_PIDS: dict[str, int] = {}


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


def server_cpu_seconds(base: str) -> float:
    """CPU time (user + system) the daphne process serving `base` has used so far (Linux)."""
    fields = Path(f"/proc/{SERVER_PIDS[base]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def summary(self, label: str) -> str:
        return (
            f"{label:<48} {self.rps:8.1f} req/s   p50 {percentile(self.latencies, 50) * 1000:7.1f} ms"
            f"   p99 {percentile(self.latencies, 99) * 1000:7.1f} ms   statuses {dict(sorted(self.statuses.items()))}"
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
) -> LoadResult:
    """Drive `urls` round-robin from `concurrency` clients for `duration` seconds."""
    url_list = [urls] if isinstance(urls, str) else urls
    return asyncio.run(_load(method, url_list, concurrency, duration, headers, json_body, max_requests))


def token_for(base: str, login: str, password: str) -> str:
    import json

    request = urllib.request.Request(
        base + "/api/v1/auth/token",
        data=json.dumps({"login": login, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["access"]
