"""`make cluster`: the production topology on one machine, without Docker (docs/deployment.md).

HAProxy (Debian's package) on PORT in front of N web processes (a standard ASGI server on ports
PORT+1..PORT+N), one Celery worker and exactly one Celery beat, on the PostgreSQL and Redis named by
DATABASE_URL and REDIS_URL. The HAProxy config is deploy/haproxy.cfg, the one docker compose mounts,
with its server lines written for the local processes.

    python -m deploy.cluster start [--processes 2] [--server uvicorn] [--port 8000]
    python -m deploy.cluster stop        # or Ctrl-C in the terminal that started it
    python -m deploy.cluster config      # print the HAProxy config `start` would use

Logs go to var/cluster/<process>.log. The `Cluster` class is what the balancer test
(e2e/test_balancer.py) and the benchmarks (bench/harness.py) start and stop.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TEMPLATE = Path(__file__).resolve().parent / "haproxy.cfg"
LOG_DIR = ROOT / "var" / "cluster"
SERVERS = ("uvicorn", "daphne", "granian")
BEGIN, END = "# BEGIN servers", "# END servers"


def haproxy_path() -> str | None:
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(p).is_file()), None
    )


def web_command(server: str, host: str, port: int) -> list[str]:
    """One web process, on the server's standard command line.

    None of them may rewrite the client address from X-Forwarded-For on its own: Django applies
    TRUSTED_PROXIES (common/client_ip.py). Daphne and granian don't unless told to; uvicorn trusts
    127.0.0.1's headers by default, hence `--no-proxy-headers`. HAProxy logs every request (without
    its query string), so no server access log; uvicorn also logs each WebSocket's path with its
    `?token=` at INFO, hence `--log-level warning`.
    """
    app = "config.asgi:application"
    if server == "uvicorn":
        return [
            str(BIN / "uvicorn"), app, "--host", host, "--port", str(port), "--loop", "uvloop",
            "--http", "httptools", "--no-proxy-headers", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
    if server == "daphne":
        return [str(BIN / "daphne"), "-b", host, "-p", str(port), app]
    if server == "granian":
        return [str(BIN / "granian"), "--interface", "asgi", "--host", host, "--port", str(port), app]
    raise ValueError(f"unknown server {server!r}: one of {', '.join(SERVERS)}")


def haproxy_config(web: list[tuple[str, int]]) -> str:
    """deploy/haproxy.cfg with its server lines for these (host, port) web processes."""
    text = TEMPLATE.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    indent = head.rsplit("\n", 1)[1]
    lines = [f"server web{i} {host}:{port}" for i, (host, port) in enumerate(web, start=1)]
    return head + BEGIN + "\n" + "".join(f"{indent}{line}\n" for line in lines) + indent + END + tail


def healthcheck_host(env: Mapping[str, str]) -> str:
    """A Host the web processes accept for HAProxy's health checks: the first of ALLOWED_HOSTS."""
    hosts = [h.strip() for h in env.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    return next((h for h in hosts if not h.startswith(".") and "*" not in h), "localhost")


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process and all its live descendants have used (Linux /proc)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for child in [pid, *descendants(pid)]:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def http_ok(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.HTTPError):
        return False


@dataclass
class Cluster:
    """HAProxy + web processes (+ a worker and one beat), started and stopped together.

    The web processes get TRUSTED_PROXIES=1 unless `env` says otherwise: HAProxy is in front. Each
    process (web, worker) keeps a pool of DB_POOL_MAX_SIZE PostgreSQL connections (default 10, as
    docker-compose.yml's web does), so a request reuses a connection instead of opening one.
    """

    env: Mapping[str, str]
    processes: int = 2
    server: str = "uvicorn"
    host: str = "127.0.0.1"
    port: int = 8000
    web_ports: list[int] | None = None  # default PORT+1 .. PORT+N
    log_dir: Path = LOG_DIR
    worker: bool = True
    beat: bool = True
    worker_args: tuple[str, ...] = ("--loglevel=info",)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    programs: dict[str, str] = field(default_factory=dict)  # name -> program file name (for cluster-stop)

    def __post_init__(self) -> None:
        if self.server not in SERVERS:
            raise ValueError(f"SERVER must be one of {', '.join(SERVERS)}, not {self.server!r}")
        if self.web_ports is None:
            self.web_ports = [self.port + i for i in range(1, self.processes + 1)]
        self.processes = len(self.web_ports)
        self.env = {"TRUSTED_PROXIES": "1", "DB_POOL_MAX_SIZE": "10", **self.env, "PYTHONUNBUFFERED": "1"}

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def web_url(self, i: int) -> str:
        assert self.web_ports is not None
        return f"http://{self.host}:{self.web_ports[i]}"

    @property
    def web_names(self) -> list[str]:
        return [f"web{i}" for i in range(1, self.processes + 1)]

    def web_pids(self) -> list[int]:
        return [self.procs[name].pid for name in self.web_names if name in self.procs]

    def proxy_pid(self) -> int:
        return self.procs["haproxy"].pid

    # --- lifecycle ---------------------------------------------------------------------------

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=dict(self.env), check=True)

    def prepare(self) -> None:
        """Migrate (and collect static files when DEBUG is off): what `make cluster` runs first."""
        self.manage("migrate", "--noinput")
        if self.env.get("DEBUG", "true").strip().lower() in {"0", "false", "no", "off"}:
            self.manage("collectstatic", "--noinput", "--verbosity", "0")

    def _spawn(self, name: str, args: list[str], env: Mapping[str, str] | None = None) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.programs[name] = Path(args[0]).name
        with open(self.log_dir / f"{name}.log", "ab") as log:
            # A session of its own: Ctrl-C reaches only the supervisor, which stops everything in order.
            self.procs[name] = subprocess.Popen(
                args,
                cwd=ROOT,
                env=dict(env or self.env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start(self, timeout: float = 60) -> None:
        """Start everything, each web process healthy before HAProxy sends it traffic; on any
        failure everything started is stopped again and the error carries the logs."""
        haproxy = haproxy_path()
        if haproxy is None:
            raise RuntimeError("haproxy is not installed: `apt-get install haproxy` (.ci/system-packages does it)")
        assert self.web_ports is not None
        try:
            for name, port in zip(self.web_names, self.web_ports, strict=True):
                self._spawn(name, web_command(self.server, self.host, port))
            deadline = time.monotonic() + timeout
            for i, name in enumerate(self.web_names):
                self._wait(partial(http_ok, self.web_url(i) + "/healthz"), deadline, name)
            config = self.log_dir / "haproxy.cfg"
            config.write_text(haproxy_config([(self.host, port) for port in self.web_ports]))
            lb_env = {
                **os.environ,
                "LB_BIND": f"{self.host}:{self.port}",
                "HEALTHCHECK_HOST": healthcheck_host(self.env),
            }
            self._spawn("haproxy", [haproxy, "-db", "-f", str(config)], env=lb_env)
            self._wait(partial(http_ok, self.url + "/healthz"), deadline, "haproxy")
            if self.worker:
                self._spawn("worker", [str(BIN / "celery"), "-A", "config", "worker", *self.worker_args])
            if self.beat:
                schedule = self.log_dir / "celerybeat-schedule"
                self._spawn(
                    "beat", [str(BIN / "celery"), "-A", "config", "beat", "--loglevel=info", "-s", str(schedule)]
                )
        except BaseException:
            self.stop()
            raise

    def _wait(self, ready: Callable[[], bool], deadline: float, name: str) -> None:
        while not ready():
            proc = self.procs[name]
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready in time:\n{self.log_tail(name)}")
            time.sleep(0.1)

    def stop(self) -> None:
        """The balancer first (no new traffic), then the web processes, beat and the worker."""
        order = ["haproxy", *self.web_names, "beat", "worker"]
        running = [self.procs[name] for name in order if name in self.procs]
        for proc in running:
            if proc.poll() is None:
                proc.terminate()
        for proc in running:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.procs.clear()

    def exited(self) -> list[str]:
        """Names of the processes that have stopped on their own."""
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.is_file() else "(no log)"

    def logs(self) -> str:
        return "\n".join(f"--- {path.stem}\n{self.log_tail(path.stem)}" for path in sorted(self.log_dir.glob("*.log")))

    @contextlib.contextmanager
    def running(self, timeout: float = 60) -> Iterator[Cluster]:
        self.start(timeout)
        try:
            yield self
        finally:
            self.stop()


# --- the command line ------------------------------------------------------------------------

PID_FILE = LOG_DIR / "cluster.json"


def _alive(pid: int, cmd_part: str) -> bool:
    """`pid` runs and is what we started (a recycled pid belongs to someone else)."""
    try:
        return cmd_part in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False


def _recorded() -> dict[str, tuple[int, str]]:
    """What a running `make cluster` wrote down: process name -> (pid, part of its command line)."""
    try:
        raw = json.loads(PID_FILE.read_text())
        return {str(name): (int(pid), str(cmd)) for name, (pid, cmd) in raw.items()}
    except (OSError, ValueError, TypeError):
        return {}


def stop_recorded() -> int:
    """`make cluster-stop`: ask the running supervisor to stop; if it is gone, stop what it left."""
    recorded = _recorded()
    if "supervisor" not in recorded:
        print("no cluster is running (no var/cluster/cluster.json)")
        return 0
    pid, cmd = recorded.pop("supervisor")
    if _alive(pid, cmd):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while _alive(pid, cmd) and time.monotonic() < deadline:
            time.sleep(0.2)
        print("cluster stopped")
    else:
        for name, (child, child_cmd) in recorded.items():
            if _alive(child, child_cmd):
                os.kill(child, signal.SIGTERM)
                print(f"stopped {name} (pid {child}) left by a supervisor that died")
    PID_FILE.unlink(missing_ok=True)
    return 0


def run(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not env.get(name, "").strip()]
    if missing:
        print(
            f"make cluster needs {' and '.join(missing)}: several processes share PostgreSQL and Redis, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/gameconnect REDIS_URL=redis://127.0.0.1:6379/0 make cluster",
            file=sys.stderr,
        )
        return 2
    if haproxy_path() is None:
        print(
            "make cluster needs HAProxy: `apt-get install haproxy` (.ci/system-packages installs it)", file=sys.stderr
        )
        return 2
    supervisor = _recorded().get("supervisor")
    if supervisor and _alive(*supervisor):
        print("a cluster is already running from this folder (exactly one beat): `make cluster-stop` first")
        return 2
    cluster = Cluster(env, processes=args.processes, server=args.server, host=args.host, port=args.port)
    print(f"migrating {env['DATABASE_URL'].rsplit('@', 1)[-1]} ...", flush=True)
    try:
        cluster.prepare()
    except subprocess.CalledProcessError as exc:
        print(
            f"`manage.py {' '.join(map(str, exc.cmd[2:]))}` failed (exit {exc.returncode}); see above", file=sys.stderr
        )
        return 1
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"starting HAProxy, {args.processes} {args.server} web process(es), a worker and beat ...", flush=True)
    try:
        cluster.start(timeout=120)
    except RuntimeError as exc:
        print(f"the cluster did not start: {exc}", file=sys.stderr)
        return 1
    recorded = {name: [proc.pid, cluster.programs[name]] for name, proc in cluster.procs.items()}
    PID_FILE.write_text(json.dumps({"supervisor": [os.getpid(), "deploy.cluster"], **recorded}))
    assert cluster.web_ports is not None
    print(f"\n  GameConnect cluster on {cluster.url}  (health: {cluster.url}/healthz)")
    for name, port in zip(cluster.web_names, cluster.web_ports, strict=True):
        print(f"    {name}: {args.server} on {args.host}:{port}")
    print(f"  logs in {cluster.log_dir.relative_to(ROOT)}/;  Ctrl-C or `make cluster-stop` stops it all\n", flush=True)
    status = 0
    try:
        while not stopping:
            if gone := cluster.exited():
                print(f"{', '.join(gone)} stopped unexpectedly; stopping the cluster", file=sys.stderr)
                for name in gone:
                    print(f"--- {name}\n{cluster.log_tail(name, 2000)}", file=sys.stderr)
                status = 1
                break
            time.sleep(0.5)
    finally:
        print("stopping ...", flush=True)
        cluster.stop()
        PID_FILE.unlink(missing_ok=True)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "config"])
    parser.add_argument("--processes", type=int, default=int(os.environ.get("WEB_PROCESSES", "2")))
    parser.add_argument("--server", choices=SERVERS, default=os.environ.get("SERVER", "uvicorn"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="the balancer's port; web processes take the next N")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.command == "stop":
        return stop_recorded()
    if args.command == "config":
        print(haproxy_config([(args.host, args.port + i) for i in range(1, args.processes + 1)]), end="")
        return 0
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
