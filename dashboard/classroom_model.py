"""Pure helpers for the Classroom page: small scenarios per exchange age, a seeded layout,
and the last tick's messages as line segments to draw.

The layout is computed once per graph with its own seed (never the model's
random generator), so stepping the model never moves a node.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from sim import ExchangeModel, Scenario, load_scenario
from sim.messages import BROADCAST, MessageBatch
from sim.scenario import with_overrides

__all__ = [
    "AGES",
    "CLASSROOM_DYNAMICS",
    "AgeLesson",
    "build_model",
    "classroom_scenario",
    "message_segments",
    "narrate",
    "node_frame",
    "seeded_layout",
    "tie_frame",
]


@dataclass(frozen=True)
class AgeLesson:
    """One exchange age as taught: the preset it comes from and what to notice."""

    age: str
    title: str
    preset: str
    means: str
    watch: str


AGES: dict[str, AgeLesson] = {
    "restricted": AgeLesson(
        "restricted",
        "Restricted exchange",
        "restricted_mutual_insurer",
        "Two parties deal directly: each consumer talks to the firm, and the firm sends one offer "
        "to its whole public (Bagozzi 1975). The firm is the only voice about itself.",
        "Watch the firm's offer reach every customer at once (every 30 days), requests going "
        "straight to the firm and answers coming straight back. Peer talk exists, but it stays "
        "private, between friends.",
    ),
    "generalized": AgeLesson(
        "generalized",
        "Generalized exchange",
        "bank_call_platform",
        "Exchange runs in a chain: consumer -> call platform -> firm -> consumer. Nobody gives "
        "back to the one who gave to them directly (Bagozzi 1975).",
        "Watch requests go to the call platform first, wait, and arrive at the firm hours later; "
        "some are lost on the way. Trust drifts down when answers come late.",
    ),
    "complex": AgeLesson(
        "complex",
        "Complex exchange",
        "complex_age",
        "Many-to-many and public: consumers post where their friends see it, a blogger "
        "relays complaints to an audience, the firm can answer in public (Bagozzi 1975).",
        "Watch public posts fan out to friends and, when a post is a complaint, the blogger "
        "relay it to a whole audience. Count how many messages now come from peers rather than "
        "from the firm.",
    ),
}

#: The same small-world friendship network under every age, so a switch changes only the exchange.
CLASSROOM_NETWORK = {
    "network.kind": "watts_strogatz",
    "network.mean_degree": 6.0,
    "network.rewire": 0.1,
}
MAX_CLASSROOM_CONSUMERS = 300

#: Faster trust dynamics, for the classroom only: a lesson lasts weeks, not years. Evidence
#: is forgotten in days (10% a day instead of 1%), customers start with little of it, and an
#: answer, a friend's recommendation or warning and a public post each carry more of it, so
#: a few contacts visibly move a node's colour within a lesson and customers drift apart. A
#: lesson starts from the preset's initial values (no warm-up): the class watches them change.
CLASSROOM_DYNAMICS: dict[str, float] = {
    "run.warmup_days": 0,
    "trust.forgetting": 0.9,
    "trust.initial_positive": 1.0,
    "trust.initial_negative": 0.5,
    "trust.request_weight": 1.5,
    "trust.wom_weight": 0.5,
    "trust.public_weight": 0.3,
}
#: What each age's classroom version changes in its preset: the restricted age is a pure
#: dyad (no call desk drawn), and the complex age's blogger picks up complaints often
#: enough to be seen in the first days rather than after two months.
AGE_OVERRIDES: dict[str, dict] = {
    "restricted": {"intermediaries": []},
    "generalized": {},
    "complex": {"blogger.amplification": 0.6, "blogger.audience_share": 0.3},
}


def classroom_scenario(age: str, consumers: int = 150) -> Scenario:
    """The preset of ``age`` shrunk to a classroom population on the shared network,
    with the classroom's faster dynamics (:data:`CLASSROOM_DYNAMICS`, :data:`AGE_OVERRIDES`)."""
    if not 10 <= consumers <= MAX_CLASSROOM_CONSUMERS:
        raise ValueError(f"classroom populations hold 10 to {MAX_CLASSROOM_CONSUMERS} consumers")
    base = load_scenario(AGES[age].preset)
    extra: dict = {}
    for path, value in AGE_OVERRIDES[age].items():
        if path.startswith("blogger."):
            for i, m in enumerate(base.intermediaries):
                if m.kind == "blogger":
                    extra[f"intermediaries[{i}].{path.split('.', 1)[1]}"] = value
        else:
            extra[path] = value
    return with_overrides(
        base,
        {"population.consumers": int(consumers), **CLASSROOM_NETWORK, **CLASSROOM_DYNAMICS, **extra},
    )


