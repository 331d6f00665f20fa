"""The per-consumer passes of a day, each written twice: vectorized numpy and a compiled loop.

Large populations spend most of a day in a few passes over the consumers: scoring
the day's contacts, closing the day's experience, updating relationships and
anchoring expectations. numpy performs each of these as a chain of whole-array
operations (one temporary and one trip through memory per operation, scattered
reads and writes per event); the loops below do one trip per pass. They are
compiled with numba, on first use only (cached on disk afterwards), and only for
runs large enough to need them (:func:`use_compiled`): a small run never imports
numba.

Both versions compute the same thing with the same floating-point operations in
the same order: state is read as float32, widened to float64, combined, and
rounded once to float32 when stored; sums over events are accumulated event by
event in float32 (``np.add.at``, or the loop), each value rounded to float32
first; sums over consumers are formed sequentially in float64
(``np.cumsum``), so the numpy and compiled paths give bit-identical results on
the same seed (tests/test_kernels.py). float32 sums of a consumer's few events
of a day keep 7 significant digits.

A draw for every consumer
    Whether each consumer talks today needs one uniform draw per consumer. It
    comes from a counter-based generator (splitmix64 of a daily key from the
    ``wom`` stream and the consumer's index, Steele et al. 2014), computed where
    it is used, so no array of N draws is written and read back.

Sums over consumers
    The relationships pass also sums, over active consumers, what the day's
    outcome row reports as means (:data:`SUMMED`), so recording reads no
    consumer array again.

The day book
    Contacts of the day are scored as they happen and summed per consumer in a
    ``(N, 8)`` float32 array, two consumers per cache line: total weight,
    weighted perceived quality, weighted satisfaction, positive and negative
    evidence, recognition gained, number of events (column 7 is padding). A
    one-byte flag per consumer marks the rows written today, so closing the day
    reads those rows alone.
"""

from __future__ import annotations

import os

import numpy as np

from sim.rules import experience as xp

__all__ = ["BOOK_COLUMNS", "COMPILE_FROM", "Kernels", "SUMMED", "sequential_sum", "use_compiled"]

#: Quantities summed over active consumers by the relationships pass, in this order.
SUMMED = ("trust", "trust_sq", "attachment", "recognition", "satisfaction", "predicted_quality",
          "adequate_quality", "desired_quality", "expected_response_h")

#: 2**-53: a 53-bit integer times UNIT is a uniform double on [0, 1).
UNIT = 1.0 / 9007199254740992.0

#: Book columns.
W, WP, WS, POS, NEG, RECOG, COUNT = range(7)
BOOK_COLUMNS = 8

#: Populations from which the compiled loops are used. Measured on a 2-core machine, fresh
#: processes, importing numba and loading the cached kernels included: the default what-if
#: (default_bank, 20k consumers, 365 days) takes 1.7-1.8 s with numpy against 1.3-1.6 s compiled;
#: the bank_5m preset at 50k takes 4.2 s against 1.8 s, at 200k 16.5 s against 6.0 s. Smaller runs
#: (the classroom, tests, sweeps of small populations) stay numpy and never import numba.
#: Compiling every loop the first time costs about 3.5 s, once per installation (numba's cache;
#: ``python -m sim.rules.kernels`` does it ahead, as ``make run`` does).
COMPILE_FROM = 20_000


def use_compiled(n: int, choice: str | None = None) -> bool:
    """Whether a run of ``n`` consumers uses the compiled loops.

    ``choice`` (or the ``EXLAB_KERNELS`` environment variable when None) is
    ``"auto"`` (compiled from :data:`COMPILE_FROM` consumers), ``"numpy"`` or
    ``"compiled"``.
    """
    choice = choice or os.environ.get("EXLAB_KERNELS", "auto")
    if choice not in ("auto", "numpy", "compiled"):
        raise ValueError(f"kernels: expected 'auto', 'numpy' or 'compiled', got {choice!r}")
    if choice == "auto":
        return n >= COMPILE_FROM
    return choice == "compiled"


