"""Group commit for attempts, per web process (per event loop).

Sockets hand their attempts to a `common.batching.GroupRunner`, which sends everything that
arrived meanwhile to `trivia.services.attempts_submit` as one group: one transaction under one
round lock, on one database thread. While a group is in the database the next one gathers, so
the busier the process, the bigger the groups and the fewer statements per attempt; an idle
process waits only TRIVIA_ATTEMPT_GATHER_SECONDS. Each socket is answered (COIN_DIFF,
INSUFFICIENT_FUNDS, ERROR) after its group committed, with its own attempt's outcome.
"""

from __future__ import annotations

from common.batching import GroupRunner
from common.ws import ws_db
from trivia.conf import conf
from trivia.services import AttemptRequest, AttemptResult, attempts_submit


def new_attempt_batcher() -> GroupRunner[AttemptRequest, AttemptResult]:
    return GroupRunner(
        attempts_submit,
        max_batch=lambda: int(conf("TRIVIA_ATTEMPT_GROUP_MAX")),
        gather_seconds=lambda: float(conf("TRIVIA_ATTEMPT_GATHER_SECONDS")),
        run=ws_db,
    )


_batcher = new_attempt_batcher()


def attempt_batcher() -> GroupRunner[AttemptRequest, AttemptResult]:
    """The process's batcher (it keeps one queue per event loop)."""
    return _batcher
