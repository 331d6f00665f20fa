"""First-in first-out queues of requests waiting for a capacity-limited server.

A queue holds arrays: consumer, sent_at_h (hours), arrive_h (when it reached
this server), age, distortion (quality already lost on the way).
"""

from __future__ import annotations

import numpy as np

__all__ = ["RequestQueue"]

_COLS = ("consumer", "sent_at_h", "arrive_h", "age", "distortion")
_DT = (np.int64, np.float64, np.float64, np.int8, np.float32)


class RequestQueue:
    """A FIFO queue with per-tick capacity and impatient customers (Erlang A style)."""

    def __init__(self):
        for c, dt in zip(_COLS, _DT, strict=True):
            setattr(self, c, np.empty(0, dtype=dt))

    def __len__(self) -> int:
        return int(self.consumer.shape[0])

    def push(self, consumer, sent_at_h, arrive_h, age, distortion) -> None:
        """Append requests at the back, in arrival order."""
        order = np.argsort(arrive_h, kind="stable")
        new = (consumer, sent_at_h, arrive_h, age, distortion)
        for c, dt, x in zip(_COLS, _DT, new, strict=True):
            setattr(self, c, np.concatenate([getattr(self, c), np.asarray(x, dtype=dt)[order]]))

    def _take(self, mask: np.ndarray) -> dict:
        out = {c: getattr(self, c)[mask] for c in _COLS}
        keep = ~mask
        for c in _COLS:
            setattr(self, c, getattr(self, c)[keep])
        return out

    def abandon(self, now_h: float, patience_h: np.ndarray) -> dict:
        """Remove and return requests that waited longer than their sender's patience."""
        if not len(self):
            return self._take(np.zeros(0, dtype=bool))
        waited = now_h - self.arrive_h
        return self._take(waited > patience_h[self.consumer])

    def serve(self, capacity: int, day_end_h: float) -> dict:
        """Remove and return up to ``capacity`` requests that have arrived by ``day_end_h``."""
        arrived = self.arrive_h < day_end_h
        idx = np.flatnonzero(arrived)[: max(int(capacity), 0)]
        mask = np.zeros(len(self), dtype=bool)
        mask[idx] = True
        return self._take(mask)

    def count_by_age(self) -> np.ndarray:
        """Requests waiting, per exchange age."""
        return np.bincount(self.age, minlength=3)[:3]
