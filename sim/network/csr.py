"""Compressed sparse rows of an undirected graph: the form the kernel sees.

Shared by the networkx path (:mod:`sim.network.graphs`) and the direct
generators (:mod:`sim.network.fastgraph`), which both write their graphs here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Csr", "csr_from_edges"]


@dataclass(frozen=True)
class Csr:
    """Compressed sparse rows of an undirected graph (both directions stored)."""

    indptr: np.ndarray   #: int64, shape (n + 1,)
    indices: np.ndarray  #: int32, shape (2 * ties,)

    @property
    def n(self) -> int:
        """Number of nodes."""
        return int(self.indptr.shape[0] - 1)

    @property
    def degree(self) -> np.ndarray:
        """Degree of every node."""
        return np.diff(self.indptr)

    def neighbours(self, i: int) -> np.ndarray:
        """Neighbours of node ``i``."""
        return self.indices[self.indptr[i]:self.indptr[i + 1]]


def csr_from_edges(n: int, src: np.ndarray, dst: np.ndarray) -> Csr:
    """CSR from an undirected edge list; self-loops and duplicates are removed.

    Deduplication sorts packed keys rather than calling ``np.unique`` on pairs,
    which is much slower at tens of millions of edges.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    a = np.concatenate([src, dst])
    b = np.concatenate([dst, src])
    key = a * n + b
    key.sort()
    if key.size:
        first = np.empty(key.size, dtype=bool)
        first[0] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        key = key[first]
    rows = key // n
    cols = (key - rows * n).astype(np.int32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return Csr(indptr, cols)