# ====================================================================== loops (compiled by numba)
# Each loop spells out, per consumer or per event, the equations of sim/rules/experience.py and of
# the model's phases that its numpy twin below computes with those functions.
def _score_loop(book, touched, idx, perceived, weight, penalty, recog, predicted, adequate, firm, segment, promise,
                pw, gw, lw, aw, negw, promw, out):
    npen = penalty.shape[0]
    nrec = recog.shape[0]
    for j in range(idx.shape[0]):
        i = idx[j]
        p = perceived[j]
        touched[i] = 1
        d = p - np.float64(predicted[i])
        s = (0.5 + pw * (p - 0.5) + gw * max(d, 0.0) - lw * max(-d, 0.0)
             - aw * max(np.float64(adequate[i]) - p, 0.0))
        s = min(max(s, 0.0), 1.0) - penalty[j if npen > 1 else 0]
        s = min(max(s, 0.0), 1.0)
        pos = weight * 2.0 * max(s - 0.5, 0.0)
        neg = weight * negw * 2.0 * max(0.5 - s, 0.0)
        pr = promise[firm[i], segment[i]]
        if pr > 0:
            gap = pr - p
            neg = neg + promw * weight * max(gap, 0.0)
            if gap <= 0:
                pos = pos + 0.5 * promw * weight * 0.1
        book[i, 0] += np.float32(weight)
        book[i, 1] += np.float32(p * weight)
        book[i, 2] += np.float32(s * weight)
        book[i, 3] += np.float32(pos)
        book[i, 4] += np.float32(neg)
        book[i, 5] += np.float32(recog[j if nrec > 1 else 0])
        book[i, 6] += np.float32(1.0)
        out[j] = s


def _routine_loop(idx, quality, firm, segment, noise, noise_sd, treated, boost, failed, drop, out):
    for j in range(idx.shape[0]):
        i = idx[j]
        p = quality[firm[i], segment[i]] + noise_sd * np.float64(noise[j])
        if treated[i]:
            p = p + boost
        if failed[i]:
            p = p - drop
        out[j] = min(max(p, 0.0), 1.0)


def _answer_loop(c, human, response_h, distortion, noise, quality, firm, segment, human_need, treated, boost,
                 failed, drop, expected_h, sensitivity, appointments, promised_h, human_q, auto_q, scale_h, relief_w,
                 human_recog, auto_recog, perceived, penalty, recog, late):
    for j in range(c.shape[0]):
        i = c[j]
        f = firm[i]
        h = human[j]
        p = 0.5 * (human_q if h else auto_q) + 0.5 * quality[f, segment[i]] - distortion[j]
        p = p - (0.0 if h else 0.3 * np.float64(human_need[i]))
        p = p + noise[j]
        p = p + ((boost if treated[i] else 0.0) - (drop if failed[i] else 0.0))
        perceived[j] = min(max(p, 0.0), 1.0)
        relief = relief_w if (appointments[f] and h) else 0.0
        lateness = max(response_h[j] - np.float64(expected_h[i]), 0.0) / scale_h
        penalty[j] = np.float64(sensitivity[i]) * min(lateness, 1.0) * (1.0 - relief)
        recog[j] = human_recog if h else auto_recog
        late[j] = promised_h[f] > 0 and response_h[j] > promised_h[f]


def _answered_loop(c, response_h, help_received, from_firm, expected_h, rate):
    j = 0
    k = c.shape[0]
    while j < k:
        i = c[j]
        er = np.float64(expected_h[i])
        d = 0.0
        cnt = 0.0
        while j < k and c[j] == i:
            d += response_h[j] - er
            cnt += 1.0
            j += 1
        help_received[i] = np.float32(min(1.0, np.float64(help_received[i]) + 0.2))
        from_firm[i] = from_firm[i] + np.float32(1.0)
        if rate > 0:
            expected_h[i] = np.float32(max(er + rate * d / cnt, 0.01))


def _add_neg_loop(book, touched, idx, value):
    for j in range(idx.shape[0]):
        i = idx[j]
        touched[i] = 1
        book[i, 4] += np.float32(value)
        book[i, 6] += np.float32(1.0)


