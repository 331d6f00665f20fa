"""What the Influence page shows of one run, read from the model once the run ends.

No Streamlit here. :func:`summarise` runs inside the cached run (the model is
gone afterwards) and keeps only small tables, whatever the population: the
strongest influencers with who they are and what they did, influence by
segment and role, how concentrated influence is, the cascades of public posts
(sizes binned, the largest ones, their authors), and the bloggers.

A consumer's role is read at the end of the run: the customer of a firm, or
a prospect (a consumer of no firm, who may have left one during the run).
Bloggers are intermediaries, not consumers: what they pass on reaches their
whole audience at once and is not traced receiver by receiver, so they are
described apart rather than ranked with consumers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.messages import MessageKind

__all__ = [
    "CARDS",
    "InfluenceSummary",
    "cascade_stats",
    "concentration",
    "size_bins",
    "summarise",
]

#: The Influence page's cards: what was posted and passed on, and the firms' share of what
#: consumers hear.
CARDS = ("public_posts", "reshares", "cascade_spread_share", "control_share")
#: Influencers listed, and cascades listed, per run.
TOP_INFLUENCERS = 15
TOP_CASCADES = 10
PROSPECT = "prospect"


@dataclass
class InfluenceSummary:
    """The Influence page's tables for one run (small: bounded by the constants above)."""

    consumers: int
    influencers: pd.DataFrame  #: the strongest, strongest first (see :func:`influencer_table`)
    groups: pd.DataFrame  #: per segment and role: consumers, trust moved, posts
    concentration: dict  #: see :func:`concentration`
    cascades: dict  #: see :func:`cascade_stats`
    bins: pd.DataFrame  #: see :func:`size_bins`
    largest: pd.DataFrame  #: the largest cascades, with their author
    bloggers: pd.DataFrame = field(default_factory=pd.DataFrame)  #: name, audience, amplification
    messages: dict = field(default_factory=dict)  #: peer messages sent, by kind


@dataclass(frozen=True)
class Roles:
    """Each consumer's role as an index into ``labels`` (customer of each firm, then prospect)."""

    index: np.ndarray
    labels: tuple[str, ...]

    @classmethod
    def of(cls, firm: np.ndarray, firm_names: list[str]) -> Roles:
        """Roles from the firm indices at the end of the run (-1: no firm, a prospect)."""
        labels = (*(f"customer of {n}" for n in firm_names), PROSPECT)
        idx = np.where(firm >= 0, firm, len(firm_names)).astype(np.int64)
        return cls(idx, labels)

    def names(self, ids: np.ndarray) -> list[str]:
        """The roles of the consumers ``ids``, in words."""
        return [self.labels[r] for r in self.index[ids].tolist()]


#: Shares of consumers (most influential first) at which the concentration curve is read.
CURVE_AT = np.unique(np.concatenate([[0.0, 0.001, 0.002, 0.005], np.linspace(0.0, 1.0, 201)]))


def concentration(exerted: np.ndarray) -> dict:
    """How unequal influence is: the share of all trust moved by the top 1% and 10% of consumers.

    An even spread gives 1% and 10%; a few stars give much more. ``movers``
    is the share of consumers who moved anyone's trust at all; ``curve`` the
    share of all trust moved (``moved``) by each share of consumers (``consumers``),
    the most influential first.
    """
    n = exerted.size
    total = float(exerted.sum())
    if n == 0 or total <= 0:
        return {"top1": math.nan, "top10": math.nan, "movers": 0.0, "total": 0.0, "n": n,
                "curve": pd.DataFrame(columns=["consumers", "moved"])}
    cum = np.concatenate([[0.0], np.cumsum(np.sort(exerted)[::-1])]) / total
    at = np.ceil(CURVE_AT * n).astype(np.int64)  # the first k consumers, k = ceil(share * n)
    out = {"movers": float(np.count_nonzero(exerted > 0)) / n, "total": total, "n": n,
           "curve": pd.DataFrame({"consumers": at / n, "moved": cum[at]}).drop_duplicates("consumers")}
    for name, share in (("top1", 0.01), ("top10", 0.10)):
        out[name] = float(cum[max(1, math.ceil(share * n))])
    return out