def build_model(age: str, consumers: int, seed: int) -> ExchangeModel:
    """A fresh classroom model that keeps every message of the last tick."""
    return ExchangeModel(classroom_scenario(age, consumers), rng=int(seed), record_messages=True)


def seeded_layout(n: int, src: np.ndarray, dst: np.ndarray, seed: int) -> np.ndarray:
    """Positions (n x 2) of a force-directed layout with a fixed seed, filling [-1, 1]^2."""
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(np.asarray(src).tolist(), np.asarray(dst).tolist(), strict=True))
    pos = nx.spring_layout(g, seed=int(seed), iterations=80)
    xy = np.array([pos[i] for i in range(n)], dtype=float)
    xy -= xy.mean(axis=0)
    scale = np.abs(xy).max(axis=0)
    return xy / np.where(scale > 0, scale, 1.0)


def actor_positions(n_firms: int, n_intermediaries: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed places for firms (top row) and intermediaries (right column)."""
    fx = np.linspace(-0.6, 0.6, n_firms) if n_firms > 1 else np.array([0.0])
    firms = np.column_stack([fx, np.full(n_firms, 1.3)])
    iy = np.linspace(0.6, -0.6, n_intermediaries) if n_intermediaries > 1 else np.array([0.0])
    inter = np.column_stack([np.full(n_intermediaries, 1.3), iy[:n_intermediaries]])
    return firms, inter


def tie_frame(xy: np.ndarray, src: np.ndarray, dst: np.ndarray) -> pd.DataFrame:
    """Social ties as segments (each undirected tie once)."""
    src, dst = np.asarray(src), np.asarray(dst)
    keep = src < dst
    s, d = src[keep], dst[keep]
    return pd.DataFrame({"x": xy[s, 0], "y": xy[s, 1], "x2": xy[d, 0], "y2": xy[d, 1]})


def node_frame(model: ExchangeModel, xy: np.ndarray) -> pd.DataFrame:
    """Consumers (position, trust, segment), firms and intermediaries for drawing."""
    st = model.state
    seg_names = np.array([s.name for s in model.params.segments])
    cons = pd.DataFrame(
        {
            "x": xy[:, 0],
            "y": xy[:, 1],
            "role": "consumer",
            "label": [f"#{i}" for i in range(model.n)],
            "trust": np.asarray(st.trust, dtype=float),
            "segment": seg_names[np.asarray(st.segment)],
        }
    )
    fxy, ixy = actor_positions(len(model.firms), len(model.intermediaries))
    firms = pd.DataFrame(
        {"x": fxy[:, 0], "y": fxy[:, 1], "role": "firm", "label": [f.name for f in model.firms]}
    )
    inter = pd.DataFrame(
        {
            "x": ixy[:, 0],
            "y": ixy[:, 1],
            "role": "intermediary",
            "label": [
                m.name if m.kind.lower() in m.name.lower() else f"{m.name} ({m.kind})"
                for m in model.intermediaries
            ],
        }
    )
    return pd.concat([cons, firms, inter], ignore_index=True)


def _position(model: ExchangeModel, xy: np.ndarray, addr: np.ndarray) -> np.ndarray:
    nf = len(model.firms)
    fxy, ixy = actor_positions(nf, len(model.intermediaries))
    allxy = np.vstack([xy, fxy, ixy])
    return allxy[np.asarray(addr, dtype=np.int64)]


def _broadcast_audience(model: ExchangeModel, sender: int) -> np.ndarray:
    """Who a broadcast from ``sender`` reaches: a firm's customers, a blogger's audience."""
    n, nf = model.n, len(model.firms)
    if n <= sender < n + nf:
        return np.flatnonzero(np.asarray(model.state.firm) == sender - n)
    k = sender - n - nf
    aud = getattr(model, "audience", {}).get(k)
    return np.asarray(aud, dtype=np.int64) if aud is not None else np.arange(n)


def _role(model: ExchangeModel, addr: int) -> str:
    n, nf = model.n, len(model.firms)
    if addr == BROADCAST:
        return "public"
    if addr < n:
        return "consumer"
    return "firm" if addr < n + nf else "intermediary"


def message_segments(
    model: ExchangeModel, xy: np.ndarray, batch: MessageBatch | None = None
) -> pd.DataFrame:
    """Messages (default: the last tick's) as segments (x, y, x2, y2, kind, route, count).

    A broadcast (receiver -1) is drawn to every consumer it reaches. Identical
    segments of the same kind are merged and counted.
    """
    cols = ["x", "y", "x2", "y2", "kind", "route", "count"]
    batch = model.last_messages if batch is None else batch
    if len(batch) == 0:
        return pd.DataFrame(columns=cols)
    df = batch.to_frame()[["sender", "receiver", "kind"]]
    rows = []
    bc = df["receiver"] == BROADCAST
    for (sender, kind), grp in df[bc].groupby(["sender", "kind"]):
        aud = _broadcast_audience(model, int(sender))
        rows.append(pd.DataFrame({"sender": sender, "receiver": aud, "kind": kind, "n": len(grp)}))
    direct = df[~bc].assign(n=1)
    df = pd.concat([direct, *rows], ignore_index=True)
    df = df.groupby(["sender", "receiver", "kind"], as_index=False)["n"].sum()
    a = _position(model, xy, df["sender"].to_numpy())
    b = _position(model, xy, df["receiver"].to_numpy())
    route = [
        f"{_role(model, s)} -> {_role(model, r)}"
        for s, r in zip(df["sender"].tolist(), df["receiver"].tolist(), strict=True)
    ]
    return pd.DataFrame(
        {
            "x": a[:, 0],
            "y": a[:, 1],
            "x2": b[:, 0],
            "y2": b[:, 1],
            "kind": df["kind"].to_numpy(),
            "route": route,
            "count": df["n"].to_numpy(),
        }
    )


def ego_layout(n_nodes: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Stars drawn apart: each sender on a ring, its receivers on a small circle around it.

    Deterministic (no random numbers). A receiver reached by several senders
    sits by the first of them.
    """
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    egos = list(dict.fromkeys(src.tolist()))
    xy = np.zeros((n_nodes, 2))
    placed = np.zeros(n_nodes, bool)
    k = len(egos)
    ring, petal = (0.0, 0.8) if k == 1 else (0.68, min(0.3, 2.4 / k))
    for i, e in enumerate(egos):
        a = 2 * np.pi * i / max(k, 1) + np.pi / 2
        centre = np.array([ring * np.cos(a), ring * np.sin(a)])
        xy[e], placed[e] = centre, True
        leaves = [d for d in dict.fromkeys(dst[src == e].tolist()) if not placed[d]]
        for j, d in enumerate(leaves):
            b = 2 * np.pi * j / max(len(leaves), 1)
            xy[d] = centre + petal * np.array([np.cos(b), np.sin(b)])
            placed[d] = True
    return xy


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def narrate(
    sent: dict[str, int],
    reached: dict[str, int],
    via_platform: int,
    days: int,
    trust_before: float,
    trust_after: float,
    customers: int,
) -> str:
    """What just happened, in plain words, from the counts of the day's (or days') messages.

    Args:
        sent: Messages sent, by kind (a broadcast counts once).
        reached: Recipients, by kind (a broadcast counts each consumer it reached).
        via_platform: Requests that went to a call platform rather than to the firm.
        days: How many days the counts cover.
        trust_before: Mean trust of customers before those days.
        trust_after: Mean trust after them.
        customers: Customers of the firm.
    """
    when = "Today" if days == 1 else f"In the last {days} days"
    parts: list[str] = []
    g = sent.get
    if g("offer"):
        parts.append(f"the firm broadcast its offer to {_plural(reached.get('offer', 0), 'customer')}")
    if g("request"):
        direct = g("request", 0) - via_platform
        if via_platform and direct > 0:
            parts.append(
                f"{_plural(g('request', 0), 'request')} went out, {via_platform:,} of them through "
                "the call platform"
            )
        elif via_platform:
            parts.append(f"{_plural(via_platform, 'request')} went through the call platform")
        else:
            parts.append(f"{_plural(g('request', 0), 'customer')} asked the firm directly")
    if g("answer"):
        parts.append(f"the firm sent {_plural(g('answer', 0), 'answer')}")
    if g("complaint"):
        parts.append(f"{_plural(g('complaint', 0), 'customer')} complained in private")
    if g("public_post"):
        parts.append(
            f"{_plural(g('public_post', 0), 'public post')} reached "
            f"{_plural(reached.get('public_post', 0), 'friend')}"
        )
    if g("public_answer"):
        parts.append(f"the firm answered {_plural(g('public_answer', 0), 'post')} in public")
    rec, warn = g("recommendation", 0), g("warning", 0)
    if rec or warn:
        parts.append(
            f"friends passed on {_plural(rec, 'recommendation')} and {_plural(warn, 'warning')}"
        )
    if g("amplified"):
        parts.append(
            f"the blogger relayed {_plural(g('amplified', 0), 'complaint')} to "
            f"{_plural(reached.get('amplified', 0), 'follower')}"
        )
    if not parts:
        text = f"{when}: a quiet time, no message was sent."
    else:
        text = f"{when}: " + "; ".join(parts) + "."
    text = text[0].upper() + text[1:]
    if trust_before == trust_before and trust_after == trust_after:  # both not NaN
        change = trust_after - trust_before
        if abs(change) < 0.0005:
            how = f"held at {trust_after:.3f}"
        else:
            how = f"{'rose' if change > 0 else 'fell'} from {trust_before:.3f} to {trust_after:.3f}"
        text += f" Mean trust of the {customers:,} customers {how}."
    return text