def _close_day_loop(book, touched, gain, ev_pos, ev_neg, satisfaction, last_quality, predicted, adequate, desired,
                    memory, adapt, r_pred, r_up, r_down, r_des):
    total = 0.0
    hits = 0
    for i in range(book.shape[0]):
        if touched[i] == 0:
            continue
        touched[i] = 0
        ev_pos[i] = np.float32(np.float64(ev_pos[i]) + np.float64(book[i, 3]))
        ev_neg[i] = np.float32(np.float64(ev_neg[i]) + np.float64(book[i, 4]))
        gain[i] = book[i, 5]
        w = np.float64(book[i, 0])
        if w > 0:
            p = np.float64(book[i, 1]) / w
            s = np.float64(book[i, 2]) / w
            total += p
            hits += 1
            sat = np.float64(satisfaction[i])
            sat = sat + memory * (s - sat)
            satisfaction[i] = np.float32(min(max(sat, 0.0), 1.0))
            lq = np.float64(last_quality[i])
            last_quality[i] = np.float32(lq + 0.3 * (p - lq))
            if adapt:
                e = np.float64(predicted[i])
                a = np.float64(adequate[i])
                dd = np.float64(desired[i])
                e = e + r_pred * (p - e)
                a = a + (r_up if p > a else r_down) * (p - a)
                dd = dd + r_des * max(p - dd, 0.0)
                predicted[i] = np.float32(e)
                adequate[i] = np.float32(min(a, dd))
                desired[i] = np.float32(dd)
        for c in range(7):
            book[i, c] = 0.0
    return total, hits


def _relationships_loop(gain, recognition, ev_pos, ev_neg, trust, attachment, help_received, firm, seeking,
                        privacy_sens, privacy_k, decay, recog_w, forgetting, attach_rate, help_decay,
                        satisfaction, predicted, adequate, desired, expected_h, sums):
    for c in range(sums.shape[0]):
        sums[c] = 0.0
    for i in range(gain.shape[0]):
        g = np.float64(np.float32(gain[i]))
        gain[i] = 0.0
        r = np.float64(recognition[i]) * (1.0 - decay) + 0.2 * g
        r32 = np.float32(min(r, 1.0))
        pos = np.float64(ev_pos[i]) + recog_w * g * np.float64(seeking[i])
        neg = np.float64(ev_neg[i])
        f = firm[i]
        if f >= 0:
            neg = neg + privacy_k[f] * np.float64(privacy_sens[i])
        p32 = np.float32(pos * forgetting)
        n32 = np.float32(neg * forgetting)
        t32 = np.float32((np.float64(p32) + 1.0) / (np.float64(p32) + np.float64(n32) + 2.0))
        att = np.float64(attachment[i])
        att = att + attach_rate * (np.float64(t32) * (0.5 + 0.5 * np.float64(r32)) - att)
        recognition[i] = r32
        ev_pos[i] = p32
        ev_neg[i] = n32
        trust[i] = t32
        attachment[i] = np.float32(att)
        help_received[i] = np.float32(np.float64(help_received[i]) * help_decay)
        if f >= 0:
            t = np.float64(t32)
            sums[0] += t
            sums[1] += t * t
            sums[2] += np.float64(attachment[i])
            sums[3] += np.float64(r32)
            sums[4] += np.float64(satisfaction[i])
            sums[5] += np.float64(predicted[i])
            sums[6] += np.float64(adequate[i])
            sums[7] += np.float64(desired[i])
            sums[8] += np.float64(expected_h[i])


def _anchor_loop(firm, segment, expected_h, predicted, announced, promise, promise_h, w_announce, w_promise):
    for i in range(firm.shape[0]):
        f = firm[i]
        if f < 0:
            continue
        er = np.float64(expected_h[i])
        a = announced[f]
        if a > 0:
            er = er + w_announce * (a - er)
        pr = promise[f, segment[i]]
        if pr > 0:
            pq = np.float64(predicted[i])
            predicted[i] = np.float32(pq + w_promise * (pr - pq))
        r = promise_h[f]
        if r > 0:
            er = er + 0.5 * w_announce * (r - er)
        expected_h[i] = np.float32(er)


def _u01(key, i):
    z = key + np.uint64(i + 1) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(11)) * UNIT


def _talk_loop(key, satisfaction, seeking, help_received, share, firm, base, extremity, negative, recog_boost,
               recip_boost, out):
    k = 0
    for i in range(firm.shape[0]):
        if firm[i] < 0:
            continue
        u = _u01(key, i)
        dev = np.float64(satisfaction[i]) - 0.5
        p = (base * (1.0 + extremity * 4.0 * dev * dev) * (negative if dev < 0 else 1.0)
             * (1.0 + recog_boost * np.float64(seeking[i])) * (1.0 + recip_boost * np.float64(help_received[i]))
             * 2.0 * np.float64(share[i]))
        if u < min(p, 1.0):
            out[k] = i
            k += 1
    return k


