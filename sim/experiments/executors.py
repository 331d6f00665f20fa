"""Executors: where runs execute. One small contract, several back ends (EMA's evaluators).

An executor maps a function over tasks and yields each outcome as it finishes,
in any order::

    for done in executor.imap_unordered(fn, tasks, *shared):
        done.task, done.value, done.error

``error`` is None on success, else a one-line description (and ``traceback``
the text). A failed task never stops the others.

- :class:`SerialExecutor` runs in this process: tests, tiny sweeps, debugging.
- :class:`DaskExecutor` runs on Dask distributed: an embedded ``LocalCluster``
  sized to the machine (no set-up), or any running cluster by scheduler address
  (``tcp://host:8786``; e.g. workers started on Slurm with dask-jobqueue).
  When a worker process dies, the scheduler reschedules its tasks on the
  others; tasks that raise are retried ``retries`` times. Before a sweep
  runs, :meth:`DaskExecutor.check_engine` asks every worker for the
  fingerprint of its engine's source and refuses workers that run other code;
  a worker that joins later is checked by each task it runs.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import traceback as tb
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["DaskExecutor", "Done", "EngineMismatch", "SerialExecutor", "default_workers"]

#: Seconds to wait for a scheduler given by address before giving up.
CONNECT_TIMEOUT_S = 5.0


class EngineMismatch(RuntimeError):
    """A worker runs engine code other than the driver's."""


def worker_engine() -> str:
    """The fingerprint of the engine's source where this runs (called on each worker)."""
    from sim.experiments.engine import engine_fingerprint

    return engine_fingerprint()


def run_on_engine(expected: str, fn: Callable, task: Any, *shared: Any) -> Any:
    """Call ``fn(task, *shared)`` if this worker's engine is ``expected``, else raise EngineMismatch."""
    own = _engine_of_this_process()
    if own != expected:
        raise EngineMismatch(f"this worker runs engine {own[:12]}..., the sweep {expected[:12]}... "
                             "(install the same ExchangeLab source on every worker)")
    return fn(task, *shared)


@functools.cache
def _engine_of_this_process() -> str:
    return worker_engine()


@dataclass
class Done:
    """A finished task: its value, or the error that ended it."""

    task: Any
    value: Any = None
    error: str | None = None
    traceback: str = ""


def default_workers() -> int:
    """Cores this process may use (the CPU affinity mask, not the machine's total)."""
    from sim.rules.jit import usable_cores

    return usable_cores()


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__


class SerialExecutor:
    """Runs tasks one after the other in this process."""

    workers = 1
    description = "serial (in-process)"

    def imap_unordered(self, fn: Callable, tasks: Iterable, *shared: Any) -> Iterator[Done]:
        """Yield a :class:`Done` per task, in task order."""
        for task in tasks:
            try:
                yield Done(task, value=fn(task, *shared))
            except Exception as exc:  # a failed run is recorded, never fatal
                yield Done(task, error=_describe(exc), traceback=tb.format_exc())

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DaskExecutor:
    """Runs tasks on a Dask distributed cluster.

    Args:
        address: Scheduler address of a running cluster (``tcp://host:8786``);
            None starts an embedded ``LocalCluster``.
        workers: Worker processes of the embedded cluster (default: the usable
            cores); ignored with ``address``.
        retries: Extra attempts for a task that raises (worker deaths are
            handled by the scheduler, which reruns the dead worker's tasks).
        in_flight: Tasks submitted ahead of completion (default: 4 per worker,
            at least 16); bounds the driver's memory on very large sweeps.
        client: An existing ``distributed.Client`` to use as is (not closed).
        connect_timeout: Seconds to wait for the scheduler at ``address``.
    """

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        *,
        retries: int = 2,
        in_flight: int | None = None,
        client=None,
        connect_timeout: float = CONNECT_TIMEOUT_S,
    ):
        from distributed import Client, LocalCluster

        self.retries = retries
        self._cluster = None
        self._own_client = client is None
        self._engine: str | None = None
        if client is not None:
            self.client = client
            self.description = f"dask ({client.scheduler.address})"
        elif address:
            self.client = Client(address, timeout=f"{connect_timeout}s")
            self.description = f"dask scheduler {address}"
        else:
            n = workers or default_workers()
            self._cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                # a free port: the scheduler's HTTP server otherwise takes 8787, often in use
                dashboard_address=":0",
                silence_logs=logging.ERROR,
                # one process per core already: each runs its passes on one thread unless told otherwise
                env={"EXLAB_THREADS": os.environ.get("EXLAB_THREADS") or "1"},
            )
            self.client = Client(self._cluster)
            self.description = f"dask local cluster ({n} worker processes)"
        self._in_flight = in_flight

    @property
    def workers(self) -> int:
        """Workers currently connected to the scheduler."""
        try:
            return max(1, len(self.client.scheduler_info(n_workers=-1)["workers"]))
        except Exception:
            return 1

    def check_engine(self, expected: str) -> None:
        """Refuse workers whose engine source differs from ``expected``; later tasks check it too.

        Raises:
            ScenarioError: one line naming how many workers differ and one of them.
        """
        from sim.scenario import ScenarioError

        try:
            found = self.client.run(worker_engine, on_error="return")
        except Exception as exc:  # the scheduler went away, or refused the call
            found = {"(all workers)": exc}
        bad = {w: fp for w, fp in found.items() if fp != expected}
        if bad:
            worker, fp = sorted(bad.items(), key=lambda kv: str(kv[0]))[0]
            shown = f"{fp[:12]}..." if isinstance(fp, str) else f"no fingerprint ({_describe(fp)})"
            raise ScenarioError([("--scheduler", f"workers running this engine (source sha256 {expected[:12]}...; "
                                  "install the same ExchangeLab source on every worker)",
                                  f"{len(bad)} of {len(found)} workers with another engine ({worker}: {shown})")])
        self._engine = expected

    def imap_unordered(self, fn: Callable, tasks: Iterable, *shared: Any) -> Iterator[Done]:
        """Submit tasks in a bounded window; yield each as it completes."""
        from distributed import as_completed

        if self._engine is not None:
            fn = functools.partial(run_on_engine, self._engine, fn)

        window = self._in_flight or max(16, 4 * self.workers)
        pending = iter(tasks)
        owner: dict[str, Any] = {}

        def submit_next(n: int) -> list:
            futures = []
            for task in pending:
                fut = self.client.submit(fn, task, *shared, retries=self.retries, pure=False)
                owner[fut.key] = task
                futures.append(fut)
                if len(futures) >= n:
                    break
            return futures

        ac = as_completed(submit_next(window))
        for fut in ac:
            task = owner.pop(fut.key)
            if fut.status == "finished":
                try:
                    done = Done(task, value=fut.result())
                except Exception as exc:  # lost between completion and fetch
                    done = Done(task, error=_describe(exc), traceback=tb.format_exc())
            else:
                try:
                    exc, trace = fut.exception(), fut.traceback()
                except (Exception, asyncio.CancelledError) as lost:  # cancelled by the scheduler
                    exc, trace = lost, None
                text = "".join(tb.format_tb(trace)) if trace else ""
                done = Done(task, error=_describe(exc), traceback=text)
            fut.release()
            for nxt in submit_next(1):
                ac.add(nxt)
            yield done

    def close(self) -> None:
        """Close the client and the embedded cluster, if this executor started them."""
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
