"""Outcome registry: every per-tick outcome declared once with its unit and meaning.

The CLI summary, the Parquet columns, the dashboard's KPI cards and the
experiment reports all read :data:`OUTCOMES`, so a new outcome is one entry
here and one value computed in :func:`outcome_row`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["OUTCOMES", "Outcome", "OutcomeRecorder", "outcome", "outcome_row"]


@dataclass(frozen=True)
class Outcome:
    """A recorded outcome: column name, unit, meaning, and how to summarise it over a run."""

    name: str
    unit: str
    meaning: str
    #: "last" (value at the end), "mean" (over ticks) or "sum" (total): see sim.analysis.summarize_runs
    summary: str = "last"
    higher_is_better: bool | None = None


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("customers", "consumers", "Customers of the firms (consumers who are not prospects).", "last", True),
    Outcome("trust", "[0,1]", "Mean trust of customers in their firm.", "last", True),
    Outcome("trust_sd", "[0,1]", "Standard deviation of trust.", "last"),
    Outcome("attachment", "[0,1]", "Mean attachment (commitment).", "last", True),
    Outcome("recognition", "[0,1]", "Mean felt recognition.", "last", True),
    Outcome("satisfaction", "[0,1]", "Mean smoothed satisfaction.", "last", True),
    Outcome("delivered_quality", "[0,1]", "Mean quality perceived in today's contacts.", "mean", True),
    Outcome("expectation_quality", "[0,1]", "Mean predicted quality (what is thought possible).", "last"),
    Outcome("expectation_adequate", "[0,1]", "Mean adequate quality (what one is entitled to).", "last"),
    Outcome("expectation_desired", "[0,1]", "Mean desired quality (what one dreams of).", "last"),
    Outcome("expectation_inflation", "[0,1]", "Mean rise of today's customers' predicted quality since their "
            "own level at day 0.", "last"),
    Outcome("expected_response_h", "hours", "Mean response time customers expect.", "last"),
    Outcome("response_time_h", "hours", "Mean time from request to answer, answered today.", "mean", False),
    Outcome("waiting_h", "hours", "Mean time answered requests spent in queues today (automated: 0).", "mean", False),
    Outcome("wom_volume", "messages", "Peer messages (private talk and public posts) received today.", "sum"),
    Outcome("wom_valence", "share", "Share of today's peer messages that were positive.", "mean", True),
    Outcome("public_posts", "posts", "Public posts made today.", "sum"),
    Outcome("reshares", "posts", "Public posts reshared today (every resharer counts once per post).", "sum"),
    Outcome("cascade_largest", "consumers", "Sharers of today's largest cascade (its author included).", "mean"),
    Outcome("cascade_spread_share", "share", "Share of today's public posts reshared at least once.", "mean"),
    Outcome("warned", "consumers", "Consumers who received at least one warning or public complaint today.",
            "mean", False),
    Outcome("public_complaints", "posts", "Public posts today that were complaints.", "sum", False),
    Outcome("complaints", "messages", "Private complaints (dissatisfied answers) today.", "sum", False),
    Outcome("complaints_resolved", "complaints", "Complaints followed up and resolved by a person today.", "sum", True),
    Outcome("control_share", "share", "Share of messages received in the last 30 days that came from firms.", "last"),
    Outcome("contacts_statement", "contacts", "Statements sent today.", "sum"),
    Outcome("contacts_self_service", "contacts", "App checks and cash machine uses today.", "sum"),
    Outcome("contacts_automated", "contacts", "Requests answered by automated channels today.", "sum"),
    Outcome("contacts_human", "contacts", "Requests answered by people today.", "sum"),
    Outcome("contacts_platform", "contacts", "Requests relayed by call platforms today.", "sum"),
    Outcome("contacts_social", "contacts", "Requests made in public today.", "sum"),
    Outcome("contacts_advisor", "meetings", "Advisor meetings held today.", "sum"),
    Outcome("unserved_meetings", "meetings", "Advisor meetings wanted but not held today.", "sum", False),
    Outcome("relationships_per_advisor", "customers", "Customers per advisor.", "last"),
    Outcome("abandoned", "requests", "Requests dropped today (abandoned or lost).", "sum", False),
    Outcome("calls_offered", "calls", "Calls offered to the phone agents today (in opening hours; retrials "
            "included).", "sum"),
    Outcome("calls_retried", "calls", "Calls today that were retrials of an earlier call.", "sum", False),
    Outcome("calls_answered", "calls", "Calls answered by an agent today.", "sum", True),
    Outcome("calls_abandoned", "calls", "Callers who hung up before an agent took the call today.", "sum", False),
    Outcome("calls_called_back", "calls", "Callers told to call back (lines closed, or still waiting at "
            "closing) today.", "sum", False),
    Outcome("share_waited", "share", "Share of offered calls that found every agent busy.", "mean", False),
    Outcome("wait_mean_min", "minutes", "Mean wait on hold of the calls answered today.", "mean", False),
    Outcome("wait_p90_min", "minutes", "90th percentile of the wait on hold of the calls answered today.",
            "mean", False),
    Outcome("occupancy", "share", "Busy agent-hours over agent-hours on duty today.", "mean"),
    Outcome("service_level", "share", "Calls answered within the target (channels.service_level_s) over "
            "calls offered, less those abandoned within the target.", "mean", True),
    Outcome("phone_agents", "people", "People on the phone today (all firms).", "last"),
    Outcome("staff_cost_eur", "EUR", "Cost of the phone agents today (agent-hours x cost).", "sum", False),
    Outcome("waiting_cost_eur", "EUR", "Value of the hours callers spent on hold today.", "sum", False),
    Outcome("queued", "requests", "Requests waiting at the end of the day.", "last", False),
    Outcome("leaked_share", "share", "Share of relayed requests that used a line not meant for them.", "mean"),
    Outcome("message_fit", "[0,1]", "Mean fit of the firm's offer to the receiver's need, on broadcast days.",
            "mean", True),
    Outcome("purchases", "purchases", "Offers accepted today.", "sum", True),
    Outcome("churn", "consumers", "Consumers who left their firm today.", "sum", False),
    Outcome("churn_rate", "1/year", "Today's leavers over the customers at the start of the day, x 365.",
            "mean", False),
    Outcome("cost_eur", "EUR", "Cost of contacts, staff and intermediaries today.", "sum", False),
    Outcome("cost_per_contact_eur", "EUR", "Cost per contact today.", "mean", False),
    Outcome("revenue_eur", "EUR", "Margin earned today (customers and purchases).", "sum", True),
    Outcome("relational_cost_eur", "EUR", "Cost of the relational investment today: human answers, advisors, "
            "complaint follow-up, expectation management.", "sum"),
    Outcome("reputation", "[0,1]", "Mean public reputation of the firms.", "last", True),
    Outcome("acquired", "consumers", "Prospects who became customers today.", "sum", True),
    Outcome("customer_share", "share", "Share of the market's consumers (customers and prospects) who are "
            "customers of a firm.", "last", True),
    Outcome("trust_treated", "[0,1]", "Mean trust in the campaign's treated group.", "last"),
    Outcome("trust_control", "[0,1]", "Mean trust in the campaign's control group.", "last"),
)

_INDEX = {o.name: i for i, o in enumerate(OUTCOMES)}


def outcome(name: str) -> Outcome:
    """The registry entry of ``name``."""
    return OUTCOMES[_INDEX[name]]


class OutcomeRecorder:
    """A preallocated (ticks x outcomes) buffer: memory independent of the population."""

    def __init__(self, ticks: int):
        self.data = np.full((ticks, len(OUTCOMES)), np.nan)
        self.n = 0

    def record(self, values: dict[str, float]) -> None:
        """Write one tick's row; outcomes not given stay NaN."""
        if self.n >= self.data.shape[0]:
            self.data = np.vstack([self.data, np.full_like(self.data, np.nan)])
        row = self.data[self.n]
        for k, v in values.items():
            row[_INDEX[k]] = v
        self.n += 1

    def frame(self):
        """The tidy table: one row per tick."""
        import pandas as pd

        df = pd.DataFrame(self.data[: self.n], columns=[o.name for o in OUTCOMES])
        df.insert(0, "tick", np.arange(1, self.n + 1, dtype=np.int64))
        return df


