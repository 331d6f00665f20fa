"""Cascades of public posts (sim.rules.cascades) against bond percolation and hand-worked graphs.

With ``reach = 1``, ``p_reshare = T`` for everyone and no damping, the sharers
of one post form the bond-percolation cluster of its origin (size counts
sharers, origin included), so on an Erdos-Renyi graph the cascade sizes follow
the formulas of sim.validation.percolation (Newman 2002; Callaway et al.
2000). Tolerances are four standard errors of the simulated sample, computed
here; the formulas are evaluated at the graph's realised mean degree, since
all posts share one graph.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from sim.network.csr import Csr, csr_from_edges
from sim.rules import cascades as cas
from sim.validation import percolation as perc

N = 50_000
Z = 5.0


def erdos_renyi(n: int, z: float, seed: int) -> Csr:
    """G(n, p) with p = z / (n - 1): a binomial number of edges, then that many distinct uniform pairs."""
    rng = np.random.default_rng(seed)
    m = int(rng.binomial(n * (n - 1) // 2, z / (n - 1)))
    a = rng.integers(0, n, 2 * m + 100)
    b = rng.integers(0, n, 2 * m + 100)
    keep = a != b
    key = np.minimum(a, b)[keep] * n + np.maximum(a, b)[keep]
    _, first = np.unique(key, return_index=True)
    key = key[np.sort(first)]
    assert key.size >= m
    key = key[:m]
    return csr_from_edges(n, key // n, key % n)


def from_nx(g: nx.Graph) -> Csr:
    e = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
    return csr_from_edges(g.number_of_nodes(), e[:, 0], e[:, 1])


def run(g: Csr, origins, T: float = 1.0, *, reach: float = 1.0, damping=1.0, key: int = 12345,
        post_id=None, max_exposures: int = 10**7, record: bool = False, work=None, p_reshare=None):
    origins = np.asarray(origins, dtype=np.int64)
    if post_id is None:
        post_id = np.arange(origins.size)
    if p_reshare is None:
        p_reshare = np.full(g.n, T)
    work = work or cas.CascadeWork.allocate(g.n, max_exposures, record=record)
    return cas.spread_posts(work, g.indptr, g.indices, key, origins, post_id, reach, p_reshare, damping)


@pytest.fixture(scope="module")
def er_graph() -> Csr:
    return erdos_renyi(N, Z, seed=2024)


def z_hat(g: Csr) -> float:
    return float(g.indices.size / g.n)


# ------------------------------------------------------------ percolation formulas
def test_er_giant_fraction_solves_its_equation():
    for c in (1.2, 2.0, 4.0):
        s = perc.er_giant_fraction(1.0, c)
        assert 0 < s < 1
        assert s == pytest.approx(1.0 - math.exp(-c * s), abs=1e-12)
    assert perc.er_giant_fraction(0.5, 4.0) == pytest.approx(0.7968121300200199, abs=1e-12)  # c = 2
    assert perc.er_giant_fraction(0.1, 5.0) == 0.0 and perc.er_giant_fraction(0.2, 5.0) == 0.0


def test_er_cluster_sizes():
    assert perc.er_mean_cluster_size(0.1, 5.0) == pytest.approx(2.0)
    assert perc.er_mean_cluster_size(0.2, 5.0) == math.inf
    # below the threshold the small clusters are all clusters
    assert perc.er_mean_small_cluster_size(0.14, 5.0) == pytest.approx(1.0 / 0.3)
    # above: the dual subcritical graph of mean degree c (1 - S)
    s = perc.er_giant_fraction(0.4, 5.0)
    assert perc.er_mean_small_cluster_size(0.4, 5.0) == pytest.approx(1.0 / (1.0 - 2.0 * (1.0 - s)))


def test_degree_sequence_formulas_on_a_regular_graph():
    """3-regular, T = 3/4: u = (1 - T + T u)^2 has the root u = ((1 - T) / T)^2 = 1/9, so 1 - T + T u = 1/3.

    S = 1 - (1/3)^3 = 26/27; mean small size 1 + G0'(u;T) u / (G0(u;T) (1 - G1'(u;T)))
    = 1 + (3 T / 9)(1/9) / ((1/27)(1 - 2 T / 3)) = 1 + (1/36) / (1/54) = 2.5.
    Below the threshold (T = 0.4 < 1/2): 1 + 3 T / (1 - 2 T) = 1 + 1.2 / 0.2 = 7.
    """
    deg = np.full(1000, 3)
    assert perc.tie_escape_probability(0.75, deg) == pytest.approx(1 / 9, abs=1e-12)
    assert perc.giant_fraction(0.75, deg) == pytest.approx(26 / 27, abs=1e-12)
    assert perc.mean_small_cluster_size(0.75, deg) == pytest.approx(2.5, abs=1e-10)
    assert perc.mean_cluster_size(0.4, deg) == pytest.approx(7.0)
    assert perc.giant_fraction(0.4, deg) == 0.0
    assert perc.mean_small_cluster_size(0.4, deg) == pytest.approx(7.0)


def test_degree_sequence_formulas_reduce_to_erdos_renyi_for_poisson_degrees():
    deg = np.random.default_rng(0).poisson(5.0, 2_000_000)
    assert perc.mean_cluster_size(0.14, deg) == pytest.approx(perc.er_mean_cluster_size(0.14, 5.0), rel=5e-3)
    assert perc.giant_fraction(0.4, deg) == pytest.approx(perc.er_giant_fraction(0.4, 5.0), abs=2e-3)
    assert perc.mean_small_cluster_size(0.4, deg) == pytest.approx(perc.er_mean_small_cluster_size(0.4, 5.0),
                                                                   rel=5e-3)


# ------------------------------------------------------- cascades vs percolation
@pytest.mark.parametrize("c", [0.5, 0.7])
def test_mean_cascade_size_below_threshold_is_one_over_one_minus_tz(er_graph, c):
    g = er_graph
    T = c / Z
    posts = 40_000
    origins = np.random.default_rng(int(c * 100)).integers(0, g.n, posts)
    r = run(g, origins, T, key=int(c * 1000))
    assert not r.truncated.any()
    mean = r.size.mean()
    se = r.size.std(ddof=1) / math.sqrt(posts)
    theory = perc.er_mean_cluster_size(T, z_hat(g))
    assert abs(mean - theory) < 4 * se, (mean, se, theory)
    # every sharer but the origin saw the post
    assert (r.reach >= r.size - 1).all()


def test_giant_share_and_small_outbreaks_above_threshold(er_graph):
    """T z = 2: share of giant posts = S, small ones average 1 / (1 - T z (1 - S)).

    Each post runs alone with a bound of 4,000 exposures: a finite cluster at
    this T needing that many (about 800 sharers) has a negligible chance
    (its size tail decays like exp(-0.31 s)), a giant one (about 40,000
    sharers) always does, so ``truncated`` marks the giant posts.
    """
    g = er_graph
    T = 2.0 / Z
    posts = 3000
    origins = np.random.default_rng(7).integers(0, g.n, posts)
    work = cas.CascadeWork.allocate(g.n, 4000, record=False)
    p = np.full(g.n, T)
    giant = np.zeros(posts, dtype=bool)
    size = np.zeros(posts, dtype=np.int64)
    for i in range(posts):  # one call per post: the bound applies to each post alone
        r = cas.spread_posts(work, g.indptr, g.indices, 99, origins[i:i + 1], np.array([i]), 1.0, p, 1.0)
        giant[i] = r.truncated[0]
        size[i] = r.size[0]
    s_theory = perc.er_giant_fraction(T, z_hat(g))
    share = giant.mean()
    se = math.sqrt(share * (1 - share) / posts)
    assert abs(share - s_theory) < 4 * se, (share, se, s_theory)
    small = size[~giant]
    assert small.max() < 200
    m_theory = perc.er_mean_small_cluster_size(T, z_hat(g))
    se_small = small.std(ddof=1) / math.sqrt(small.size)
    assert abs(small.mean() - m_theory) < 4 * se_small, (small.mean(), se_small, m_theory)


def test_giant_cascades_reach_the_giant_fraction(er_graph):
    """Complete giant cascades hold S N sharers.

    All posts share one graph, whose own giant fraction differs from the
    large-N S by a few 1e-4 at N = 50,000 (about a tenth of one cascade's
    standard deviation); 0.002 is allowed for it on top of four standard errors.
    """
    g = er_graph
    T = 2.0 / Z
    origins = np.random.default_rng(11).integers(0, g.n, 40)
    r = run(g, origins, T, key=5, max_exposures=50_000_000)
    assert not r.truncated.any()
    big = r.size > g.n / 10
    assert big.sum() >= 20
    frac = r.size[big] / g.n
    se = frac.std(ddof=1) / math.sqrt(frac.size)
    s_theory = perc.er_giant_fraction(T, z_hat(g))
    assert abs(frac.mean() - s_theory) < 4 * se + 0.002, (frac.mean(), se, s_theory)
    assert (r.size[~big] < 200).all()


# ------------------------------------------------------------- hand-worked graphs
def test_chain_depth_is_size_minus_one():
    g = from_nx(nx.path_graph(30))
    r = run(g, [0], 1.0)
    assert (r.size[0], r.depth[0], r.reach[0]) == (30, 29, 29)
    # with T = 0.5 a post from the end of the chain stops at the first closed tie
    r = run(g, np.zeros(4000, dtype=np.int64), 0.5, key=3)
    assert (r.depth == r.size - 1).all()
    # P(size >= s) = T^(s - 1): mean 1 + T + T^2 + ... (1 + T + ... + T^29 = 2 - 2^-29)
    se = r.size.std(ddof=1) / math.sqrt(r.size.size)
    assert abs(r.size.mean() - (2 - 2.0**-29)) < 4 * se
    # a viewer who did not reshare is in the reach, not the size
    assert (r.reach == np.minimum(r.size, 29)).all()


def test_star_reach_and_depth():
    leaves = 50
    g = from_nx(nx.star_graph(leaves))  # centre 0
    r = run(g, [0, 7], 1.0, record=True)
    assert r.size.tolist() == [leaves + 1, leaves + 1]
    assert r.reach.tolist() == [leaves, leaves]  # every leaf; origin excluded
    assert r.depth.tolist() == [1, 2]  # leaf 7 -> centre -> the other leaves
    # seen exposures: from the centre, each leaf once; a leaf's reshare goes back to the centre only,
    # which is the origin (not exposed) for post 0 and a sharer (seen, no trial) for post 1
    assert np.count_nonzero(r.post == 0) == leaves
    assert np.count_nonzero(r.post == 1) == 1 + (leaves - 1) + (leaves - 1)


def test_reach_is_the_share_of_ties_who_see():
    leaves = 10_000
    g = from_nx(nx.star_graph(leaves))
    r = run(g, np.zeros(20, dtype=np.int64), 0.0, reach=0.3, key=8)
    expected, se = 0.3 * leaves, math.sqrt(leaves * 0.3 * 0.7 / 20)
    assert abs(r.reach.mean() - expected) < 4 * se
    assert (r.size == 1).all()


def test_the_viewer_propensity_decides():
    leaves = 40
    g = from_nx(nx.star_graph(leaves))
    p = np.zeros(leaves + 1)
    p[1::2] = 1.0  # odd leaves always reshare, even ones never
    r = run(g, [0], p_reshare=p)
    assert r.size[0] == 1 + leaves // 2 and r.reach[0] == leaves and r.depth[0] == 1


def test_generations_are_breadth_first_distances():
    nxg = nx.gnp_random_graph(300, 0.02, seed=4)
    g = from_nx(nxg)
    origins = np.arange(0, 300, 7)
    r = run(g, origins, 1.0)
    for j, o in enumerate(origins):  # T = 1: the whole component, depth its eccentricity from o
        dist = nx.single_source_shortest_path_length(nxg, int(o))
        assert r.size[j] == len(dist)
        assert r.depth[j] == max(dist.values())
        assert r.reach[j] == len(dist) - 1


def test_exposure_rows_are_consistent(er_graph):
    g = er_graph
    origins = np.random.default_rng(5).integers(0, g.n, 300)
    r = run(g, origins, 0.16, reach=0.7, key=77, record=True)
    assert r.seen == r.sharer.size <= r.exposures
    lo, hi = g.indptr[r.sharer], g.indptr[r.sharer + 1]
    adj = np.array([r.viewer[k] in g.indices[lo[k]:hi[k]] for k in range(min(r.seen, 2000))])
    assert adj.all()
    assert (r.viewer != origins[r.post]).all()
    pairs = np.unique(r.post.astype(np.int64) * g.n + r.viewer)
    assert (np.bincount(pairs // g.n, minlength=origins.size) == r.reach).all()


# ------------------------------------------------------------ damping and the bound
def test_damping_zero_stops_every_post_at_its_origin(er_graph):
    g = er_graph
    origins = np.random.default_rng(6).integers(0, g.n, 500)
    r = run(g, origins, 1.0, damping=0.0, record=True)
    assert (r.size == 1).all() and (r.depth == 0).all()
    assert (r.reach == g.degree[origins]).all()  # reach = 1: every tie sees it, nobody passes it on
    assert r.exposures == g.degree[origins].sum()
    # a per-post damping: the damped post stays home, the other spreads
    r = run(g, origins[:2], 1.0, damping=np.array([0.0, 1.0]))
    assert r.size[0] == 1 and r.size[1] > 1000


def test_work_bound_truncates_and_flags():
    leaves = 50
    star = nx.star_graph(leaves)
    star.add_node(leaves + 1)  # an isolated consumer: a post with nothing to expose
    g = from_nx(star)
    r = run(g, [0, leaves + 1, 3], 1.0, max_exposures=5, record=True)
    assert r.exposures == 5 and r.seen == 5
    assert r.truncated.tolist() == [True, False, True]
    assert r.size.tolist() == [6, 1, 1] and r.reach.tolist() == [5, 0, 0]
    # exactly enough exposures: nothing is cut
    r = run(g, [0], 1.0, max_exposures=leaves)
    assert not r.truncated[0] and r.size[0] == leaves + 1
    s = cas.summarise(r.size, r.depth, r.truncated)
    assert (s.largest, s.spread_share, s.truncated) == (leaves + 1, 1.0, 0)


def test_summarise():
    s = cas.summarise(np.array([1, 3, 1, 7]), np.array([0, 1, 0, 3]), np.array([False, False, False, True]))
    assert (s.posts, s.largest, s.spread_share, s.truncated) == (4, 7, 0.5, 1)
    s = cas.summarise(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32))
    assert (s.posts, s.largest, s.spread_share) == (0, 0, 0.0)


# ------------------------------------------------------------------ determinism
def _per_post_rows(r, j):
    m = r.post == j
    return sorted(zip(r.sharer[m].tolist(), r.viewer[m].tolist(), strict=True))


def test_same_key_same_cascades_in_any_order_or_split():
    g = erdos_renyi(5000, 3.0, seed=9)
    rng = np.random.default_rng(10)
    posts = 400
    origins = rng.integers(0, g.n, posts)
    ids = np.arange(1000, 1000 + posts)
    p = rng.uniform(0.2, 0.5, g.n)
    damp = rng.uniform(0.5, 1.0, posts)
    kw = dict(reach=0.8, key=2024, p_reshare=p, record=True)
    whole = run(g, origins, post_id=ids, damping=damp, **kw)
    assert whole.size.max() > 10  # some spread to compare
    again = run(g, origins, post_id=ids, damping=damp, **kw)
    for f in ("size", "reach", "depth", "sharer", "viewer", "post"):
        assert np.array_equal(getattr(whole, f), getattr(again, f))

    # the same posts in two calls sharing one work area, and in reverse order
    work = cas.CascadeWork.allocate(g.n, 10**7)
    a = run(g, origins[:150], post_id=ids[:150], damping=damp[:150], work=work, **kw)
    b = run(g, origins[150:], post_id=ids[150:], damping=damp[150:], work=work, **kw)
    rev = run(g, origins[::-1], post_id=ids[::-1], damping=damp[::-1], **kw)
    for f in ("size", "reach", "depth"):
        col = getattr(whole, f)
        assert np.array_equal(np.concatenate([getattr(a, f), getattr(b, f)]), col)
        assert np.array_equal(getattr(rev, f)[::-1], col)
    for j in range(0, posts, 37):
        rows = _per_post_rows(whole, j)
        part = _per_post_rows(a, j) if j < 150 else _per_post_rows(b, j - 150)
        assert part == rows and _per_post_rows(rev, posts - 1 - j) == rows

    other = run(g, origins, post_id=ids, damping=damp, **{**kw, "key": 2025})
    assert not np.array_equal(other.size, whole.size)