def _broadcast_loop(firm, segment, need, trust, ev_pos, ev_neg, from_firm, f, content, leak_p, keys, w, negw):
    members = 0
    buys = 0
    fit_sum = 0.0
    n_seg = content.shape[0]
    for i in range(firm.shape[0]):
        if firm[i] != f:
            continue
        c = content[segment[i]]
        if leak_p > 0:
            u = _u01(keys[0], i)
            if u < leak_p:
                o = min(np.int64(_u01(keys[1], i) * n_seg), n_seg - 1)
                c = content[o]
        fit = min(max(1.0 - 2.0 * abs(c - np.float64(need[i])), 0.0), 1.0)
        if _u01(keys[2], i) < fit * np.float64(trust[i]) * 0.2:
            buys += 1
        fit_sum += fit
        members += 1
        ev_pos[i] = np.float32(np.float64(ev_pos[i]) + w * 2.0 * max(fit - 0.5, 0.0))
        ev_neg[i] = np.float32(np.float64(ev_neg[i]) + w * negw * 2.0 * max(0.5 - fit, 0.0))
        from_firm[i] = from_firm[i] + np.float32(1.0)
    return members, fit_sum, buys


def _peer_loop(src, dst, val, public, firm, ev_pos, ev_neg, last_quality, predicted, desired, from_peers,
               help_received, book, touched, hits, public_w, wom_w, rate, peer_help, d_trust, same):
    nh = 0
    for m in range(src.shape[0]):
        i = dst[m]
        j = src[m]
        fi = firm[i]
        sm = fi >= 0 and fi == firm[j]
        w = public_w if public[m] else wom_w
        r = np.float64(ev_pos[i])
        s = np.float64(ev_neg[i])
        t = r + s + 2.0
        tot2 = t * t
        if val[m] > 0:
            d_trust[m] = (s + 1.0) / tot2 * w
            book[i, 0] += np.float32(w if sm else 0.0)
            book[i, 1] += np.float32(0.0)
        else:
            d_trust[m] = -(r + 1.0) / tot2 * w
            book[i, 0] += np.float32(0.0)
            book[i, 1] += np.float32(w if sm else 0.0)
            book[i, 5] += np.float32(1.0)
        same[m] = sm
        book[i, 2] += np.float32(1.0)
        if rate > 0:
            content = np.float64(last_quality[j])
            book[i, 3] += np.float32(content - np.float64(predicted[i]))
            book[i, 4] += np.float32(max(content - np.float64(desired[i]), 0.0))
        if touched[i] == 0:
            touched[i] = 1
            hits[nh] = i
            nh += 1
    warned = 0
    for k in range(nh):
        i = hits[k]
        ev_pos[i] = ev_pos[i] + np.float32(book[i, 0])
        ev_neg[i] = ev_neg[i] + np.float32(book[i, 1])
        cnt = np.float64(book[i, 2])
        if rate > 0:
            pq = np.float64(predicted[i]) + rate * np.float64(book[i, 3]) / cnt
            predicted[i] = np.float32(min(max(pq, 0.0), 1.0))
            dq = np.float64(desired[i]) + rate * 0.5 * np.float64(book[i, 4]) / cnt
            desired[i] = np.float32(min(max(dq, 0.0), 1.0))
        from_peers[i] = from_peers[i] + np.float32(cnt)
        help_received[i] = np.float32(min(np.float64(help_received[i]) + min(peer_help * cnt, 1.0), 1.0))
        if book[i, 5] > 0:
            warned += 1
        for c in range(7):
            book[i, c] = 0.0
        touched[i] = 0
    return warned


# ====================================================================== numpy twins
def _f64(a):
    return a.astype(np.float64)


def _add_at(column, idx, values):
    """Event by event in float32, as the loops add (a float32 column and float32 values keep numpy's fast path)."""
    np.add.at(column, idx, np.asarray(values, np.float64).astype(np.float32))


