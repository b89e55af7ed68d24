"""Peak memory of a web process under a burst of sign-ins (issue 16: 24 concurrent logins took
daphne from 126 MB to 1.46 GB, each Argon2 hash holding 100 MiB).

    python -m bench.login_memory [--logins 24] [--concurrency 2]

Starts daphne as `make run` does (embedded defaults, a throwaway SQLite file, the production
hashers), signs one account in `--logins` times at once, and prints the process's resident
memory before and its peak (VmHWM) after, with the answers' statuses. `--concurrency` is
PASSWORD_HASH_CONCURRENCY (a number >= --logins: as unbounded as before the pool). Linux only
(reads /proc).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def _login(url: str, results: list[int], start: threading.Event) -> None:
    body = json.dumps({"login": "memory probe", "password": "Kq8!vT2#pLw9"}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    start.wait()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            results.append(response.status)
    except urllib.error.HTTPError as exc:
        results.append(exc.code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logins", type=int, default=24)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="login-memory-"))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "GAMECONNECT_TESTING"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SQLITE_PATH=str(workdir / "db.sqlite3"),
        MEDIA_ROOT=str(workdir / "media"),
        INPROCESS_CLOCK="false",
        THROTTLE_AUTH_RATE="100000/min",
        THROTTLE_LOGIN_ACCOUNT_RATE="100000/min",
        PASSWORD_HASH_CONCURRENCY=str(args.concurrency),
        LOG_LEVEL="WARNING",
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "shell", "-c", "from gamers.services import gamer_create; "
         "gamer_create(username='memory probe', email='probe@example.com', password='Kq8!vT2#pLw9')"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    port = _free_port()
    daphne = Path(sys.executable).parent / "daphne"
    proc = subprocess.Popen(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"], cwd=ROOT, env=env
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("daphne did not start") from None
                time.sleep(0.2)
        before = _memory_kib(proc.pid, "VmRSS")
        results: list[int] = []
        start = threading.Event()
        url = f"http://127.0.0.1:{port}/api/v1/auth/token"
        threads = [threading.Thread(target=_login, args=(url, results, start)) for _ in range(args.logins)]
        for thread in threads:
            thread.start()
        began = time.monotonic()
        start.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        peak = _memory_kib(proc.pid, "VmHWM")
        print(
            f"{args.logins} concurrent logins, PASSWORD_HASH_CONCURRENCY={args.concurrency}: "
            f"RSS before {before / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB, {elapsed:.1f} s, "
            f"statuses {dict(sorted(Counter(results).items()))}"
        )
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
