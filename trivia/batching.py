"""Group commit for attempts, per web process (per event loop).

Sockets hand their attempts to the process's `GroupRunner`, which sends everything that arrived
meanwhile to `trivia.services.attempts_submit` as one group: one transaction under one round
lock, on one database thread. While a group is in the database the next one gathers, so the
busier the process, the bigger the groups and the fewer statements per attempt; an idle process
waits only TRIVIA_ATTEMPT_GATHER_SECONDS. Each socket is answered (COIN_DIFF,
INSUFFICIENT_FUNDS, ERROR) after its group committed, with its own attempt's outcome.

`GroupRunner(work)`: `await runner.submit(item)` queues the item; one drain task per event loop
hands everything queued to `work(items) -> results` (sync, run in a database thread) and
answers each caller with its result. No timer beyond `gather_seconds`: the items that arrive
while a batch runs form the next one, so batches grow with the load. A result that is an
exception is raised to its caller only; an exception from `work` itself is raised to every
caller of that batch.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from common.ws import ws_db
from trivia.conf import conf
from trivia.services import AttemptRequest, AttemptResult, attempts_submit

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _LoopState:
    pending: list[tuple[Any, asyncio.Future[Any]]] = field(default_factory=list)
    running: bool = False
    task: asyncio.Task[None] | None = None


class GroupRunner(Generic[T, R]):
    def __init__(
        self,
        work: Callable[[list[T]], Sequence[R | BaseException]],
        *,
        max_batch: int | Callable[[], int] = 256,
        gather_seconds: Callable[[], float] | None = None,
        run: Callable[[Callable[..., Any]], Callable[..., Awaitable[Any]]] = ws_db,
    ) -> None:
        self.work = work
        self.max_batch = max_batch
        self.gather_seconds = gather_seconds
        self.run = run  # wraps `work` into an awaitable, per batch (it may choose the thread then)
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = weakref.WeakKeyDictionary()
        self.batch_sizes: list[int] = []  # the last few, for tests and the benchmark

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            state = self._states[loop] = _LoopState()
        future: asyncio.Future[R] = loop.create_future()
        state.pending.append((item, future))
        if not state.running:
            state.running = True
            # A clean context: the drain outlives the request that started it.
            state.task = loop.create_task(self._drain(state), context=contextvars.Context())
        return await future

    async def _drain(self, state: _LoopState) -> None:
        try:
            while state.pending:
                gather = self.gather_seconds() if self.gather_seconds else 0
                if gather > 0:
                    await asyncio.sleep(gather)
                limit = self.max_batch() if callable(self.max_batch) else self.max_batch
                batch = state.pending[:limit]
                del state.pending[:limit]
                self.batch_sizes = [*self.batch_sizes[-99:], len(batch)]
                try:
                    results = await self.run(self.work)([item for item, _ in batch])
                except Exception as exc:  # noqa: BLE001 - handed to every caller of the batch
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue  # the caller went away (cancelled)
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            state.running = False


def new_attempt_batcher() -> GroupRunner[AttemptRequest, AttemptResult]:
    return GroupRunner(
        attempts_submit,
        max_batch=lambda: int(conf("TRIVIA_ATTEMPT_GROUP_MAX")),
        gather_seconds=lambda: float(conf("TRIVIA_ATTEMPT_GATHER_SECONDS")),
    )


_batcher = new_attempt_batcher()


def attempt_batcher() -> GroupRunner[AttemptRequest, AttemptResult]:
    """The process's batcher (it keeps one queue per event loop)."""
    return _batcher