def size_bins(size: np.ndarray, valence: np.ndarray) -> pd.DataFrame:
    """Posts per cascade size, in bins doubling in width (1, 2, 3-4, 5-8, ...), by valence.

    Columns: bin (its label), lo, hi (sizes it holds), valence (``positive`` or
    ``negative``), posts. Bins with no post are left out.
    """
    size = np.asarray(size, dtype=np.int64)
    if not size.size:
        return pd.DataFrame(columns=["bin", "lo", "hi", "valence", "posts"])
    k = np.ceil(np.log2(np.maximum(size, 1))).astype(np.int64)  # 1 -> 0, 2 -> 1, 3-4 -> 2, ...
    positive = np.asarray(valence) > 0
    rows = []
    for b in range(int(k.max()) + 1):
        lo, hi = (1, 1) if b == 0 else (2 ** (b - 1) + 1, 2**b)
        label = f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"
        for name, mask in (("positive", positive), ("negative", ~positive)):
            posts = int(np.count_nonzero((k == b) & mask))
            if posts:
                rows.append({"bin": label, "lo": lo, "hi": hi, "valence": name, "posts": posts})
    return pd.DataFrame(rows)


def cascade_stats(ct: pd.DataFrame) -> dict:
    """Posts, posts reshared at least once, reshares, the largest size, posts cut by the bound."""
    if not len(ct):
        return {"posts": 0, "reshared": 0, "reshares": 0, "largest": 0, "deepest": 0,
                "widest": 0, "truncated": 0, "negative": 0}
    size = ct["size"].to_numpy()
    return {
        "posts": int(len(ct)),
        "reshared": int(np.count_nonzero(size > 1)),
        "reshares": int((size - 1).sum()),
        "largest": int(size.max()),
        "deepest": int(ct["depth"].max()),
        "widest": int(ct["reach"].max()),
        "truncated": int(ct["truncated"].sum()),
        "negative": int(np.count_nonzero(ct["valence"].to_numpy() < 0)),
    }


def _who(ids: np.ndarray, segment: np.ndarray, roles: Roles, seg_names: list[str]) -> dict:
    return {
        "Consumer": [f"#{i}" for i in ids.tolist()],
        "Segment": [seg_names[s] for s in segment[ids].tolist()],
        "Role": roles.names(ids),
    }


def influencer_table(model, ct: pd.DataFrame, roles: Roles, k: int = TOP_INFLUENCERS) -> pd.DataFrame:
    """The ``k`` consumers who moved the most trust in others: who they are and what they did.

    Raised and lowered count the consumers whose trust the influencer moved up
    or down over the run (net, on the kept edges of the influence graph);
    posts, the public posts they wrote; reshares, how often others passed
    those posts on; largest, the largest cascade one of them started.
    """
    tr = model.influence
    top = np.array([i for i, _ in tr.top_influencers(k)], dtype=np.int64)
    if not top.size:
        return pd.DataFrame()
    src, _dst, w = tr.edges()
    pos = {int(c): i for i, c in enumerate(top.tolist())}
    mine = np.isin(src, top)
    where = np.array([pos[int(c)] for c in src[mine]], dtype=np.int64)
    raised = np.bincount(where[w[mine] > 0], minlength=top.size)
    lowered = np.bincount(where[w[mine] < 0], minlength=top.size)
    by_author = ct[ct["author"].isin(top)].groupby("author")["size"]
    posts = by_author.size().reindex(top, fill_value=0).to_numpy()
    reshares = (by_author.sum() - by_author.size()).reindex(top, fill_value=0).to_numpy()
    largest = by_author.max().reindex(top, fill_value=0).to_numpy()
    return pd.DataFrame(
        {
            **_who(top, model.state.segment, roles, model.seg_names),
            "Ties": model.degree[top].astype(np.int64),
            "Trust moved": tr.exerted[top],
            "Raised": raised,
            "Lowered": lowered,
            "Posts": posts.astype(np.int64),
            "Reshares": reshares.astype(np.int64),
            "Largest cascade": largest.astype(np.int64),
        }
    )


