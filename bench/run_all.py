"""`make bench`: run every benchmark script in bench/ (or those named in argv) and print figures.

Needs PostgreSQL and Redis on this machine (BENCH_DATABASE_URL / BENCH_REDIS_URL override the
defaults in bench/harness.py), except web_pages.py (page weight and time to interactive on a
throttled phone), which needs Chromium and starts its own server on SQLite. Not run by CI.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"run_all.py", "harness.py", "__init__.py"}


def main() -> int:
    wanted = sys.argv[1:]
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in SKIP and not p.name.startswith("_"))
    if wanted:
        scripts = [p for p in scripts if p.stem in wanted or p.name in wanted]
    failed = 0
    for script in scripts:
        print(f"\n######## {script.name}", flush=True)
        failed += subprocess.run([sys.executable, str(script)], cwd=HERE.parent).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
