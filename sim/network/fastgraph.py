"""Graph generators that write CSR arrays directly, for populations too large for networkx.

networkx needs about 100 s and 6 GiB to hold a 5-million-node Watts-Strogatz
graph; these generators build the same kinds of graph as CSR arrays in a few
seconds and a few hundred MB, with the same degree structure as the networkx
generators called in :mod:`sim.network.graphs`:

- ``watts_strogatz``: ring lattice of ``k`` neighbours, each lattice edge
  rewired with probability ``rewire`` to a uniform target; self-loops and
  multiple edges are redrawn (as networkx does), so there are exactly
  ``n * k / 2`` ties.
- ``erdos_renyi``: G(n, p). Row ``u`` draws Binomial(n - 1 - u, p) distinct
  higher neighbours, which is exactly G(n, p) and needs no global deduplication.
- ``sbm``: the same, block by block (segments are contiguous index ranges),
  with the probabilities networkx is given.
- ``barabasi_albert``: the networkx algorithm (star seed graph, ``m`` distinct
  targets drawn from the repeated-node list) as a serial compiled loop.

Graphs are deterministic functions of the integer seed (but not the same
graphs networkx draws for that seed: the random streams differ). numba is
imported and the kernels compiled (cached on disk) only when a large graph is
built, so small runs pay nothing.
"""

from __future__ import annotations

import numpy as np

from sim.network.csr import Csr, csr_from_edges
from sim.scenario.schema import NetworkParams

__all__ = ["NETWORKX_MAX_NODES", "KINDS", "build", "supports"]

#: Above this many consumers the direct generators replace networkx. Measured
#: here (k = 10, graph to CSR): networkx takes 0.7 s (Watts-Strogatz) / 1.0 s
#: (Barabasi-Albert) at 20k nodes, 1.9 / 4.4 s at 50k, 6.3 / 9.5 s at 100k and
#: 15 / 19 s at 200k; the direct generators take 0.03 s at 50k and 1.2-2.5 s
#: at 1M, plus ~2 s in a fresh process to import numba and load the compiled
#: kernels. The crossover is near 50k, and below it the graphs stay exactly
#: those of networkx.
NETWORKX_MAX_NODES = 50_000
#: Watts-Strogatz is pure numpy up to ``NUMPY_ASSEMBLY_MAX_NODES`` (no numba to import), so it
#: replaces networkx from 10k consumers: 0.03 s instead of 0.4 s for the dashboard's 20k default.
WS_NETWORKX_MAX_NODES = 10_000
#: Up to this many consumers CSR arrays are assembled by sorting (numpy); above it by the
#: compiled kernel, which needs no sort temporaries (about 24 bytes per tie at 5M consumers).
NUMPY_ASSEMBLY_MAX_NODES = 100_000

#: Kinds with a direct generator.
KINDS = ("watts_strogatz", "erdos_renyi", "barabasi_albert", "sbm")


def supports(p: NetworkParams, n: int) -> bool:
    """True when a direct CSR generator exists and the graph is large enough to need it."""
    if p.kind == "watts_strogatz":
        return n > WS_NETWORKX_MAX_NODES
    return p.kind in KINDS and n > NETWORKX_MAX_NODES


