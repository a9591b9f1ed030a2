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

    def submit(self, task: Task) -> Any: ...

    def finished(self, futures: Iterable[Any]) -> Iterator[Any]: ...

    def result(self, future: Any) -> TaskResult: ...

    def close(self) -> None: ...


class LocalPool:
    """A process pool; each worker loads MediaPipe once (spawned, so no inherited state)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=warm_up,
        )

    def submit(self, task: Task) -> Future:
        return self._pool.submit(compute, task)

    def finished(self, futures: Iterable[Future]) -> Iterator[Future]:
        done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
        yield from done

    def result(self, future: Future) -> TaskResult:
        return future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


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
        self._client.run(warm_up)

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