def _score_np(book, touched, idx, perceived, weight, penalty, recog, predicted, adequate, firm, segment, promise,
              pw, gw, lw, aw, negw, promw, out):
    touched[idx] = 1
    p = perceived
    s = xp.contact_satisfaction(p, _f64(predicted[idx]), _f64(adequate[idx]), pw, gw, lw, aw)
    s = s - (penalty if penalty.shape[0] > 1 else penalty[0])
    s = np.minimum(np.maximum(s, 0.0), 1.0)
    pos, neg = xp.evidence_from_satisfaction(s, weight, negw)
    pr = promise[firm[idx], segment[idx]]
    has = pr > 0
    if has.any():
        gap = pr - p
        neg = np.where(has, neg + promw * weight * np.maximum(gap, 0.0), neg)
        pos = np.where(has & (gap <= 0), pos + 0.5 * promw * weight * 0.1, pos)
    for c, v in ((W, weight), (WP, p * weight), (WS, s * weight), (POS, pos), (NEG, neg),
                 (RECOG, recog if recog.shape[0] > 1 else recog[0]), (COUNT, 1.0)):
        _add_at(book[:, c], idx, v)
    out[:] = s


def _routine_np(idx, quality, firm, segment, noise, noise_sd, treated, boost, failed, drop, out):
    p = quality[firm[idx], segment[idx]] + noise_sd * _f64(noise)
    p = np.where(treated[idx], p + boost, p)
    p = np.where(failed[idx], p - drop, p)
    out[:] = np.minimum(np.maximum(p, 0.0), 1.0)


def _answer_np(c, human, response_h, distortion, noise, quality, firm, segment, human_need, treated, boost,
               failed, drop, expected_h, sensitivity, appointments, promised_h, human_q, auto_q, scale_h, relief_w,
               human_recog, auto_recog, perceived, penalty, recog, late):
    f = firm[c]
    p = 0.5 * np.where(human, human_q, auto_q) + 0.5 * quality[f, segment[c]] - distortion
    p = p - np.where(human, 0.0, 0.3 * _f64(human_need[c]))
    p = p + noise
    p = p + (np.where(treated[c], boost, 0.0) - np.where(failed[c], drop, 0.0))
    perceived[:] = np.minimum(np.maximum(p, 0.0), 1.0)
    relief = np.where(appointments[f] & human, relief_w, 0.0)
    penalty[:] = xp.lateness_penalty(response_h, _f64(expected_h[c]), _f64(sensitivity[c]), scale_h, relief)
    recog[:] = np.where(human, human_recog, auto_recog)
    late[:] = (promised_h[f] > 0) & (response_h > promised_h[f])


def _answered_np(c, response_h, help_received, from_firm, expected_h, rate):
    first = np.ones(c.size, bool)
    first[1:] = c[1:] != c[:-1]
    u = c[first]
    starts = np.flatnonzero(first)
    er = _f64(expected_h[u])
    help_received[u] = np.minimum(1.0, _f64(help_received[u]) + 0.2)
    from_firm[u] = from_firm[u] + np.float32(1.0)
    if rate > 0:
        size = np.diff(np.append(starts, c.size))
        d = _group_sums(response_h - np.repeat(er, size), starts)
        cnt = size.astype(np.float64)
        expected_h[u] = np.maximum(er + rate * d / cnt, 0.01)