def group_table(model, ct: pd.DataFrame, roles: Roles) -> pd.DataFrame:
    """Per segment and role: consumers, trust moved in others (total, per consumer, share), posts."""
    seg = model.state.segment.astype(np.int64)
    n_roles = len(roles.labels)
    cell = seg * n_roles + roles.index
    cells = len(model.seg_names) * n_roles
    consumers = np.bincount(cell, minlength=cells)
    moved = np.bincount(cell, weights=model.influence.exerted, minlength=cells)
    authors = ct["author"].to_numpy(dtype=np.int64)
    posts = np.bincount(cell[authors], minlength=cells) if authors.size else np.zeros(cells, np.int64)
    total = moved.sum()
    rows = []
    for c in np.flatnonzero(consumers):
        rows.append(
            {
                "Segment": model.seg_names[c // n_roles],
                "Role": roles.labels[c % n_roles],
                "Consumers": int(consumers[c]),
                "Trust moved per consumer": float(moved[c] / consumers[c]),
                "Share of all trust moved": float(moved[c] / total) if total > 0 else math.nan,
                "Posts per 1,000 consumers": float(1000 * posts[c] / consumers[c]),
            }
        )
    return pd.DataFrame(rows)


def largest_cascades(
    model, ct: pd.DataFrame, roles: Roles, k: int = TOP_CASCADES
) -> pd.DataFrame:
    """The ``k`` largest cascades (by sharers, then reach), with who started them."""
    if not len(ct):
        return pd.DataFrame()
    top = ct.sort_values(["size", "reach", "tick"], ascending=[False, False, True]).head(k)
    authors = top["author"].to_numpy(dtype=np.int64)
    who = _who(authors, model.state.segment, roles, model.seg_names)
    return pd.DataFrame(
        {
            "Day": top["tick"].to_numpy(dtype=np.int64),
            "Started by": who["Consumer"],
            "Segment": who["Segment"],
            "Role": who["Role"],
            "Post": np.where(top["valence"].to_numpy() > 0, "positive", "negative"),
            "Sharers": top["size"].to_numpy(dtype=np.int64),
            "Depth": top["depth"].to_numpy(dtype=np.int64),
            "Reach": top["reach"].to_numpy(dtype=np.int64),
            "Cut": top["truncated"].to_numpy(dtype=bool),
        }
    )


def summarise(model) -> InfluenceSummary:
    """The Influence page's tables of a model whose run has ended."""
    ct = model.cascades_table()
    firm_names = [f.name for f in model.firms]
    roles = Roles.of(model.state.firm, firm_names)
    sc = model.params
    bloggers = pd.DataFrame(
        [
            {
                "name": sc.intermediaries[k].name,
                "audience": int(model.audience[k].size),
                "amplification": float(sc.intermediaries[k].amplification),
            }
            for k in model.bloggers
        ]
    )
    counts = model.message_counts.sum(axis=1)
    return InfluenceSummary(
        consumers=int(model.n),
        influencers=influencer_table(model, ct, roles),
        groups=group_table(model, ct, roles),
        concentration=concentration(model.influence.exerted),
        cascades=cascade_stats(ct),
        bins=size_bins(ct["size"].to_numpy(), ct["valence"].to_numpy()),
        largest=largest_cascades(model, ct, roles),
        bloggers=bloggers,
        messages={
            "recommendations": int(counts[MessageKind.RECOMMENDATION]),
            "warnings": int(counts[MessageKind.WARNING]),
            "amplified": int(counts[MessageKind.AMPLIFIED]),
        },
    )
