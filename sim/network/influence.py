"""Realized influence: who moved whose trust, and by how much.

Every peer message that changes a receiver's evidence about its own firm adds
an edge ``sender -> receiver`` weighted by the marginal trust change it
caused, dT = (s+1)/(r+s+2)^2 * w for positive and -(r+1)/(r+s+2)^2 * w for
negative evidence w (the derivative of the beta-reputation mean).

Bounding at millions of consumers: per-consumer totals (influence exerted and
received, messages from peers and from firms) are kept exactly in arrays of
size N. The edge list is merged (duplicates summed) whenever the edges waiting
grow past twice the bound (or ``MERGE_EVERY``) and then cut to the ``max_edges`` heaviest edges by absolute weight;
below that size it is exact. ``truncated`` says whether a cut happened.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

__all__ = ["InfluenceTracker"]

#: Pending edges kept before a merge (16 bytes each): merging sorts everything kept, so merging
#: rarely costs less than merging often; 2M pending edges hold 32 MB.
MERGE_EVERY = 2_000_000


class InfluenceTracker:
    """Bounded accumulator of the realized influence graph."""

    def __init__(self, n: int, max_edges: int):
        self.n = n
        self.max_edges = int(max_edges)
        self.exerted = np.zeros(n, np.float64)
        self.received = np.zeros(n, np.float64)
        self._keys = np.empty(0, np.int64)
        self._w = np.empty(0, np.float64)
        self._pending_k: list[np.ndarray] = []
        self._pending_w: list[np.ndarray] = []
        self._pending = 0
        self.truncated = False

    def add(self, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> None:
        """Record influence ``weight`` (signed trust change) from ``src`` to ``dst``."""
        if not src.size:
            return
        a = np.abs(weight)
        # Exact per-consumer totals: scattered adds cost the messages, not the consumers.
        np.add.at(self.exerted, src, a)
        np.add.at(self.received, dst, a)
        self._pending_k.append(src.astype(np.int64) * self.n + dst)
        self._pending_w.append(weight.astype(np.float64))
        self._pending += src.size
        if self._pending > max(2 * self.max_edges, MERGE_EVERY):
            self._merge()

    def _merge(self) -> None:
        if not self._pending_k:
            return
        keys = np.concatenate([self._keys] + self._pending_k)
        w = np.concatenate([self._w] + self._pending_w)
        self._pending_k, self._pending_w, self._pending = [], [], 0
        order = np.argsort(keys, kind="stable")
        keys, w = keys[order], w[order]
        first = np.ones(keys.size, bool)
        first[1:] = keys[1:] != keys[:-1]
        starts = np.flatnonzero(first)
        self._keys = keys[starts]
        self._w = np.add.reduceat(w, starts) if w.size else w
        if self._keys.size > self.max_edges:
            top = np.argpartition(-np.abs(self._w), self.max_edges)[: self.max_edges]
            top.sort()
            self._keys, self._w = self._keys[top], self._w[top]
            self.truncated = True

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(src, dst, weight) of the kept edges, duplicates summed."""
        self._merge()
        return self._keys // self.n, self._keys % self.n, self._w.copy()

    def to_networkx(self) -> nx.DiGraph:
        """The kept influence edges as a weighted DiGraph (weight = |trust moved|, sign kept apart)."""
        src, dst, w = self.edges()
        g = nx.DiGraph()
        g.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), np.abs(w).tolist(), strict=True))
        for (u, v), s in zip(zip(src.tolist(), dst.tolist(), strict=True), np.sign(w).tolist(),
                             strict=True):
            g[u][v]["sign"] = s
        return g

    def top_influencers(self, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` consumers who moved the most trust in others (exact)."""
        k = min(k, self.n)
        idx = np.argpartition(-self.exerted, k - 1)[:k] if k else np.empty(0, int)
        idx = idx[np.argsort(-self.exerted[idx])]
        return [(int(i), float(self.exerted[i])) for i in idx if self.exerted[i] > 0]

    def pagerank(self, k: int = 10) -> list[tuple[int, float]]:
        """Top ``k`` nodes by PageRank of the reversed influence graph (influence flows out)."""
        g = self.to_networkx()
        if g.number_of_edges() == 0:
            return []
        pr = nx.pagerank(g.reverse(copy=False), weight="weight")
        return sorted(pr.items(), key=lambda kv: -kv[1])[:k]

    def cascade_sizes(self) -> np.ndarray:
        """Sizes of weakly connected components of the influence graph, largest first.

        A component is a set of consumers linked by realized influence: the
        reach of one conversation thread. Computed on the kept edges.
        """
        g = self.to_networkx()
        sizes = [len(c) for c in nx.weakly_connected_components(g)]
        return np.array(sorted(sizes, reverse=True), dtype=np.int64)
