"""Group commit for synchronous callers, one per process: the writes that arrive while one batch
is in the database go in together as the next batch.

Django runs each sync view in a thread of its own. `GroupCommit(work).submit(item)` queues the
item; if no batch is running, the calling thread leads: it takes everything queued (at most
`max_batch` items), calls `work(items) -> results` in its own thread (its own database
connection), and hands each caller its result. Callers that arrive while a batch runs wait; when
the batch ends, the first of them leads the next one with everything queued by then. So an idle
process runs each write alone at once (no timer), and a busy one writes in batches as large as
the load makes them: one transaction and one round trip per batch instead of per request.

Each thread leads at most the one batch that holds its own item, so nobody's answer waits on
other people's later writes. A result that is an exception is raised to its caller only; an
exception from `work` itself is raised to every caller of that batch, and the next batch still
runs. (trivia.batching is the same idea for the asyncio side: sockets on an event loop.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("done", "error", "item", "lead", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = threading.Event()  # set when answered, or when told to lead the next batch
        self.lead = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    def __init__(self, work: Callable[[list[T]], Sequence[R | BaseException]], *, max_batch: int = 500) -> None:
        self.work = work
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Slot[T, R]] = []
        self._running = False
        self.batch_sizes: list[int] = []  # the last few, for tests and the benchmark

    def queued(self) -> int:
        with self._lock:
            return len(self._queue)

    def submit(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        with self._lock:
            self._queue.append(slot)
            lead = not self._running
            if lead:
                self._running = True
        if not lead:
            slot.done.wait()
            if slot.lead:
                lead = True
        if lead:
            self._lead()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]  # set by the batch that held it

    def _lead(self) -> None:
        """Run one batch (it holds this thread's own item: the queue is in arrival order and
        every earlier item was taken by an earlier batch), answer it, then pass the lead on."""
        with self._lock:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
        try:
            try:
                results = self.work([slot.item for slot in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"group commit: {len(results)} results for {len(batch)} items")
            except BaseException as exc:  # noqa: BLE001 - every caller of the batch gets it
                for slot in batch:
                    slot.error = exc
            else:
                for slot, result in zip(batch, results, strict=True):
                    if isinstance(result, BaseException):
                        slot.error = result
                    else:
                        slot.result = result
            self.batch_sizes = [*self.batch_sizes[-99:], len(batch)]
        finally:
            with self._lock:
                following = self._queue[0] if self._queue else None
                if following is None:
                    self._running = False
                else:
                    following.lead = True
            for slot in batch:
                slot.done.set()
            if following is not None:
                following.done.set()
