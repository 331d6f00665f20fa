"""Word-of-mouth: who talks today, and what a peer's message does to the one who hears it.

Talk is U-shaped in satisfaction [1], more frequent when dissatisfied [2] (an
assumption from the literature: ``wom.negative_multiplier``), rises with the
desire for recognition [3] and with help recently received (reciprocity [4]).
A message about one's own firm is evidence about it; any peer's report pulls
the hearer's expectations toward the quality the peer reports (seed 003).

References:
    [1] Anderson, E. W. (1998). Customer satisfaction and word of mouth.
        Journal of Service Research 1(1), 5-17.
    [2] Goldenberg, J., Libai, B., Moldovan, S., & Muller, E. (2007). The NPV
        of bad news. IJRM 24(3), 186-200.
    [3] Toubia, O., & Stephen, A. T. (2013). Intrinsic vs. image-related
        utility in social media. Marketing Science 32(3), 368-392.
    [4] Gouldner, A. W. (1960). The norm of reciprocity. ASR 25(2), 161-178.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from sim.rules import daybook as B
from sim.rules import trust as tr
from sim.rules.jit import CHUNK, kernel, parallel_kernel, rule, u01

__all__ = ["deliver", "talk", "talk_probability"]


@rule
def talk_probability(satisfaction, seeking, help_received, share, wom):
    """Daily probability that a consumer talks about its firm, on [0, 1].

    ``p = min(b (1 + e 4 (S - 0.5)^2) m^[S < 0.5] (1 + k_R seeking) (1 + k_H help) 2 share, 1)``
    with b = ``wom.base_rate`` (1/day), e = ``extremity_boost`` (the factor 4
    makes the boost e at S = 0 or 1: structural), m = ``negative_multiplier``,
    k_R = ``recognition_boost``, k_H = ``reciprocity_boost``; the factor 2
    makes a propensity of 0.5 neutral (structural).
    """
    dev = satisfaction - 0.5
    p = (wom.base_rate * (1.0 + wom.extremity_boost * 4.0 * dev * dev) * (wom.negative_multiplier if dev < 0 else 1.0)
         * (1.0 + wom.recognition_boost * seeking) * (1.0 + wom.reciprocity_boost * help_received)
         * 2.0 * share)
    return min(p, 1.0)


@kernel
def talk(key, S, wom, out):
    """Active consumers who talk today, in index order, into ``out``; returns their number.

    Consumer i talks when ``u01(key, i) < talk_probability(...)``: one
    counter-based draw per consumer, keyed by the day's key and the index.
    Fixed chunks of consumers (:data:`sim.rules.jit.CHUNK`) are drawn on as
    many threads as allowed, each into its own stretch of ``out``, then
    packed in chunk order: the same talkers for any number of threads.
    """
    n = S.firm.shape[0]
    counts = np.zeros((n + CHUNK - 1) // CHUNK, np.int64)
    _talk_chunks(key, S.firm, S.satisfaction, S.recognition_seeking, S.help_received, S.share_propensity, wom, out,
                 counts)
    k = 0
    for c in range(counts.shape[0]):
        start = c * CHUNK
        for t in range(counts[c]):
            out[k] = out[start + t]
            k += 1
    return k


@parallel_kernel
def _talk_chunks(key, firm, satisfaction, seeking, help_received, share, wom, out, counts):
    """:func:`talk` on chunk after chunk: chunk c writes its talkers from ``out[c * CHUNK]`` on."""
    n = firm.shape[0]
    for c in prange(counts.shape[0]):
        k = c * CHUNK
        for i in range(c * CHUNK, min((c + 1) * CHUNK, n)):
            if firm[i] < 0:
                continue
            u = u01(key, i)
            if u < talk_probability(np.float64(satisfaction[i]), np.float64(seeking[i]),
                                    np.float64(help_received[i]), np.float64(share[i]), wom):
                out[k] = i
                k += 1
        counts[c] = k - c * CHUNK


@kernel
def deliver(src, dst, val, public, S, book, touched, hits, trp, wom, peer_rate, desired_share, d_trust, same):
    """Deliver peer messages src -> dst of valence ``val`` (+1 / -1); returns how many hearers were warned.

    Effects are computed from the state before today's talk, then applied
    once per hearer:
    - a message about the hearer's own firm adds evidence of weight
      ``trust.public_weight`` (public) or ``trust.wom_weight`` (private);
    - ``d_trust[m]`` is the trust change it causes
      (:func:`sim.rules.trust.message_trust_change`), ``same[m]`` whether
      sender and hearer share a firm;
    - with ``peer_rate`` > 0 the hearer's predicted level moves by
      ``peer_rate x mean(reported - E)`` and its dreamed level by
      ``desired_share x peer_rate x mean(max(reported - D, 0))``, clipped to [0, 1];
    - help felt rises by ``min(wom.help_per_peer_message x messages, 1)``, capped at 1.
    The peer columns of the book are written and cleared here.
    """
    nh = 0
    for m in range(src.shape[0]):
        i = dst[m]
        j = src[m]
        fi = S.firm[i]
        sm = fi >= 0 and fi == S.firm[j]
        w = trp.public_weight if public[m] else trp.wom_weight
        r = np.float64(S.evidence_pos[i])
        s = np.float64(S.evidence_neg[i])
        if val[m] > 0:
            d_trust[m] = tr.message_trust_change(r, s, True, w)
            book[i, B.PEER_POSITIVE] += np.float32(w if sm else 0.0)
            book[i, B.PEER_NEGATIVE] += np.float32(0.0)
        else:
            d_trust[m] = tr.message_trust_change(r, s, False, w)
            book[i, B.PEER_POSITIVE] += np.float32(0.0)
            book[i, B.PEER_NEGATIVE] += np.float32(w if sm else 0.0)
            book[i, B.PEER_WARNINGS] += np.float32(1.0)
        same[m] = sm
        book[i, B.PEER_COUNT] += np.float32(1.0)
        if peer_rate > 0:
            content = np.float64(S.last_quality[j])
            book[i, B.PEER_PREDICTED_GAP] += np.float32(content - np.float64(S.predicted_quality[i]))
            book[i, B.PEER_DESIRED_GAP] += np.float32(max(content - np.float64(S.desired_quality[i]), 0.0))
        if touched[i] == 0:
            touched[i] = 1
            hits[nh] = i
            nh += 1
    warned = 0
    for k in range(nh):
        i = hits[k]
        S.evidence_pos[i] = S.evidence_pos[i] + np.float32(book[i, B.PEER_POSITIVE])
        S.evidence_neg[i] = S.evidence_neg[i] + np.float32(book[i, B.PEER_NEGATIVE])
        cnt = np.float64(book[i, B.PEER_COUNT])
        if peer_rate > 0:
            pq = np.float64(S.predicted_quality[i]) + peer_rate * np.float64(book[i, B.PEER_PREDICTED_GAP]) / cnt
            S.predicted_quality[i] = np.float32(min(max(pq, 0.0), 1.0))
            dq = (np.float64(S.desired_quality[i])
                  + peer_rate * desired_share * np.float64(book[i, B.PEER_DESIRED_GAP]) / cnt)
            S.desired_quality[i] = np.float32(min(max(dq, 0.0), 1.0))
        S.from_peers[i] = S.from_peers[i] + np.float32(cnt)
        S.help_received[i] = np.float32(min(np.float64(S.help_received[i]) + min(wom.help_per_peer_message * cnt,
                                                                                     1.0), 1.0))
        if book[i, B.PEER_WARNINGS] > 0:
            warned += 1
        for c in range(B.PEER_COLUMNS):
            book[i, c] = 0.0
        touched[i] = 0
    return warned
