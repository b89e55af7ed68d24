"""End-to-end fixtures: a real daphne process on a throwaway SQLite database, and headless Chromium.

The server runs exactly like `make run` (embedded defaults: in-memory channel layer, in-process
game clock), with short trivia timings, so the pages are tested as a newcomer would see them.
Browser tests run in the embedded-defaults pass of CI; the PostgreSQL + Redis pass skips them
(they test the pages, and the server they start is embedded either way).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    reason = None
    if os.environ.get("REDIS_URL") or os.environ.get("DATABASE_URL"):
        reason = "browser tests run in the embedded-defaults pass (REDIS_URL/DATABASE_URL unset)"
    elif not Path(CHROMIUM).exists():
        reason = "Chromium is not installed (.ci/system-packages installs it)"
    if reason:
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


class LiveApp:
    def __init__(self, base_url: str, env: dict[str, str], log_path: Path) -> None:
        self.url = base_url
        self.env = env
        self.log_path = log_path  # everything the server printed: access log and app logs

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(result.stdout + result.stderr)
        return result.stdout


def live_env(workdir: Path) -> dict[str, str]:
    """The environment of a server like `make run`'s, on a throwaway SQLite file in `workdir`,
    with short trivia timings and throttles out of the way."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "PYTEST_CURRENT_TEST"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SQLITE_PATH": str(workdir / "live.sqlite3"),
            "MEDIA_ROOT": str(workdir / "media"),
            "DEBUG": "true",
            "INPROCESS_CLOCK": "true",
            "CLOCK_INTERVAL_SECONDS": "0.2",
            "TRIVIA_SPLIT_SECONDS": env.get("E2E_SPLIT_SECONDS", "2"),
            "TRIVIA_ROUND_END_SECONDS": "1",
            "THROTTLE_AUTH_RATE": "10000/min",
            "THROTTLE_LOGIN_ACCOUNT_RATE": "10000/min",
            "THROTTLE_USER_RATE": "100000/min",
            "THROTTLE_ANON_RATE": "100000/min",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@contextlib.contextmanager
def serving(app: LiveApp) -> Iterator[LiveApp]:
    """Run daphne as `make run` does on `app`'s port and environment until the block ends; the
    block starts once /healthz answers. Its output is appended to `app.log_path`."""
    port = app.url.rsplit(":", 1)[1]
    log = open(app.log_path, "a")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", port, "config.asgi:application"],
        cwd=ROOT,
        env=app.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(app.url + "/healthz", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(app.log_path.read_text()) from None
                time.sleep(0.1)
        yield app
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def new_live_app(workdir: Path) -> LiveApp:
    """A migrated throwaway server set-up (not started: see `serving`)."""
    app = LiveApp(f"http://127.0.0.1:{_free_port()}", live_env(workdir), workdir / "daphne.log")
    app.manage("migrate", "--noinput")
    return app


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: Any) -> Iterator[LiveApp]:
    app = new_live_app(tmp_path_factory.mktemp("live"))
    app.manage("seed_demo", "--players", "3", "--scores", "50")
    with serving(app):
        yield app


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, per module: the Playwright loop stops between modules."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page_factory(browser: Any, request: Any) -> Iterator[Any]:
    """New isolated browser contexts (separate localStorage = separate users); screenshots on exit."""
    contexts: list[Any] = []

    def make(width: int = 1200, height: int = 900) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield make
    ARTIFACTS.mkdir(exist_ok=True)
    for i, context in enumerate(contexts):
        for j, page in enumerate(context.pages):
            # A failed screenshot must not mask the test result.
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}-{j}.png"), full_page=True)
        context.close()


def register_in_browser(page: Any, base_url: str, username: str, password: str = "S3cure-pass!9") -> None:
    """Create an account through /register; the page stores the tokens and goes home."""
    page.goto(base_url + "/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username.replace(' ', '.')}@example.com")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(base_url + "/")


def api_call(
    base: str, path: str, token: str | None = None, body: dict | None = None, *, method: str | None = None
) -> dict:
    """Call the live server's REST API (for test set-up the pages don't do themselves).

    An error status raises urllib.error.HTTPError (its `.code` is the status).
    """
    import json

    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"{base}/api/v1/{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers=headers,
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


@pytest.fixture
def cluster_factory(transactional_db: Any, tmp_path: Path) -> Iterator[Any]:
    """Start `deploy.cluster.Cluster`s, the topology of `make cluster` (HAProxy in front of web
    processes, a worker and one beat), on the test database and Redis with short game timings
    (testsupport.drills.Stack's environment), each on free ports. Stopped at the end of the test; their
    logs are printed then (pytest shows them when the test failed). Skips when HAProxy is missing.
    Needs the transactional test database (the processes see its commits), and stops the processes
    before that database is flushed.
    """
    from deploy.cluster import Cluster, haproxy_path
    from testsupport.drills import Stack, free_port

    if haproxy_path() is None:
        pytest.skip("HAProxy is not installed: `apt-get install haproxy` (.ci/system-packages installs it)")
    started: list[Cluster] = []

    def start(*, processes: int = 2, server: str = "uvicorn", env: dict[str, str] | None = None, **options: Any) -> Any:
        base = Stack(tmp_path, env=env).env
        cluster = Cluster(
            base,
            processes=processes,
            server=server,
            port=free_port(),
            web_ports=[free_port() for _ in range(processes)],
            log_dir=tmp_path / f"cluster-{len(started)}",
            worker_args=(
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ),
            **options,
        )
        started.append(cluster)
        cluster.start(timeout=90)
        return cluster

    try:
        yield start
    finally:
        for cluster in started:
            cluster.stop()
            print(cluster.logs())


# --- every page: accessibility (axe-core) and screenshots -------------------------------------
AXE = ROOT / "e2e" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}  # the sizes every journey runs at (SPEC §9: phone and desktop)
DESKTOP = {"width": 1280, "height": 900}
SIZES = {"phone": PHONE, "desktop": DESKTOP}


def axe_source() -> str:
    if not AXE.exists():
        message = "axe-core is not installed: `npm ci --prefix e2e` (.ci/run and `make test` run it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text()


def serious_violations(page: Any) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2 A/AA rules).
    Injected with evaluate (not a <script> tag), so the page's Content-Security-Policy stays on."""
    page.evaluate(axe_source() + "\n;undefined")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}});
            return r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
              .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
        }"""
    )
    return list(result)


def audit_page(page: Any, name: str) -> None:
    """Screenshot the page into test-artifacts/pages/`name`.png and fail on any serious or
    critical accessibility violation (axe-core)."""
    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pages" / f"{name}.png"), full_page=True)
    violations = serious_violations(page)
    assert violations == [], f"{name}: {violations}"


@pytest.fixture(params=sorted(SIZES))
def size(request: Any) -> tuple[str, dict[str, int]]:
    """Runs a journey at phone and at desktop size: ("phone", {width, height}) and ("desktop", ...)."""
    return request.param, SIZES[request.param]