def outcome_row(model, d) -> dict[str, float]:
    """The day's value of every outcome of :data:`OUTCOMES`, from the model and the day (sim/day.py).

    State means are over consumers with a firm, from the sums the
    relationships pass formed (corrected for the day's churners);
    ``trust_sd = sqrt(E[T^2] - E[T]^2)``; ``churn_rate`` annualises the day's
    leavers over the customers at the start of the day (x 365);
    ``expectation_inflation`` is the mean, over today's customers, of their
    predicted quality minus their own predicted quality at day 0 (so churn
    and acquisition alone do not move it); ``churn_rate`` is over the
    customers at the start of the day; ``control_share`` is the firms' share of the messages received over the
    last ``influence.control_window_days`` days.
    """
    from sim.rules.relationships import SUMMED

    st = model.state
    nan = float("nan")
    n_act = int(np.count_nonzero(d.active))
    fm = sum(x for x, _ in model._window)
    pm = sum(y for _, y in model._window)
    # Means over active consumers from the sums the relationships pass formed (corrected for churn).
    sums = dict(zip(SUMMED, d.sums.tolist(), strict=True))

    def mean(name):
        return sums[name] / n_act if n_act else float("nan")

    contacts = (d.contacts_statement + d.contacts_self + d.contacts_automated + d.contacts_human
                + d.contacts_advisor + d.contacts_social)
    served = d.served
    row = {
        "customers": n_act,
        "trust": mean("trust"),
        "trust_sd": (float(np.sqrt(max(mean("trust_sq") - mean("trust") ** 2, 0.0)))
                     if n_act else float("nan")),
        "attachment": mean("attachment"),
        "recognition": mean("recognition"),
        "satisfaction": mean("satisfaction"),
        "delivered_quality": d.delivered_quality,
        "expectation_quality": mean("predicted_quality"),
        "expectation_adequate": mean("adequate_quality"),
        "expectation_desired": mean("desired_quality"),
        "expectation_inflation": mean("predicted_quality") - mean("predicted_start"),
        "expected_response_h": mean("expected_response_h"),
        "response_time_h": float(d.response_h.mean()) if d.response_h.size else float("nan"),
        "waiting_h": float(d.waits_h.mean()) if d.waits_h.size else float("nan"),
        "wom_volume": d.wom_total,
        "wom_valence": d.wom_positive / d.wom_total if d.wom_total else float("nan"),
        "public_posts": d.public_posts,
        "warned": d.warned,
        "public_complaints": d.public_complaints,
        "complaints": d.complaints,
        "complaints_resolved": d.resolved,
        "control_share": fm / (fm + pm) if fm + pm else float("nan"),
        "contacts_statement": d.contacts_statement,
        "contacts_self_service": d.contacts_self,
        "contacts_automated": d.contacts_automated,
        "contacts_human": d.contacts_human,
        "contacts_platform": d.contacts_platform,
        "contacts_social": d.contacts_social,
        "contacts_advisor": d.contacts_advisor,
        "unserved_meetings": d.unserved_meetings,
        "relationships_per_advisor": n_act / max(sum(f.advisors() for f in model.firms), 1e-9),
        "abandoned": int(served.dropped_by_age.sum()),
        "reshares": d.reshares,
        "cascade_largest": d.cascades.largest if d.cascades is not None and d.cascades.posts else nan,
        "cascade_spread_share": d.cascades.spread_share if d.cascades is not None and d.cascades.posts else nan,
        **_phone_row(served.phone, d),
        "queued": int(model.ledger.queued.sum()),
        "leaked_share": served.leaked / served.relayed if served.relayed else float("nan"),
        "message_fit": d.message_fit,
        "purchases": d.purchases,
        "churn": d.churned,
        "churn_rate": d.churned / max(int(d.customers_by_firm.sum()), 1) * 365.0,
        "acquired": d.acquired,
        "customer_share": n_act / model.n,
        "cost_eur": d.cost,
        "cost_per_contact_eur": d.cost / contacts if contacts else float("nan"),
        "revenue_eur": d.revenue,
        "relational_cost_eur": d.relational_cost,
        "reputation": float(np.mean([f.reputation for f in model.firms])),
    }
    if model.params.campaign.enabled:
        tr_ = model._treated_idx[d.active[model._treated_idx]]
        t_tr = float(st.trust[tr_].sum(dtype=np.float64))
        n_co = n_act - tr_.size
        row["trust_treated"] = t_tr / tr_.size if tr_.size else float("nan")
        row["trust_control"] = (sums["trust"] - t_tr) / n_co if n_co else float("nan")
    return row


