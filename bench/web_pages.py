"""Web page weight and time to interactive on a slow phone (issue 19): `/`, `/sessions`, `/play`.

    .venv/bin/python bench/web_pages.py          # BENCH_WEB_LOADS=5 loads per page (median)

Starts a daphne exactly like the browser tests (e2e/conftest.py: embedded defaults, a throwaway
SQLite database with `seed_demo --players 3 --scores 50`, DEBUG static files) and drives Debian's
Chromium through Playwright with a phone profile: a 390x844 viewport, Chrome DevTools Protocol
`Network.emulateNetworkConditions` (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up: "slow 4G"),
`Emulation.setCPUThrottlingRate` 4, and the cache disabled. Every load is a cold load in a new
browser context.

Measured per load:
- bytes: the sum of `encodedDataLength` (headers + body as sent on the wire) of every HTTP request
  the page made until it was interactive (document, CSS, scripts, the translation catalog,
  favicon, API calls); WebSocket frames are not counted;
- TTI: milliseconds from navigation start (`performance.timeOrigin`) until the page's data is on
  screen, read in the page (`performance.now()`, polled every animation frame):
  `/`: the first joinable session's link and the first event's link are rendered;
  `/sessions`: the first link to a session (`#list li a[href^="/sessions/"]`, a card of the list) is rendered;
  `/play` (signed in as `player one`): the socket said it is connected and the round's clue is shown
  (a round is always being played or about to start; the wait includes the trivia socket).
A page that does not exist yet (404) is reported as such, not measured.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from e2e.conftest import CHROMIUM, new_live_app, serving  # noqa: E402

LOADS = int(os.environ.get("BENCH_WEB_LOADS", "5"))
PHONE = {"width": 390, "height": 844}
NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}
CPU_SLOWDOWN = 4

READY = {
    "/": "() => document.querySelector('#sessions li a') && document.querySelector('#events li a') ? performance.now() : false",
    "/sessions": "() => document.querySelector('#list li a[href^=\"/sessions/\"]') ? performance.now() : false",
    "/play": (
        "() => document.querySelector('#connection.up') && document.querySelector('#clue')"
        " && document.querySelector('#category').textContent !== '—' ? performance.now() : false"
    ),
}
SIGNED_IN = {"/play"}


def token(base: str) -> dict[str, str]:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token",
        data=json.dumps({"login": "player one", "password": "GameConnect2026!"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def exists(base: str, path: str) -> bool:
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError:
        return False


def load_once(browser: Any, base: str, path: str, tokens: dict[str, str] | None) -> tuple[int, int, float]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        if tokens:
            context.add_init_script(
                f"localStorage.setItem('gc.access', {json.dumps(tokens['access'])});"
                f"localStorage.setItem('gc.refresh', {json.dumps(tokens['refresh'])});"
            )
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", NETWORK)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        sizes: dict[str, float] = {}
        cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
        page.goto(base + path, wait_until="commit")
        tti = float(page.wait_for_function(READY[path], polling="raf", timeout=60000).json_value())
        return len(sizes), int(sum(sizes.values())), tti
    finally:
        context.close()


def main() -> int:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as workdir:
        app = new_live_app(Path(workdir))
        app.manage("seed_demo", "--players", "3", "--scores", "50")
        with serving(app), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
            tokens = token(app.url)
            print(f"phone profile: {PHONE['width']}x{PHONE['height']}, RTT {NETWORK['latency']} ms, 1.6 Mbit/s down,")
            print(f"CPU x{CPU_SLOWDOWN} slower, cold cache; median of {LOADS} loads\n")
            print(f"{'page':<12}{'requests':>10}{'KB on the wire':>16}{'TTI ms (median)':>18}{'TTI ms (min-max)':>20}")
            for path in READY:
                if not exists(app.url, path):
                    print(f"{path:<12}{'(no such page on this branch: not measured)':>64}")
                    continue
                runs = [load_once(browser, app.url, path, tokens if path in SIGNED_IN else None) for _ in range(LOADS)]
                counts = [n for n, _, _ in runs]
                weights = [w for _, w, _ in runs]
                times = [t for _, _, t in runs]
                print(
                    f"{path:<12}{statistics.median(counts):>10.0f}{statistics.median(weights) / 1024:>16.1f}{statistics.median(times):>18.0f}"
                    f"{f'{min(times):.0f}-{max(times):.0f}':>20}"
                )
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
