"""Group commit for attempts, per web process (per event loop).

Sockets hand their attempts to the loop's `AttemptBatcher`, which sends everything that
arrived meanwhile to `trivia.services.attempts_submit` as one group: one transaction under one
round lock, on one database thread. While a group is in the database the next one gathers, so
the busier the process, the bigger the groups and the fewer statements per attempt; an idle
process waits only TRIVIA_ATTEMPT_GATHER_SECONDS. Each socket is answered (COIN_DIFF,
INSUFFICIENT_FUNDS, ERROR) after its group committed, with its own attempt's outcome.
"""

from __future__ import annotations

import asyncio
import weakref

from common.ws import ws_db
from trivia.conf import conf
from trivia.services import AttemptRequest, AttemptResult, attempts_submit


class AttemptBatcher:
    def __init__(self) -> None:
        self._queue: list[tuple[AttemptRequest, asyncio.Future[AttemptResult]]] = []
        self._task: asyncio.Task[None] | None = None
        self.groups = 0  # groups decided so far (tests, diagnostics)

    async def submit(self, request: AttemptRequest) -> AttemptResult:
        """Decide one attempt with whatever else arrives now; raises that attempt's error."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AttemptResult] = loop.create_future()
        self._queue.append((request, future))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain(), name="trivia-attempts")
        return await future

    async def _drain(self) -> None:
        gather = float(conf("TRIVIA_ATTEMPT_GATHER_SECONDS"))
        limit = int(conf("TRIVIA_ATTEMPT_GROUP_MAX"))
        while self._queue:
            if gather > 0:
                await asyncio.sleep(gather)
            group, self._queue = self._queue[:limit], self._queue[limit:]
            try:
                results: list[AttemptResult | Exception] = await ws_db(attempts_submit)([r for r, _ in group])
            except Exception as exc:  # noqa: BLE001 - e.g. the database is down: every attempt of the group fails
                results = [exc] * len(group)
            self.groups += 1
            for (_, future), result in zip(group, results, strict=True):
                if future.done():
                    continue  # the socket went away meanwhile
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AttemptBatcher] = weakref.WeakKeyDictionary()


def attempt_batcher() -> AttemptBatcher:
    """The running event loop's batcher."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = AttemptBatcher()
    return batcher
