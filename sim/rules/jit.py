"""Compiled rules and passes: the one way the engine turns equations into loops.

Each behavioural equation is a small scalar function decorated with
:func:`rule`; each per-consumer or per-event pass is a loop decorated with
:func:`kernel` that calls those rules. numba compiles a pass with its rules
inlined, once per installation (cached on disk), so the same definition serves
a classroom of 300 consumers and a bank of 5 million. ``NUMBA_DISABLE_JIT=1``
runs every rule and pass as plain Python, for debugging (about 13x slower).

Why compiled loops and not numpy: measured on a 2-core machine, the compiled
passes run the 5-million bank 3-4x faster than whole-array numpy (one trip
through memory per pass instead of one per operation), and a loop over the
day's events reads and writes each consumer once. A small run pays about
0.5 s once per process to import numba and load the cached passes.

The cache
    numba keys a cached pass on its own source file only, so a change in an
    inlined rule of another module would not recompile it. The cache folder
    is therefore named after a fingerprint of every source file of
    ``sim/rules`` (:func:`rules_fingerprint`): a changed rule gets a fresh
    cache. The folder is ``$EXLAB_CACHE_DIR`` or ``~/.cache/exchangelab``
    (``$XDG_CACHE_HOME`` respected), then ``numba-<fingerprint>``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

# Threads that wait between parallel passes sleep instead of spinning: a spinning OpenMP thread takes
# a core from the serial work between passes (measured in docs/ENGINE.md). Read when the OpenMP
# library loads, at the first parallel pass; a value set by the user is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["CHUNK", "PARALLEL_FROM", "UNIT", "cache_dir", "kernel", "parallel_kernel", "rule", "rules_fingerprint",
           "set_threads", "u01", "usable_cores"]

_RULES_DIR = Path(__file__).resolve().parent


def rules_fingerprint() -> str:
    """sha256 (16 hex digits) of every source file of ``sim/rules``, in name order."""
    h = hashlib.sha256()
    for p in sorted(_RULES_DIR.glob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    """Where compiled passes are cached for the current rule sources."""
    root = os.environ.get("EXLAB_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "exchangelab")
    return Path(root) / f"numba-{rules_fingerprint()}"


numba.config.CACHE_DIR = str(cache_dir())


def rule(fn):
    """A scalar equation: compiled and inlined into the passes that call it.

    Called from Python with plain numbers it compiles on first call and
    returns a number (the rule tests do this).
    """
    return numba.njit(inline="always", cache=True)(fn)


def kernel(fn):
    """A pass over consumers or events: compiled on first use, cached on disk."""
    return numba.njit(cache=True, nogil=True)(fn)


def parallel_kernel(fn):
    """A pass over consumers in fixed chunks (:data:`CHUNK`), the chunks shared among threads.

    Each chunk does the same work and forms the same partial sums whichever
    thread runs it, so any number of threads gives the same numbers (see
    :func:`set_threads`).
    """
    return numba.njit(cache=True, nogil=True, parallel=True)(fn)


#: Consumers per chunk of a parallel pass: fixed, so results do not depend on the number of threads.
CHUNK = 65_536


#: Consumers from which a run uses several threads by default (four chunks): below it, waking the
#: threads costs more than the passes they share (measured in docs/ENGINE.md).
PARALLEL_FROM = 4 * CHUNK


def set_threads(consumers: int | None = None) -> int:
    """Threads for the parallel passes: ``EXLAB_THREADS`` (a whole number >= 1), else a default.

    The default is every core this process may use (its CPU affinity) for a
    run of at least :data:`PARALLEL_FROM` consumers, one thread below it;
    the workers of a sweep's embedded cluster are started with
    ``EXLAB_THREADS=1`` (they already run one process per core). The numbers
    never depend on the count (fixed chunks, :data:`CHUNK`).
    """
    want = os.environ.get("EXLAB_THREADS", "")
    if want.strip():
        try:
            k = int(want)
        except ValueError:
            k = 0
        if k < 1:
            raise ValueError(f"EXLAB_THREADS: expected a whole number >= 1, got {want!r}")
    else:
        k = usable_cores() if consumers is None or consumers >= PARALLEL_FROM else 1
    numba.set_num_threads(min(k, numba.config.NUMBA_NUM_THREADS))
    return numba.get_num_threads()


def usable_cores() -> int:
    """Cores this process may use (the CPU affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


#: 2**-53: a 53-bit integer times UNIT is a uniform double on [0, 1).
UNIT = 1.0 / 9007199254740992.0


@rule
def u01(key, i):
    """Counter-based uniform draw on [0, 1): splitmix64 of a daily key and a consumer index.

    ``z = key + (i + 1) * 0x9E3779B97F4A7C15`` then splitmix64's finaliser;
    the top 53 bits times 2**-53 (Steele, Lea & Flood 2014). A draw for every
    consumer without writing an array of N draws.
    """
    z = key + np.uint64(i + 1) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(11)) * UNIT
