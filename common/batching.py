"""Group commit for async callers: many concurrent calls, one batch of sync work in a thread.

`GroupRunner(work)`: `await runner.submit(item)` queues the item; one drain task per event loop
hands everything queued to `work(items) -> results` (sync, run in a worker thread with Django's
connection handling) and answers each caller with its result. No timer: the first item goes at
once, and the items that arrive while a batch runs form the next one, so batches grow with the
load and an idle server adds no delay (or only `gather_seconds`, when set). A result that is an
exception is raised to its caller only; an exception from `work` itself is raised to every
caller of that batch. Used by leaderboard submissions, fast-path authentication and trivia
attempts (`run` picks the thread: trivia's go to the sockets' own database threads).
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from channels.db import database_sync_to_async

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _LoopState:
    pending: list[tuple[Any, asyncio.Future[Any]]] = field(default_factory=list)
    running: bool = False
    task: asyncio.Task[None] | None = None


def _own_thread(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    # Not thread-sensitive: batches must not queue behind (or die with) one request's thread.
    return database_sync_to_async(fn, thread_sensitive=False)


class GroupRunner(Generic[T, R]):
    def __init__(
        self,
        work: Callable[[list[T]], Sequence[R | BaseException]],
        *,
        max_batch: int | Callable[[], int] = 256,
        gather_seconds: Callable[[], float] | None = None,
        run: Callable[[Callable[..., Any]], Callable[..., Awaitable[Any]]] = _own_thread,
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
