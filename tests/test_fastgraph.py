"""The direct CSR generators against networkx: same degree structure and clustering, seeded.

The graphs cannot be identical to networkx's (different random streams), so
they are compared statistically on graphs of a few thousand nodes, with
fixed seeds (the checks are deterministic, not flaky). Tolerances:

- number of ties: exact for Watts-Strogatz and Barabasi-Albert (both
  construct a fixed count); for G(n, p) and the SBM within 4 standard
  deviations of the binomial count;
- degree distribution: two-sample Kolmogorov-Smirnov test against networkx's
  degrees, p-value above 0.001;
- average clustering: within 0.03 (absolute) of networkx's for
  Watts-Strogatz (about 0.49 here) and within 0.01 for the sparse kinds
  (about 0.005-0.03);
- SBM: share of ties inside a segment within 0.02 of ``homophily``.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy import stats

from sim.network import fastgraph
from sim.network.graphs import _networkx_graph, build_social_graph, csr_to_networkx
from sim.scenario.schema import NetworkParams

N = 4000
SEG = np.repeat(np.arange(2, dtype=np.int8), [N // 2, N - N // 2])
KINDS = ["watts_strogatz", "erdos_renyi", "barabasi_albert", "sbm"]


def _params(kind: str) -> NetworkParams:
    return NetworkParams(kind=kind, mean_degree=10, rewire=0.1, homophily=0.8)


def _simple(csr) -> None:
    n = csr.n
    rows = np.repeat(np.arange(n), csr.degree)
    cols = csr.indices.astype(np.int64)
    assert csr.indptr[0] == 0 and csr.indptr[-1] == cols.size
    assert not np.any(rows == cols), "self-loop"
    same_row = np.diff(rows) == 0
    assert np.all(np.diff(cols)[same_row] > 0), "rows must be sorted without duplicates"
    fwd = np.sort(rows * n + cols)
    back = np.sort(cols * n + rows)
    assert np.array_equal(fwd, back), "every tie must be stored in both directions"


@pytest.fixture(scope="module")
def pairs():
    out = {}
    for kind in KINDS:
        p = _params(kind)
        fast = fastgraph.build(p, N, SEG, 11)
        ref = _networkx_graph(p, N, SEG, 11)
        out[kind] = (fast, ref)
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_simple_undirected_csr(pairs, kind):
    _simple(pairs[kind][0])


@pytest.mark.parametrize("kind", KINDS)
def test_degree_distribution_matches_networkx(pairs, kind):
    fast, ref = pairs[kind]
    ties = fast.indices.size // 2
    ref_deg = np.array([d for _, d in ref.degree()])
    if kind in ("watts_strogatz", "barabasi_albert"):
        assert ties == ref.number_of_edges()
    else:
        expect = ref_deg.sum() / 2
        p_tie = expect / (N * (N - 1) / 2)
        sd = np.sqrt(N * (N - 1) / 2 * p_tie * (1 - p_tie))
        assert abs(ties - expect) < 4 * sd * np.sqrt(2)
    ks = stats.ks_2samp(fast.degree, ref_deg)
    assert ks.pvalue > 1e-3, (kind, ks)


@pytest.mark.parametrize("kind", KINDS)
def test_clustering_matches_networkx(pairs, kind):
    fast, ref = pairs[kind]
    c_fast = nx.average_clustering(csr_to_networkx(fast))
    c_ref = nx.average_clustering(ref)
    tol = 0.03 if kind == "watts_strogatz" else 0.01
    assert abs(c_fast - c_ref) < tol, (kind, c_fast, c_ref)


def test_sbm_homophily(pairs):
    fast, _ = pairs["sbm"]
    rows = np.repeat(np.arange(N), fast.degree)
    inside = np.mean(SEG[rows] == SEG[fast.indices])
    assert abs(inside - 0.8) < 0.02


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic_per_seed(kind):
    p = _params(kind)
    a = fastgraph.build(p, 3000, SEG[:3000], 5)
    b = fastgraph.build(p, 3000, SEG[:3000], 5)
    c = fastgraph.build(p, 3000, SEG[:3000], 6)
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert not (a.indices.size == c.indices.size and np.array_equal(a.indices, c.indices))


def test_dense_rows_and_tiny_graphs():
    # Dense G(n, p) exercises the complement draw; a tiny ring is all lattice.
    g = fastgraph.build(NetworkParams(kind="erdos_renyi", mean_degree=40), 60,
                        np.zeros(60, np.int8), 3)
    _simple(g)
    assert 30 < g.degree.mean() < 50
    ws = fastgraph.build(NetworkParams(kind="watts_strogatz", mean_degree=4, rewire=0.0), 10,
                         np.zeros(10, np.int8), 3)
    assert np.array_equal(ws.degree, np.full(10, 4))
    _simple(ws)


def test_threshold_routes_large_graphs(monkeypatch):
    p = _params("watts_strogatz")
    assert not fastgraph.supports(p, fastgraph.WS_NETWORKX_MAX_NODES)
    assert fastgraph.supports(p, fastgraph.WS_NETWORKX_MAX_NODES + 1)
    er = _params("erdos_renyi")
    assert not fastgraph.supports(er, fastgraph.NETWORKX_MAX_NODES)
    assert fastgraph.supports(er, fastgraph.NETWORKX_MAX_NODES + 1)
    assert not fastgraph.supports(NetworkParams(kind="complete"), 10**6)
    monkeypatch.setattr(fastgraph, "WS_NETWORKX_MAX_NODES", 100)
    g = build_social_graph(p, 500, np.zeros(500, np.int8), 1)
    ref = fastgraph.build(p, 500, np.zeros(500, np.int8), 1)
    assert np.array_equal(g.indices, ref.indices)


def test_numpy_and_compiled_assembly_give_the_same_watts_strogatz_graph(monkeypatch):
    p = _params("watts_strogatz")
    monkeypatch.setattr(fastgraph, "NUMPY_ASSEMBLY_MAX_NODES", 10**9)
    by_sort = fastgraph.build(p, 3000, np.zeros(3000, np.int8), 5)
    monkeypatch.setattr(fastgraph, "NUMPY_ASSEMBLY_MAX_NODES", 0)
    compiled = fastgraph.build(p, 3000, np.zeros(3000, np.int8), 5)
    assert np.array_equal(by_sort.indptr, compiled.indptr)
    assert np.array_equal(by_sort.indices, compiled.indices)