def _phone_row(results, d) -> dict[str, float]:
    """The phone outcomes of the day, over every firm's pool (sim.rules.callcentre.DayResult)."""
    nan = float("nan")
    if not results:
        return {}
    offered = sum(r.offered for r in results)
    waits = np.concatenate([r.answered_wait_h for r in results]) * 60.0
    available = sum(r.available_h for r in results)
    den = sum(r.offered - r.abandoned_within for r in results)
    return {
        "calls_offered": offered,
        "calls_retried": sum(r.retrial_arrivals for r in results),
        "calls_answered": sum(r.answered for r in results),
        "calls_abandoned": sum(r.abandoned for r in results),
        "calls_called_back": sum(r.callbacks_closed + r.callbacks_closing for r in results),
        "share_waited": sum(r.waited for r in results) / offered if offered else nan,
        "wait_mean_min": float(waits.mean()) if waits.size else nan,
        "wait_p90_min": float(np.percentile(waits, 90.0)) if waits.size else nan,
        "occupancy": sum(r.busy_h for r in results) / available if available else nan,
        "service_level": sum(r.answered_within for r in results) / den if den else nan,
        "phone_agents": sum(r.servers for r in results),
        "staff_cost_eur": d.staff_cost,
        "waiting_cost_eur": d.waiting_cost,
    }
