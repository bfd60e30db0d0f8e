"""Interpreters behind a bounded queue: a full queue refuses at once instead of growing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any


class QueueFullError(Exception):
    """Every interpreter is busy and the queue is at its limit."""


@dataclass(frozen=True, slots=True)
class Done[T]:
    """A job's value and how long it waited for an interpreter."""

    value: T
    queued_ms: float


class InferencePool[W]:
    """`workers` (e.g. classifiers) each used by one thread at a time; at most `limit` wait."""

    def __init__(self, workers: Sequence[W], limit: int) -> None:
        """Own the workers; `limit` requests may wait while all of them are busy."""
        self._idle: asyncio.Queue[W] = asyncio.Queue()
        for worker in workers:
            self._idle.put_nowait(worker)
        self.size = len(workers)
        self.limit = limit
        self.waiting = 0
        self.running = 0
        self._executor = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="inference")
        self._jobs: set[asyncio.Future[Any]] = set()

    @property
    def full(self) -> bool:
        """Whether a request arriving now would be refused."""
        return self._idle.empty() and self.waiting >= self.limit

    @property
    def depth(self) -> int:
        """Requests waiting plus running."""
        return self.waiting + self.running

    async def run[T](self, job: Callable[[W], T], timeout: float) -> Done[T]:  # noqa: ASYNC109
        """Run `job(worker)` on a thread; QueueFullError at once, TimeoutError after `timeout`."""
        if self.full:
            raise QueueFullError
        loop = asyncio.get_running_loop()
        start = loop.time()
        deadline = start + timeout
        self.waiting += 1
        try:
            async with asyncio.timeout_at(deadline):
                worker = await self._idle.get()
        finally:
            self.waiting -= 1
        queued_ms = (loop.time() - start) * 1000
        self.running += 1
        future = loop.run_in_executor(self._executor, job, worker)
        self._jobs.add(future)

        def finished(fut: asyncio.Future[T]) -> None:
            # The interpreter is free only when its thread is: a timed-out or abandoned
            # request must not hand it to the next one while it still runs.
            self._jobs.discard(fut)
            self.running -= 1
            self._idle.put_nowait(worker)

        future.add_done_callback(finished)
        async with asyncio.timeout_at(deadline):
            value = await asyncio.shield(future)
        return Done(value, queued_ms)

    async def drain(self) -> None:
        """Wait for jobs already on a thread, then stop the threads."""
        if self._jobs:
            await asyncio.wait(list(self._jobs))
        await asyncio.get_running_loop().run_in_executor(None, self._executor.shutdown)


def now_ms() -> float:
    """A monotonic clock in milliseconds, for request timings."""
    return time.perf_counter() * 1000
