"""Outcome registry: every per-tick outcome declared once with its unit and meaning.

The CLI summary, the Parquet columns, the dashboard's KPI cards and the
experiment reports all read :data:`OUTCOMES`, so a new outcome is one entry
here and one value written in ``ExchangeModel._record``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["OUTCOMES", "Outcome", "OutcomeRecorder", "outcome"]


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
    Outcome("customers", "consumers", "Consumers still with a firm.", "last", True),
    Outcome("trust", "[0,1]", "Mean trust of customers in their firm.", "last", True),
    Outcome("trust_sd", "[0,1]", "Standard deviation of trust.", "last"),
    Outcome("attachment", "[0,1]", "Mean attachment (commitment).", "last", True),
    Outcome("recognition", "[0,1]", "Mean felt recognition.", "last", True),
    Outcome("satisfaction", "[0,1]", "Mean smoothed satisfaction.", "last", True),
    Outcome("delivered_quality", "[0,1]", "Mean quality perceived in today's contacts.", "mean", True),
    Outcome("expectation_quality", "[0,1]", "Mean predicted quality (what is thought possible).", "last"),
    Outcome("expectation_adequate", "[0,1]", "Mean adequate quality (what one is entitled to).", "last"),
    Outcome("expectation_desired", "[0,1]", "Mean desired quality (what one dreams of).", "last"),
    Outcome("expectation_inflation", "[0,1]", "Rise of mean predicted quality since tick 0.", "last"),
    Outcome("expected_response_h", "hours", "Mean response time customers expect.", "last"),
    Outcome("response_time_h", "hours", "Mean time from request to answer, answered today.", "mean", False),
    Outcome("waiting_h", "hours", "Mean time answered requests spent in queues today (automated: 0).", "mean", False),
    Outcome("wom_volume", "messages", "Peer messages (private talk and public posts) received today.", "sum"),
    Outcome("wom_valence", "share", "Share of today's peer messages that were positive.", "mean", True),
    Outcome("public_posts", "posts", "Public posts made today.", "sum"),
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
    Outcome("queued", "requests", "Requests waiting at the end of the day.", "last", False),
    Outcome("leaked_share", "share", "Share of relayed requests that used a line not meant for them.", "mean"),
    Outcome("message_fit", "[0,1]", "Mean fit of the firm's offer to the receiver's need, on broadcast days.",
            "mean", True),
    Outcome("purchases", "purchases", "Offers accepted today.", "sum", True),
    Outcome("churn", "consumers", "Consumers who left their firm today.", "sum", False),
    Outcome("churn_rate", "1/year", "Annualised churn rate today.", "mean", False),
    Outcome("cost_eur", "EUR", "Cost of contacts, staff and intermediaries today.", "sum", False),
    Outcome("cost_per_contact_eur", "EUR", "Cost per contact today.", "mean", False),
    Outcome("revenue_eur", "EUR", "Margin earned today (customers and purchases).", "sum", True),
    Outcome("relational_cost_eur", "EUR", "Cost of the relational investment today: human answers, advisors, "
            "complaint follow-up, expectation management.", "sum"),
    Outcome("reputation", "[0,1]", "Mean public reputation of the firms.", "last", True),
    Outcome("adoption", "share", "Share of consumers who adopted (Bass submodel).", "last"),
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
