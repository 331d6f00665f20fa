"""The consumers' social graph, built with networkx and held as CSR arrays.

The kernel only sees ``Csr(indptr, indices)``: the neighbours of consumer
``i`` are ``indices[indptr[i]:indptr[i+1]]``. Graphs are undirected (each tie
is stored in both directions). Generators are seeded explicitly from the run's
seed tree so the same seed always gives the same graph.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np

from sim.network import fastgraph
from sim.network.csr import Csr, csr_from_edges
from sim.scenario.schema import NetworkParams

__all__ = ["Csr", "build_social_graph", "csr_from_edges", "csr_to_networkx"]


def _networkx_graph(p: NetworkParams, n: int, segment: np.ndarray, seed: int) -> nx.Graph:
    k = max(1, int(round(p.mean_degree)))
    if p.kind == "watts_strogatz":
        return nx.watts_strogatz_graph(n, min(k, n - 1) // 2 * 2 or 2, p.rewire, seed=seed)
    if p.kind == "barabasi_albert":
        return nx.barabasi_albert_graph(n, max(1, min(k // 2, n - 1)), seed=seed)
    if p.kind == "erdos_renyi":
        return nx.fast_gnp_random_graph(n, min(1.0, p.mean_degree / max(n - 1, 1)), seed=seed)
    if p.kind == "complete":
        return nx.complete_graph(n)
    if p.kind == "sbm":
        sizes = np.bincount(segment).tolist()
        sizes = [s for s in sizes if s > 0]
        m = len(sizes)
        # Expected degree = p_in*(n_s-1) + p_out*(n - n_s) = mean_degree, with the in-share = homophily.
        probs = []
        for a in range(m):
            row = []
            for b in range(m):
                if a == b:
                    row.append(min(1.0, p.homophily * p.mean_degree / max(sizes[a] - 1, 1)))
                else:
                    row.append(min(1.0, (1 - p.homophily) * p.mean_degree / max(n - sizes[a], 1)))
            probs.append(row)
        # Symmetrise (the generator needs a symmetric matrix for undirected graphs).
        probs = [[min(probs[a][b], probs[b][a]) if a != b else probs[a][b] for b in range(m)]
                 for a in range(m)]
        return nx.stochastic_block_model(sizes, probs, seed=seed)
    raise ValueError(p.kind)


def _read_edgelist(path: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    data = np.loadtxt(Path(path), dtype=np.int64, comments="#", ndmin=2)
    if data.shape[1] < 2:
        raise ValueError(f"{path}: expected two integer columns per line")
    if data.size and (data[:, :2].min() < 0 or data[:, :2].max() >= n):
        raise ValueError(f"{path}: node ids must lie in 0..{n - 1} (population.consumers)")
    return data[:, 0], data[:, 1]


def _complete_csr(n: int) -> Csr:
    """Every consumer tied to every other, written directly as CSR (no networkx, no dedup)."""
    indptr = np.arange(n + 1, dtype=np.int64) * (n - 1)
    full = np.tile(np.arange(n, dtype=np.int32), n).reshape(n, n)
    mask = ~np.eye(n, dtype=bool)
    return Csr(indptr, full[mask])


def build_social_graph(p: NetworkParams, n: int, segment: np.ndarray, seed: int) -> Csr:
    """Build the social graph for ``n`` consumers as CSR arrays.

    Args:
        p: Network parameters of the scenario.
        n: Number of consumers.
        segment: Segment index of each consumer (SBM blocks follow segments,
            which are stored in contiguous index ranges).
        seed: Integer seed for the generator.
    """
    if p.kind == "edgelist":
        src, dst = _read_edgelist(p.edgelist_path, n)
        return csr_from_edges(n, src, dst)
    if p.kind == "complete":
        return _complete_csr(n)
    if fastgraph.supports(p, n):
        return fastgraph.build(p, n, segment, seed)
    g = _networkx_graph(p, n, segment, seed)
    edges = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
    return csr_from_edges(n, edges[:, 0], edges[:, 1])


def csr_to_networkx(csr: Csr) -> nx.Graph:
    """The graph as a networkx Graph (for small graphs: drawing, analytics)."""
    g = nx.Graph()
    g.add_nodes_from(range(csr.n))
    rows = np.repeat(np.arange(csr.n), csr.degree)
    mask = rows < csr.indices
    g.add_edges_from(zip(rows[mask].tolist(), csr.indices[mask].tolist(), strict=True))
    return g
