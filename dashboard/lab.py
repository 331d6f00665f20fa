"""The Scenario lab's tables and files, without Streamlit: KPI labels, lever changes in
words, the comparison of kept runs (B - A), and the exported files of a run."""

from __future__ import annotations

import io
import json
import math
import zipfile

import pandas as pd

from dashboard import charts
from dashboard.formatting import (
    KPIS,
    OUTCOME_INFO,
    PHONE_KPIS,
    compare,
    fmt_value,
    safe_label,
    summary_words,
)
from dashboard.runs import KeptRun, replication_seeds
from dashboard.widgets import fmt_setting, lever_spec

__all__ = [
    "UPLOAD_PREFIX",
    "VERDICT_WORDS",
    "change_words",
    "comparison_table",
    "export_files",
    "hours_problem",
    "kpi_label",
    "replication_values",
]

_OUT = OUTCOME_INFO
#: The label of an uploaded scenario in the list of starting points.
UPLOAD_PREFIX = "Uploaded: "
#: A change's verdict as the cards and the comparison table write it.
VERDICT_WORDS = {
    "better": "better",
    "worse": "worse",
    "within noise": "within noise",
    "changed": "changed (neither good nor bad)",
    "no change": "no change",
    "n/a": "",
}


def kpi_label(name: str) -> str:
    """A card's title: the outcome, then how it is summarised (``Churn (consumers, total)``)."""
    o = _OUT[name]
    unit = o.unit if o.unit in ("consumers", "messages", "posts") else ""
    how = summary_words(o.summary)
    return f"{charts.outcome_label(name)} ({unit + ', ' if unit else ''}{how})"


def change_words(changes: dict[str, tuple]) -> list[str]:
    """``automation share: 0.4 → 0.95`` for each changed lever (path -> (preset, set))."""
    out = []
    for path, (old, new) in changes.items():
        if path == "exchange mix":
            name = path
        else:
            spec = lever_spec(path)
            name = spec.title.split(" (")[0].lower()
        out.append(f"{name}: {fmt_setting(old)} → {fmt_setting(new)}")
    return out


def hours_problem(open_h: float | None, close_h: float | None) -> str | None:
    """Why the phone lines' hours cannot be used (they close before they open), or None.

    Shifts do not cross midnight: the lines open and close on the same day.
    """
    if open_h is None or close_h is None or open_h < close_h:
        return None
    return (
        f"The phone lines close at {fmt_setting(close_h)} h, no later than they open "
        f"({fmt_setting(open_h)} h): set the closing hour after the opening hour (the lines open "
        "and close on the same day; 0 and 24 keep them open around the clock)."
    )


def replication_values(summaries: list[pd.DataFrame], name: str) -> list[float]:
    """One outcome's run summary in every replication (NaN where it was not recorded)."""
    out = []
    for s in summaries:
        row = s[s["outcome"] == name]
        out.append(float(row["value"].iloc[0]) if len(row) else math.nan)
    return out


def comparison_table(runs: list[KeptRun], ref: KeptRun) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each KPI (the phone lines' after the others) per run, and ``B − A`` for every run B
    against the reference A.

    Returns the table of text and, of the same shape, the verdict of each
    ``B − A`` cell (empty for value cells), from which the page colours them.
    """
    rows, verdicts = {}, {}
    for name in (*KPIS, *PHONE_KPIS):
        label = kpi_label(name)
        row, verdict = {}, {}
        for r in runs:
            vals = replication_values(r.summaries, name)
            row[r.label] = fmt_value(name, float(pd.Series(vals).mean()))
            verdict[r.label] = ""
        for r in runs:
            if r is ref:
                continue
            ch = compare(
                name, replication_values(r.summaries, name), replication_values(ref.summaries, name)
            )
            col = f"{r.label} − {ref.label}"
            words = VERDICT_WORDS.get(ch.verdict, "")
            row[col] = ch.text if ch.verdict == "no change" else f"{ch.text} · {words}".rstrip(" ·")
            verdict[col] = ch.verdict
        rows[label], verdicts[label] = row, verdict
    return pd.DataFrame(rows).T, pd.DataFrame(verdicts).T


def _toml_with_header(run: KeptRun, toml: str, what: str) -> str:
    levers = change_words(run.levers) or ["no lever changed"]
    header = [
        f"# ExchangeLab Scenario lab, {run.label}: {what}",
        f"# Started from: {safe_label(run.base_name)}",
        "# Changed versus the preset: " + "; ".join(levers),
        f"# Replications: {run.replications}, seeds {run.seed} to "
        f"{run.seed + run.replications - 1}; this file holds the first seed "
        "(exlab run FILE reproduces replication 1).",
    ]
    return "\n".join(header) + "\n" + toml


def export_stem(run: KeptRun) -> str:
    """A file name stem: the starting point and the run (``default_bank_run_2``)."""
    base = safe_label(run.base_name.replace(UPLOAD_PREFIX, ""))
    return f"{base}_{run.label}".replace(" ", "_").lower()


def export_files(run: KeptRun) -> dict[str, str | bytes]:
    """What a run exports: the what-if and baseline scenarios (TOML, the levers changed in
    their header), the table of both (CSV and Parquet, column ``run``), the settings (JSON)
    and all of them in one ZIP (key ``zip``)."""
    settings = {
        "run": run.label,
        "started_from": run.base_name,
        "consumers": run.consumers,
        "days": run.ticks,
        "seeds": replication_seeds(run.seed, run.replications),
        "replications_chosen_automatically": run.auto_replications,
        "levers_changed": {p: {"preset": o, "set": n} for p, (o, n) in run.levers.items()},
    }
    files: dict[str, str | bytes] = {
        "what_if.toml": _toml_with_header(run, run.scenario_toml, "the what-if"),
        "baseline.toml": _toml_with_header(run, run.baseline_toml, "the baseline (preset unchanged)"),
        "tables.csv": export_table(run).to_csv(index=False),
        "settings.json": json.dumps(settings, indent=2, default=str),
    }
    parquet = io.BytesIO()
    export_table(run).to_parquet(parquet, index=False)
    files["tables.parquet"] = parquet.getvalue()
    stem = export_stem(run)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{stem}/what_if.toml", files["what_if.toml"])
        z.writestr(f"{stem}/baseline.toml", files["baseline.toml"])
        z.writestr(f"{stem}/what_if.csv", run.table.to_csv(index=False))
        z.writestr(f"{stem}/baseline.csv", run.baseline_table.to_csv(index=False))
        z.writestr(f"{stem}/settings.json", files["settings.json"])
    files["zip"] = buf.getvalue()
    return files


def export_table(run: KeptRun) -> pd.DataFrame:
    """The what-if's and the baseline's replications in one table (column ``run``)."""
    return pd.concat([run.table, run.baseline_table], ignore_index=True)
