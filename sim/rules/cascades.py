"""Cascades of public posts: a complaint or a recommendation reshared through the social graph.

A public post in complex exchange reaches more than its author's ties when the
ties who see it pass it on. The day's posts spread as independent cascades
[1] over the undirected social graph in CSR form (``indptr`` int64,
``indices`` int32; :mod:`sim.network.csr`).

Semantics (one post)
    - The post starts at its author, the *origin*, who shares it (generation 0).
    - When a consumer *shares* the post (the origin, or a resharer), each of
      its ties is exposed once: one *exposure* per tie, in CSR order. The
      origin is never exposed to its own post (no trial, no work), nor is a
      sharer exposed to itself (a self-loop; :func:`sim.network.csr.csr_from_edges`
      leaves none).
    - Each exposure is an independent trial. The tie *sees* the post with
      probability ``reach`` (the share of ties that see a public post). A tie
      that sees it and has not reshared it yet *reshares* with probability
      :func:`reshare_probability` ``= clip(p_reshare[viewer] x damping[post], 0, 1)``
      (the caller's per-consumer propensity, times a per-post factor, e.g. < 1
      when the firm answered the post in public). A tie that has already
      reshared the post still sees it (the exposure is reported) but draws no
      reshare trial: a consumer reshares a given post at most once.
    - A consumer who saw the post and did not reshare it may be exposed again
      by another sharer: that later exposure is a new independent trial (see
      and reshare draws of its own).
    - Every seen exposure is reported (sharer, viewer, post), so a viewer can
      appear several times for one post, once per sharing tie who showed it;
      it is counted once in the post's reach.
    - Sharers are processed breadth first: every exposure made by generation g
      comes before any made by generation g + 1. A resharer's generation is one
      more than that of the sharer whose exposure made it reshare, which is its
      distance from the origin along exposures that were seen and reshared
      (open exposures).

    Per post: ``size`` = number of sharers, origin included (>= 1);
    ``reach`` = number of distinct consumers who saw it, origin excluded
    (>= size - 1, since a resharer saw it); ``depth`` = the largest generation,
    the longest chain of reshares from the origin (0: nobody reshared).

Percolation
    With ``reach = 1`` and a reshare probability T for everyone, each tie of a
    sharer is open with probability T independently, and the sharers of one
    post are distributed as the bond-percolation cluster of the origin [2]
    (a tie is tried from the first of its two ends to share; whether the other
    direction is open no longer matters). :mod:`sim.validation.percolation`
    holds the matching formulas; ``tests/test_cascades.py`` compares them.

Draws (counter-based, order-free)
    :func:`post_key` mixes the daily ``key`` with the post's id (``post_id``,
    chosen by the caller, e.g. its index in the day's list) into a 64-bit key
    k_p. The exposure of tie slot e (the CSR position ``indptr[sharer] + j``
    of the j-th tie of the sharer) draws ``u01(k_p, 2 e)`` for seeing and
    ``u01(k_p, 2 e + 1)`` for resharing (:func:`sim.rules.jit.u01`). A sharer
    shares a post once, so each slot is exposed at most once per post and each
    draw is used at most once. Every draw is a function of (key, post id, CSR
    slot) alone, so:

    - the sharers, viewers, generations and seen exposures of a post do not
      depend on the other posts, on the order posts are given in, or on how the
      day's posts are split across calls (same key, same post ids), nor would
      they on a thread count, as long as the work bound cuts nothing;
    - which trials are made does depend on the breadth-first order within the
      post (an exposure to a consumer who has already reshared draws no
      reshare trial), but not the outcome: a consumer reshares if and only if
      a path of open exposures joins it to the origin (live edges [3]), and its
      generation is the length of the shortest such path;
    - the draws do depend on the CSR layout: the same graph with its ties
      listed in another order gives other (equally distributed) cascades.

Work bound
    At millions of consumers a viral post could reach millions. ``spread``
    processes at most ``max_exposures`` exposures per call, counted over all
    its posts (an exposure is counted whether or not it is seen; the skipped
    exposures of the origin are not counted). When the bound is reached the
    post under way stops where it is and every later post of the call stops
    at its origin; each post that had an exposure left to make is flagged
    ``truncated``, and its size, reach and depth count only what was
    processed (lower bounds). Posts are served in the order given, so which
    posts are cut depends on that order: give them in a fixed order (e.g. by
    post id). The buffers of seen exposures need ``max_exposures`` rows (each
    processed exposure is seen at most once), so no buffer ever grows.

Marks without O(N) per post
    ``stamp`` (int64 per consumer, allocated once by the caller, -1 at first)
    marks the last post that touched the consumer: post j of a call has stamp
    t = ``stamp0 + j``, and a consumer holds ``2 t`` once it has seen the post
    and ``2 t + 1`` once it has shared it (origin included); any smaller value
    means untouched by this post. Stamps must therefore rise from call to call
    (:class:`CascadeWork` keeps the count). Generations travel with the
    breadth-first queue (``queue_gen``), not per consumer. A post costs
    O(its exposures), never O(N), and an exposure reads one per-consumer mark
    (plus the viewer's propensity when it draws a reshare trial).

References:
    [1] Goldenberg, J., Libai, B., & Muller, E. (2001). Talk of the network:
        A complex systems look at the underlying process of word-of-mouth.
        Marketing Letters 12(3), 211-223. (Independent cascade model.)
    [2] Newman, M. E. J. (2002). Spread of epidemic disease on networks.
        Physical Review E 66, 016128.
    [3] Kempe, D., Kleinberg, J., & Tardos, E. (2003). Maximizing the spread
        of influence through a social network. KDD '03, 137-146. (The
        independent cascade as live-edge reachability.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.rules.jit import kernel, rule, u01

__all__ = ["CascadeDay", "CascadeWork", "Cascades", "post_key", "reshare_probability", "reshares", "sees",
           "spread", "spread_posts", "summarise"]


@rule
def post_key(key, post):
    """64-bit key of one post: splitmix64 of the daily key and the post id.

    ``z = key + (post + 1) * 0xD1B54A32D192ED69`` (an odd constant other than
    the one of :func:`sim.rules.jit.u01`), then splitmix64's finaliser (Steele,
    Lea & Flood 2014). Different posts get unrelated streams of draws.
    """
    z = np.uint64(key) + np.uint64(post + 1) * np.uint64(0xD1B54A32D192ED69)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@rule
def reshare_probability(p_reshare, damping):
    """Probability that a viewer reshares a post: ``clip(p x d, 0, 1)``.

    p = the viewer's reshare propensity (probability per seen post), d = the
    post's damping factor (1: none; 0: nobody reshares). Dimensionless.
    """
    return min(max(p_reshare * damping, 0.0), 1.0)


@rule
def sees(kp, slot, reach):
    """Whether the exposure of CSR tie slot ``slot`` is seen: ``u01(k_p, 2 slot) < reach``.

    reach = share of ties who see a public post, on [0, 1] (1: always; 0: never).
    """
    return u01(kp, 2 * slot) < reach


@rule
def reshares(kp, slot, probability):
    """Whether a seen exposure of CSR tie slot ``slot`` is reshared: ``u01(k_p, 2 slot + 1) < probability``."""
    return u01(kp, 2 * slot + 1) < probability


@kernel
def spread(key, indptr, indices, origin, post_id, reach, p_reshare, damping, max_exposures, record,
           stamp, stamp0, queue, queue_gen, size, reached, depth, truncated, ex_sharer, ex_viewer, ex_post):
    """Spread the posts of ``origin`` as independent cascades; returns (exposures seen, exposures processed).

    Args:
        key: daily key (uint64).
        indptr: CSR row pointers of the social graph (int64, length N + 1).
        indices: CSR ties (int32).
        origin: author of each post (int, length P).
        post_id: id of each post for the draws (int64, length P).
        reach: share of ties who see a public post, on [0, 1].
        p_reshare: reshare propensity of every consumer (float, length N).
        damping: damping factor of each post (float, length P).
        max_exposures: most exposures processed by this call (>= 0).
        record: write the seen exposures to ``ex_*`` (else they may be empty).
        stamp: int64 per consumer, mark of the last post that touched it
            (``2 t`` seen, ``2 t + 1`` shared; updated).
        stamp0: stamp t of post 0; 2 stamp0 must exceed every value in ``stamp``.
        queue: int32 scratch (the sharers of the post under way), length
            >= min(N, max_exposures + 1).
        queue_gen: int32 scratch, the generation of each queued sharer (same length).
        size: out, sharers of each post, origin included (length P).
        reached: out, distinct viewers of each post, origin excluded.
        depth: out, longest reshare chain of each post.
        truncated: out, whether the work bound cut the post.
        ex_sharer: out, sharer of each seen exposure (rows 0 .. seen - 1;
            length >= max_exposures when ``record``).
        ex_viewer: out, viewer of each seen exposure.
        ex_post: out, position in this call of the post of each seen exposure.

    See the module docstring for the semantics, the keying and the bound.
    """
    used = 0
    seen = 0
    for j in range(origin.shape[0]):
        o = origin[j]
        saw = 2 * (stamp0 + j)
        shared = saw + 1
        kp = post_key(key, post_id[j])
        damp = np.float64(damping[j])
        stamp[o] = shared
        queue[0] = o
        queue_gen[0] = 0
        head = 0
        tail = 1
        n_reach = 0
        d = 0
        cut = False
        while head < tail and not cut:
            a = queue[head]
            ga = queue_gen[head]
            head += 1
            for e in range(indptr[a], indptr[a + 1]):
                v = indices[e]
                if v == o or v == a:
                    continue
                if used >= max_exposures:
                    cut = True
                    break
                used += 1
                if not sees(kp, e, reach):
                    continue
                if record:
                    ex_sharer[seen] = a
                    ex_viewer[seen] = v
                    ex_post[seen] = j
                seen += 1
                mark = stamp[v]
                if mark == shared:
                    continue
                if mark != saw:
                    n_reach += 1
                if reshares(kp, e, reshare_probability(np.float64(p_reshare[v]), damp)):
                    stamp[v] = shared
                    queue[tail] = v
                    queue_gen[tail] = ga + 1
                    tail += 1
                    if ga + 1 > d:
                        d = ga + 1
                elif mark != saw:
                    stamp[v] = saw
        size[j] = tail
        reached[j] = n_reach
        depth[j] = d
        truncated[j] = cut
    return seen, used


@dataclass
class CascadeWork:
    """Work arrays of :func:`spread`, allocated once and reused day after day.

    ``stamp`` holds the per-consumer marks, ``queue``/``queue_gen`` the
    breadth-first queue and its generations; ``sharer``/``viewer``/``post`` the buffers of seen
    exposures (``max_exposures`` rows, empty when not recording);
    ``next_stamp`` the stamp the next call starts from.
    """

    stamp: np.ndarray
    queue: np.ndarray
    queue_gen: np.ndarray
    sharer: np.ndarray
    viewer: np.ndarray
    post: np.ndarray
    max_exposures: int
    record: bool
    next_stamp: int = 0

    @classmethod
    def allocate(cls, n_consumers: int, max_exposures: int, record: bool = True) -> CascadeWork:
        """Arrays for a graph of ``n_consumers`` and a bound of ``max_exposures`` exposures per call.

        Memory: 8 bytes per consumer, 8 per queue slot (min(N, bound + 1)) and,
        when recording, 12 per exposure of the bound.
        """
        if n_consumers < 1 or max_exposures < 0:
            raise ValueError("need n_consumers >= 1 and max_exposures >= 0")
        rows = max_exposures if record else 0
        slots = min(n_consumers, max_exposures + 1)
        return cls(stamp=np.full(n_consumers, -1, dtype=np.int64), queue=np.zeros(slots, dtype=np.int32),
                   queue_gen=np.zeros(slots, dtype=np.int32),
                   sharer=np.zeros(rows, dtype=np.int32), viewer=np.zeros(rows, dtype=np.int32),
                   post=np.zeros(rows, dtype=np.int32), max_exposures=int(max_exposures), record=bool(record))


@dataclass(frozen=True)
class Cascades:
    """Result of one :func:`spread_posts` call.

    Per post (length P): ``size`` (sharers, origin included), ``reach``
    (distinct viewers, origin excluded), ``depth`` (longest reshare chain),
    ``truncated`` (cut by the work bound). Seen exposures (length
    ``seen``, empty when not recording): ``sharer``, ``viewer`` and ``post``
    (the post's position in the call), in breadth-first order post after post;
    copies, not views of the work buffers. ``exposures``: exposures processed
    (seen or not).
    """

    size: np.ndarray
    reach: np.ndarray
    depth: np.ndarray
    truncated: np.ndarray
    sharer: np.ndarray
    viewer: np.ndarray
    post: np.ndarray
    seen: int
    exposures: int


def spread_posts(work: CascadeWork, indptr: np.ndarray, indices: np.ndarray, key, origin, post_id, reach: float,
                 p_reshare: np.ndarray, damping) -> Cascades:
    """Spread one batch of posts with :func:`spread`, using and updating ``work``.

    Args:
        work: arrays from :meth:`CascadeWork.allocate` for this graph.
        indptr: CSR row pointers of the social graph (int64).
        indices: CSR ties (int32).
        key: daily key (converted to uint64).
        origin: author of each post.
        post_id: id of each post for the draws (the same post must keep its id
            for its draws to be reproduced).
        reach: share of ties who see a public post, on [0, 1].
        p_reshare: reshare propensity of every consumer.
        damping: damping factor of each post (a scalar applies to all).

    Returns:
        The per-post results and the seen exposures (:class:`Cascades`).
    """
    origin = np.ascontiguousarray(origin, dtype=np.int64)
    post_id = np.ascontiguousarray(post_id, dtype=np.int64)
    n_posts = origin.shape[0]
    n = work.stamp.shape[0]
    if post_id.shape != origin.shape:
        raise ValueError("origin and post_id must have the same length")
    if indptr.shape[0] != n + 1 or p_reshare.shape[0] != n:
        raise ValueError("indptr, p_reshare and the work arrays must describe the same consumers")
    if n_posts and (origin.min() < 0 or origin.max() >= n):
        raise ValueError("origin out of range")
    if not 0.0 <= reach <= 1.0:
        raise ValueError("reach must lie on [0, 1]")
    damp = np.empty(n_posts, dtype=np.float64)  # writable, so one compiled signature serves every call
    damp[:] = damping
    size = np.zeros(n_posts, dtype=np.int64)
    reached = np.zeros(n_posts, dtype=np.int64)
    depth = np.zeros(n_posts, dtype=np.int32)
    truncated = np.zeros(n_posts, dtype=np.bool_)
    seen, used = spread(np.uint64(key), indptr, indices, origin, post_id, float(reach), p_reshare,
                        damp, np.int64(work.max_exposures), work.record, work.stamp,
                        np.int64(work.next_stamp), work.queue, work.queue_gen, size, reached, depth, truncated,
                        work.sharer, work.viewer, work.post)
    work.next_stamp += n_posts
    rows = seen if work.record else 0
    return Cascades(size=size, reach=reached, depth=depth, truncated=truncated, sharer=work.sharer[:rows].copy(),
                    viewer=work.viewer[:rows].copy(), post=work.post[:rows].copy(), seen=int(seen),
                    exposures=int(used))


@dataclass(frozen=True)
class CascadeDay:
    """Summary of a day's cascades.

    ``posts``: number of posts; ``largest``: the largest cascade size (0 with
    no post); ``spread_share``: share of posts with depth >= 1, i.e. reshared
    at least once (0.0 with no post); ``truncated``: posts cut by the work bound.
    """

    posts: int
    largest: int
    spread_share: float
    truncated: int


def summarise(size: np.ndarray, depth: np.ndarray, truncated: np.ndarray | None = None) -> CascadeDay:
    """Summary of a day's per-post sizes and depths (concatenate the day's calls first).

    ``largest = max(size)``; ``spread_share = #(depth >= 1) / posts``; both
    0 on a day without posts.
    """
    n = int(size.shape[0])
    if n == 0:
        return CascadeDay(posts=0, largest=0, spread_share=0.0, truncated=0)
    cut = 0 if truncated is None else int(np.count_nonzero(truncated))
    return CascadeDay(posts=n, largest=int(size.max()), spread_share=float(np.count_nonzero(depth >= 1)) / n,
                      truncated=cut)
