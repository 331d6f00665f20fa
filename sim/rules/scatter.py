"""Per-consumer sums of per-event values, at a cost proportional to the events.

``np.bincount(idx, weights=w, minlength=n)`` allocates, zeroes and fills an
array of all ``n`` consumers for every quantity summed, although a day's
events often touch a small share of them. :class:`Scatter` keeps one float64
and one flag array of size ``n`` for the whole run and returns the sums only
for the consumers touched, sorted by consumer. Sums are accumulated in event
order in float64 (``np.add.at``), exactly as ``bincount`` does, so results
are bit-identical. Distinct consumers come from a sort when the events are
few and from the flag array otherwise (``np.unique`` is far slower than
either at hundreds of thousands of events: measured 134 ms for 300k events,
against 5 ms for the flags, at 5M consumers).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Scatter"]


class Scatter:
    """Reusable buffers for grouping events by consumer.

    Usage::

        u = sc.group(idx)            # sorted unique consumers of the events
        s = sc.total(weights)        # == np.bincount(idx, weights, minlength=n)[u]
        c = sc.count()               # == np.bincount(idx, minlength=n)[u] (as float64)
    """

    def __init__(self, n: int):
        self.n = int(n)
        self._acc = np.zeros(self.n, np.float64)
        self._flag = np.zeros(self.n, bool)
        self._idx = np.empty(0, np.int64)
        self._u = np.empty(0, np.int64)

    def group(self, idx: np.ndarray) -> np.ndarray:
        """Remember the events' consumers ``idx``; return the distinct ones, sorted."""
        idx = np.asarray(idx)
        self._idx = idx
        if idx.size and np.all(idx[1:] >= idx[:-1]):  # already sorted: distinct values by comparison
            first = np.ones(idx.size, bool)
            first[1:] = idx[1:] != idx[:-1]
            u = idx[first]
        elif idx.size * 256 < self.n:
            srt = np.sort(idx)
            first = np.ones(srt.size, bool)
            first[1:] = srt[1:] != srt[:-1]
            u = srt[first]
        else:
            self._flag[idx] = True
            u = np.flatnonzero(self._flag)
            self._flag[u] = False
        self._u = u
        return u

    def total(self, weights: np.ndarray | float) -> np.ndarray:
        """Sum of ``weights`` per grouped consumer (float64), aligned with ``group``'s result."""
        acc = self._acc
        w = np.asarray(weights, np.float64)
        if w.ndim == 0:
            w = np.broadcast_to(w, self._idx.shape)
        np.add.at(acc, self._idx, w)
        out = acc[self._u]
        acc[self._u] = 0.0
        return out

    def count(self) -> np.ndarray:
        """Number of events per grouped consumer (float64)."""
        return self.total(1.0)
