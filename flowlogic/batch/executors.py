"""Where batch work runs: a local process pool, or a Dask cluster (`--scheduler`).

Both give the coordinator the same two operations: submit a task, and iterate over the
futures that finish first. Results always come back to the coordinator, which alone
writes the database.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

from flowlogic.batch.worker import Task, TaskResult, compute, warm_up
from flowlogic.errors import UsageError


class Executor(Protocol):
    workers: int
    #: how many tasks may be handed out at once
    window: int

    def submit(self, task: Task) -> Any: ...

    def finished(self, futures: Iterable[Any]) -> Iterator[Any]: ...

    def result(self, future: Any) -> TaskResult: ...

    def close(self) -> None: ...


def _started() -> None:
    """A no-op: submitting one per worker makes the pool start them all at once."""


class LocalPool:
    """A process pool; each worker loads MediaPipe once (spawned, so no inherited state)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        # one task running and one waiting per worker: a worker never waits for the next,
        # and the pool hands them out in the order given (longest first, schedule.py)
        self.window = self.workers * 2
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=warm_up,
        )
        # start every worker now, so they load MediaPipe while the coordinator plans
        for _ in range(self.workers):
            self._pool.submit(_started)

    def submit(self, task: Task) -> Future:
        return self._pool.submit(compute, task)

    def finished(self, futures: Iterable[Future]) -> Iterator[Future]:
        done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
        yield from done

    def result(self, future: Future) -> TaskResult:
        return future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _without_profiler(dask_worker: Any) -> None:
    """Stop a Dask worker's statistical profiler: 100 times a second it walks every
    thread's stack, under the GIL, for the dashboard, which a batch has no use for (one
    LocalCluster run over the benchmark's clips: 70.6 s of worker CPU with it, 63.0 s
    without, a difference of the size of this machine's drift between runs). Run on each
    worker through `Client.run`, which hands the worker in as `dask_worker`."""
    for name in ("profile", "profile-cycle"):
        callback = dask_worker.periodic_callbacks.pop(name, None)
        if callback is not None:
            callback.stop()


class DaskCluster:
    """A `dask.distributed` scheduler; its workers need only `pip install flowlogic`."""

    def __init__(self, address: str, *, client: Any = None) -> None:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - dask is a dependency
            raise UsageError("dask.distributed is not installed") from None
        try:
            self._client = client or Client(address, timeout="15s")
        except OSError as error:
            raise UsageError(f"Cannot reach the Dask scheduler at {address}: {error}") from None
        self._owns_client = client is None
        info = self._client.scheduler_info()
        self.workers = max(1, len(info.get("workers", {})))
        # one task per worker thread: the scheduler places a task when it is handed out, so
        # more at once can queue a long clip behind another on a busy worker while an idle
        # one waits (seen on a LocalCluster: a 720p clip handed out first finished 10 s
        # after shorter clips handed out later)
        threads = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())
        self.window = max(1, threads)
        self._client.run(warm_up)
        self._client.run(_without_profiler)

    def submit(self, task: Task) -> Any:
        return self._client.submit(compute, task, pure=False)

    def finished(self, futures: Iterable[Any]) -> Iterator[Any]:
        from distributed import wait as dask_wait

        done, _ = dask_wait(list(futures), return_when="FIRST_COMPLETED")
        yield from done

    def result(self, future: Any) -> TaskResult:
        return future.result()

    def close(self) -> None:
        if self._owns_client:
            self._client.close()
