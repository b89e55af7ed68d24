"""Counts what the API fuzzing generated and prints it in the terminal summary, so a run can be
quoted: operations and cases per persona, responses by status (per operation with
FUZZ_REPORT_OPERATIONS=1)."""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from typing import Any


class FuzzStats:
    def __init__(self) -> None:
        self.cases: Counter[tuple[str, str]] = Counter()
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.first: float | None = None
        self.last = 0.0

    def record(self, *, persona: str, operation: str, status: int) -> None:
        self.last = time.monotonic()
        self.first = self.first or self.last
        self.cases[(persona, operation)] += 1
        self.statuses[operation][status] += 1


STATS = FuzzStats()


def _statuses(counter: Counter[int]) -> str:
    return ", ".join(f"{code}: {n}" for code, n in sorted(counter.items()))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not STATS.cases:
        return
    write = terminalreporter.write_line
    terminalreporter.write_sep("-", "API fuzzing (schemathesis)")
    operations = {operation for _, operation in STATS.cases}
    seconds = STATS.last - (STATS.first or STATS.last)
    write(f"{len(operations)} operations, {sum(STATS.cases.values())} generated cases in {seconds:.0f} s:")
    for persona in sorted({persona for persona, _ in STATS.cases}):
        mine = {op: n for (who, op), n in STATS.cases.items() if who == persona}
        write(f"  as {persona}: {len(mine)} operations, {sum(mine.values())} cases")
    total: Counter[int] = sum(STATS.statuses.values(), Counter())
    write(f"responses by status: {_statuses(total)}")
    if os.environ.get("FUZZ_REPORT_OPERATIONS") == "1":
        for operation in sorted(operations):
            cases = sum(n for (_, op), n in STATS.cases.items() if op == operation)
            write(f"  {operation}: {cases} cases ({_statuses(STATS.statuses[operation])})")