def build(p: NetworkParams, n: int, segment: np.ndarray, seed: int) -> Csr:
    """Build the social graph of ``n`` consumers directly as CSR arrays.

    Args:
        p: Network parameters (same meaning as for the networkx path).
        n: Number of consumers.
        segment: Segment index per consumer (SBM blocks; contiguous ranges).
        seed: Integer seed; the same seed gives the same graph.
    """
    k = max(1, int(round(p.mean_degree)))
    rng = np.random.default_rng(seed)
    if p.kind == "watts_strogatz":
        indptr, indices = _watts_strogatz(n, min(k, n - 1) // 2 * 2 or 2, p.rewire, rng)
    elif p.kind == "barabasi_albert":
        indptr, indices = _barabasi_albert(n, max(1, min(k // 2, n - 1)), rng)
    elif p.kind == "erdos_renyi":
        prob = min(1.0, p.mean_degree / max(n - 1, 1))
        indptr, indices = _blocks(np.array([0, n], np.int64), np.array([[prob]]), rng)
    elif p.kind == "sbm":
        starts, probs = _sbm_blocks(p, n, segment)
        indptr, indices = _blocks(starts, probs, rng)
    else:
        raise ValueError(f"no direct generator for network kind {p.kind!r}")
    return Csr(indptr, indices)


# ------------------------------------------------------------------ kernels
_KERNELS = None


def _kernels():
    """Compile (or load from cache) the numba kernels on first use."""
    global _KERNELS
    if _KERNELS is not None:
        return _KERNELS
    import numba as nb

    @nb.njit(cache=True)
    def assemble(n, u, v):
        # Undirected edge list -> CSR with both directions, rows sorted.
        deg = np.zeros(n + 1, np.int64)
        for e in range(u.shape[0]):
            deg[u[e] + 1] += 1
            deg[v[e] + 1] += 1
        for i in range(n):
            deg[i + 1] += deg[i]
        indptr = deg.copy()
        fill = deg[:-1].copy()
        indices = np.empty(indptr[n], np.int32)
        for e in range(u.shape[0]):
            a = u[e]
            b = v[e]
            indices[fill[a]] = b
            fill[a] += 1
            indices[fill[b]] = a
            fill[b] += 1
        for i in range(n):
            lo = indptr[i]
            hi = indptr[i + 1]
            if hi - lo > 1:
                indices[lo:hi] = np.sort(indices[lo:hi])
        return indptr, indices

    @nb.njit(cache=True)
    def upper_blocks(starts, probs, seed):
        # Row u draws, for every block b from its own on, Binomial(#{v > u in b}, p) distinct
        # neighbours v > u in b; rows come out sorted, so (u, v) is sorted by u then v.
        np.random.seed(seed)
        n = starts[-1]
        nb_ = starts.shape[0] - 1
        cap = 1024
        us = np.empty(cap, np.int32)
        vs = np.empty(cap, np.int32)
        m = 0
        a = 0
        for u in range(n):
            while u >= starts[a + 1]:
                a += 1
            for b in range(a, nb_):
                lo = max(u + 1, starts[b])
                hi = starts[b + 1]
                if hi <= lo:
                    continue
                prob = probs[a, b]
                if prob <= 0.0:
                    continue
                span = hi - lo
                c = np.random.binomial(span, prob) if prob < 1.0 else span
                if c == 0:
                    continue
                if m + c > cap:
                    while m + c > cap:
                        cap *= 2
                    us2 = np.empty(cap, np.int32)
                    vs2 = np.empty(cap, np.int32)
                    us2[:m] = us[:m]
                    vs2[:m] = vs[:m]
                    us = us2
                    vs = vs2
                if c == span:
                    for j in range(c):
                        us[m + j] = u
                        vs[m + j] = lo + j
                    m += c
                    continue
                if 2 * c > span:
                    # Dense row: choose the complement (few values to avoid).
                    skip = np.sort(np.random.choice(span, span - c, replace=False))
                    j = 0
                    t = 0
                    for x in range(span):
                        if t < skip.shape[0] and skip[t] == x:
                            t += 1
                            continue
                        us[m + j] = u
                        vs[m + j] = lo + x
                        j += 1
                    m += c
                    continue
                picks = np.sort(np.random.randint(0, span, c))
                while True:
                    dup = 0
                    for j in range(1, c):
                        if picks[j] == picks[j - 1]:
                            dup += 1
                    if dup == 0:
                        break
                    j2 = 0
                    for j in range(c):
                        if j == 0 or picks[j] != picks[j - 1]:
                            picks[j2] = picks[j]
                            j2 += 1
                    for j in range(j2, c):
                        picks[j] = np.random.randint(0, span)
                    picks = np.sort(picks)
                for j in range(c):
                    us[m + j] = u
                    vs[m + j] = lo + picks[j]
                m += c
        return us[:m].copy(), vs[:m].copy()

    @nb.njit(cache=True)
    def barabasi_albert(n, m, seed):
        # networkx's algorithm: star on m + 1 nodes, then each new node links to m distinct
        # targets drawn uniformly from the list holding every node once per tie.
        np.random.seed(seed)
        e_total = m + m * (n - m - 1)
        us = np.empty(e_total, np.int32)
        vs = np.empty(e_total, np.int32)
        rep = np.empty(2 * e_total, np.int32)
        r = 0
        for leaf in range(1, m + 1):
            us[leaf - 1] = 0
            vs[leaf - 1] = leaf
            rep[r] = 0
            rep[r + 1] = leaf
            r += 2
        e = m
        targets = np.empty(m, np.int32)
        for source in range(m + 1, n):
            got = 0
            while got < m:
                x = rep[np.random.randint(0, r)]
                new = True
                for t in range(got):
                    if targets[t] == x:
                        new = False
                        break
                if new:
                    targets[got] = x
                    got += 1
            for t in range(m):
                us[e] = source
                vs[e] = targets[t]
                e += 1
                rep[r] = targets[t]
                r += 1
            for _ in range(m):
                rep[r] = source
                r += 1
        return us, vs

    _KERNELS = {"assemble": assemble, "upper_blocks": upper_blocks,
                "barabasi_albert": barabasi_albert}
    return _KERNELS


def _kernel_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


# ------------------------------------------------------------------ generators
def _watts_strogatz(n: int, k: int, p: float, rng: np.random.Generator):
    """Ring lattice with ``k`` neighbours, each lattice tie rewired with probability ``p``."""
    half = k // 2
    u = np.repeat(np.arange(n, dtype=np.int64), half)                    # lattice tie (u, u + j)
    j = np.tile(np.arange(1, half + 1, dtype=np.int64), n)
    v = u + j
    v[v >= n] -= n
    rew = np.flatnonzero(rng.random(u.size) < p) if p > 0 else np.empty(0, np.int64)
    rewired = np.zeros(u.size, bool)
    rewired[rew] = True
    src = u[rew]
    tgt = rng.integers(0, n, rew.size)
    # Redraw targets that would make a self-loop or a second tie between the same pair.
    todo = np.arange(rew.size)
    for _ in range(1000):
        if not todo.size:
            break
        bad = _ws_conflicts(n, half, src, tgt, todo, rewired)
        todo = todo[bad]
        tgt[todo] = rng.integers(0, n, todo.size)
    else:  # pragma: no cover - only for absurd densities
        raise RuntimeError("watts_strogatz: could not place rewired ties")
    keep = ~rewired
    us = np.concatenate([u[keep], src]).astype(np.int32)
    vs = np.concatenate([v[keep], tgt]).astype(np.int32)
    del u, v, j, keep
    if n <= NUMPY_ASSEMBLY_MAX_NODES:
        csr = csr_from_edges(n, us, vs)
        return csr.indptr, csr.indices
    return _kernels()["assemble"](n, us, vs)


def _ws_conflicts(n, half, src, tgt, todo, rewired) -> np.ndarray:
    """Mask over ``todo``: rewired ties (src, tgt) that are self-loops or duplicate another tie."""
    s, t = src[todo], tgt[todo]
    bad = s == t
    # Against surviving lattice ties: (s, s + d) or (t, t + d) with 1 <= d <= half.
    d = (t - s) % n
    fwd = (d >= 1) & (d <= half)
    bad[fwd] |= ~rewired[s[fwd] * half + d[fwd] - 1]
    back = (n - d >= 1) & (n - d <= half) & (d > 0)
    db = n - d[back]
    bad[back] |= ~rewired[t[back] * half + db - 1]
    # Against the other rewired ties: settled ones first, then earlier ones among those redrawn.
    key = np.minimum(src, tgt) * n + np.maximum(src, tgt)
    settled = np.ones(src.size, bool)
    settled[todo] = False
    others = np.sort(key[settled])
    k = key[todo]
    pos = np.searchsorted(others, k)
    if others.size:
        bad |= (pos < others.size) & (others[np.minimum(pos, others.size - 1)] == k)
    order = np.argsort(k, kind="stable")
    ks = k[order]
    dup = np.zeros(ks.size, bool)
    dup[1:] = ks[1:] == ks[:-1]
    bad[order[dup]] = True
    return bad


def _barabasi_albert(n: int, m: int, rng: np.random.Generator):
    """Preferential attachment with ``m`` ties per new node (networkx's algorithm)."""
    kern = _kernels()
    us, vs = kern["barabasi_albert"](n, m, _kernel_seed(rng))
    return kern["assemble"](n, us, vs)


def _blocks(starts: np.ndarray, probs: np.ndarray, rng: np.random.Generator):
    """Independent ties with probability ``probs[a, b]`` between blocks ``a`` and ``b``."""
    kern = _kernels()
    us, vs = kern["upper_blocks"](starts.astype(np.int64), np.asarray(probs, np.float64),
                                  _kernel_seed(rng))
    return kern["assemble"](int(starts[-1]), us, vs)


def _sbm_blocks(p: NetworkParams, n: int, segment: np.ndarray):
    """Block boundaries and the symmetric probability matrix networkx is given in graphs.py."""
    counts = np.bincount(segment, minlength=int(segment.max()) + 1 if segment.size else 1)
    sizes = [int(s) for s in counts if s > 0]
    m = len(sizes)
    probs = np.zeros((m, m))
    for a in range(m):
        for b in range(m):
            if a == b:
                probs[a, b] = min(1.0, p.homophily * p.mean_degree / max(sizes[a] - 1, 1))
            else:
                probs[a, b] = min(1.0, (1 - p.homophily) * p.mean_degree / max(n - sizes[a], 1))
    for a in range(m):
        for b in range(m):
            if a != b:
                probs[a, b] = min(probs[a, b], probs[b, a])
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return starts, probs