def _group_sums(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of consecutive groups of ``x`` starting at ``starts``, each added left to right in float64."""
    out = np.zeros(starts.size)
    ends = np.append(starts[1:], x.size)
    size = ends - starts
    for k in range(int(size.max()) if size.size else 0):
        live = size > k
        out[live] += x[starts[live] + k]
    return out


def _add_neg_np(book, touched, idx, value):
    touched[idx] = 1
    _add_at(book[:, NEG], idx, value)
    _add_at(book[:, COUNT], idx, 1.0)


def _close_day_np(book, touched, gain, ev_pos, ev_neg, satisfaction, last_quality, predicted, adequate, desired,
                  memory, adapt, r_pred, r_up, r_down, r_des):
    u = np.flatnonzero(touched)
    touched[u] = 0
    if not u.size:
        return 0.0, 0
    b = _f64(book[u])
    ev_pos[u] = _f64(ev_pos[u]) + b[:, POS]
    ev_neg[u] = _f64(ev_neg[u]) + b[:, NEG]
    gain[u] = book[u, RECOG]
    book[u] = 0.0
    hit = b[:, W] > 0
    h = u[hit]
    if not h.size:
        return 0.0, 0
    w = b[hit, W]
    p = b[hit, WP] / w
    s = b[hit, WS] / w
    sat = _f64(satisfaction[h])
    satisfaction[h] = np.minimum(np.maximum(sat + memory * (s - sat), 0.0), 1.0)
    lq = _f64(last_quality[h])
    last_quality[h] = lq + 0.3 * (p - lq)
    if adapt:
        e, a, dd = xp.adapt_expectations(_f64(predicted[h]), _f64(adequate[h]), _f64(desired[h]), p,
                                         r_pred, r_up, r_down, r_des)
        predicted[h], adequate[h], desired[h] = e, a, dd
    return sequential_sum(p), int(h.size)


def _relationships_np(gain, recognition, ev_pos, ev_neg, trust, attachment, help_received, firm, seeking,
                      privacy_sens, privacy_k, decay, recog_w, forgetting, attach_rate, help_decay,
                      satisfaction, predicted, adequate, desired, expected_h, sums):
    g = _f64(gain.astype(np.float32))
    gain.fill(0.0)
    r = _f64(recognition) * (1.0 - decay) + 0.2 * g
    recognition[:] = np.minimum(r, 1.0)
    pos = _f64(ev_pos) + recog_w * g * _f64(seeking)
    neg = _f64(ev_neg)
    active = firm >= 0
    if active.any():
        neg = np.where(active, neg + privacy_k[np.maximum(firm, 0)] * _f64(privacy_sens), neg)
    ev_pos[:] = pos * forgetting
    ev_neg[:] = neg * forgetting
    p, n = _f64(ev_pos), _f64(ev_neg)
    trust[:] = (p + 1.0) / (p + n + 2.0)
    att = _f64(attachment)
    attachment[:] = att + attach_rate * (_f64(trust) * (0.5 + 0.5 * _f64(recognition)) - att)
    help_received[:] = _f64(help_received) * help_decay
    t = _f64(trust[active])
    for c, x in enumerate((t, t * t, attachment, recognition, satisfaction, predicted, adequate, desired,
                           expected_h)):
        sums[c] = sequential_sum(x if c < 2 else _f64(x[active]))


def sequential_sum(x: np.ndarray) -> float:
    """Sum in float64, element after element (the order a loop adds them in)."""
    return float(np.cumsum(x)[-1]) if x.size else 0.0


def _anchor_np(firm, segment, expected_h, predicted, announced, promise, promise_h, w_announce, w_promise):
    act = firm >= 0
    f = np.maximum(firm, 0)
    er = _f64(expected_h)
    a = announced[f]
    er = np.where(act & (a > 0), er + w_announce * (a - er), er)
    pr = promise[f, segment]
    m = act & (pr > 0)
    if m.any():
        pq = _f64(predicted[m])
        predicted[m] = pq + w_promise * (pr[m] - pq)
    r = promise_h[f]
    er = np.where(act & (r > 0), er + 0.5 * w_announce * (r - er), er)
    expected_h[act] = er[act]


def uniforms(key: np.uint64, n: int) -> np.ndarray:
    """The uniform draws on [0, 1) of consumers 0..n-1 for ``key`` (splitmix64 of the key and the index)."""
    i = np.arange(1, n + 1, dtype=np.uint64)
    z = np.uint64(key) + i * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) * UNIT


def _talk_np(key, satisfaction, seeking, help_received, share, firm, base, extremity, negative, recog_boost,
             recip_boost, out):
    u = uniforms(key, firm.shape[0])
    dev = _f64(satisfaction) - 0.5
    p = (base * (1.0 + extremity * 4.0 * dev * dev) * np.where(dev < 0, negative, 1.0)
         * (1.0 + recog_boost * _f64(seeking)) * (1.0 + recip_boost * _f64(help_received))
         * 2.0 * _f64(share))
    idx = np.flatnonzero((firm >= 0) & (u < np.minimum(p, 1.0)))
    out[:idx.size] = idx
    return idx.size


def _broadcast_np(firm, segment, need, trust, ev_pos, ev_neg, from_firm, f, content, leak_p, keys, w, negw):
    m = np.flatnonzero(firm == f)
    if not m.size:
        return 0, 0.0, 0
    n, n_seg = firm.shape[0], content.shape[0]
    c = content[segment[m]]
    if leak_p > 0:
        leak = uniforms(keys[0], n)[m] < leak_p
        other = np.minimum((uniforms(keys[1], n)[m] * n_seg).astype(np.int64), n_seg - 1)
        c = np.where(leak, content[other], c)
    fit = np.minimum(np.maximum(1.0 - 2.0 * np.abs(c - _f64(need[m])), 0.0), 1.0)
    buys = int(np.count_nonzero(uniforms(keys[2], n)[m] < fit * _f64(trust[m]) * 0.2))
    ev_pos[m] = _f64(ev_pos[m]) + w * 2.0 * np.maximum(fit - 0.5, 0.0)
    ev_neg[m] = _f64(ev_neg[m]) + w * negw * 2.0 * np.maximum(0.5 - fit, 0.0)
    from_firm[m] = from_firm[m] + np.float32(1.0)
    return int(m.size), sequential_sum(fit), buys


def _peer_np(src, dst, val, public, firm, ev_pos, ev_neg, last_quality, predicted, desired, from_peers,
             help_received, book, touched, hits, public_w, wom_w, rate, peer_help, d_trust, same):
    fd = firm[dst]
    same[:] = (fd >= 0) & (fd == firm[src])
    w = np.where(public, public_w, wom_w)
    r, s = _f64(ev_pos[dst]), _f64(ev_neg[dst])
    t = r + s + 2.0
    tot2 = t * t
    pos_msg = val > 0
    d_trust[:] = np.where(pos_msg, (s + 1.0) / tot2 * w, -(r + 1.0) / tot2 * w)
    _add_at(book[:, 0], dst, np.where(pos_msg & same, w, 0.0))
    _add_at(book[:, 1], dst, np.where(~pos_msg & same, w, 0.0))
    _add_at(book[:, 5], dst, np.where(pos_msg, 0.0, 1.0))
    _add_at(book[:, 2], dst, 1.0)
    if rate > 0:
        content = _f64(last_quality[src])
        _add_at(book[:, 3], dst, content - _f64(predicted[dst]))
        _add_at(book[:, 4], dst, np.maximum(content - _f64(desired[dst]), 0.0))
    touched[dst] = 1
    u = np.flatnonzero(touched)
    touched[u] = 0
    b32 = book[u]
    b = _f64(b32)
    book[u] = 0.0
    ev_pos[u] = ev_pos[u] + b32[:, 0]
    ev_neg[u] = ev_neg[u] + b32[:, 1]
    cnt = b[:, 2]
    if rate > 0:
        predicted[u] = np.minimum(np.maximum(_f64(predicted[u]) + rate * b[:, 3] / cnt, 0.0), 1.0)
        desired[u] = np.minimum(np.maximum(_f64(desired[u]) + rate * 0.5 * b[:, 4] / cnt, 0.0), 1.0)
    from_peers[u] = from_peers[u] + cnt.astype(np.float32)
    help_received[u] = np.minimum(_f64(help_received[u]) + np.minimum(peer_help * cnt, 1.0), 1.0)
    return int(np.count_nonzero(b[:, 5] > 0))


# ====================================================================== dispatch
_LOOPS = ("score", "routine", "answer", "answered", "add_neg", "close_day", "relationships", "anchor", "talk",
          "peer", "broadcast")
_COMPILED: dict[str, object] = {}


def _compiled(name: str):
    if name not in _COMPILED:
        import numba

        g = globals()
        if not isinstance(g["_u01"], numba.core.registry.CPUDispatcher):
            g["_u01"] = numba.njit(cache=True, inline="always")(g["_u01"])
        _COMPILED[name] = numba.njit(cache=True, nogil=True)(g[f"_{name}_loop"])
    return _COMPILED[name]


class Kernels:
    """The day's per-consumer passes, compiled or numpy, with the same signatures and results."""

    def __init__(self, compiled: bool):
        self.compiled = bool(compiled)
        for name in _LOOPS:
            setattr(self, name, _compiled(name) if self.compiled else globals()[f"_{name}_np"])



def warm() -> float:
    """Compile (or load from numba's cache) every loop now, by running a small bank for a month.

    Returns the seconds it took.
    """
    import time

    from sim.model import ExchangeModel
    from sim.scenario.loader import load_scenario
    from sim.scenario.presets import resolve

    t = time.perf_counter()
    model = ExchangeModel(load_scenario(resolve("bank_5m")), kernels="compiled",
                          population__consumers=2000, run__ticks=31)
    while model.running:
        model.step()
    return time.perf_counter() - t


if __name__ == "__main__":
    print(f"ExchangeLab compiled kernels ready ({warm():.1f} s)")
