"""The Decisions page's calibration, without Streamlit: the parameters offered, calibration files
written from the page's choices, the sample KPI series, finished calibration folders, and the
charts of the fit (observed points against posterior-predictive bands) and of the posterior.

A calibration (:mod:`sim.calibration`) fits a scenario's parameters to a firm's KPI series by
ABC-SMC: the posterior of each parameter, bands of what the calibrated model predicts for each
KPI, and the scenario with the posterior medians.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import pandas as pd

from dashboard import charts, theme
from dashboard.discovery_data import to_toml_text
from dashboard.widgets import lever_spec

__all__ = [
    "CAL_PARAMETERS",
    "SAMPLE_CSV",
    "SAMPLE_TOML",
    "CalParameter",
    "calibration_toml",
    "fit_chart",
    "list_calibration_folders",
    "one_line",
    "param_label",
    "posterior_chart",
    "posterior_table",
    "sample_csv",
    "sample_settings",
]

REPO = Path(__file__).resolve().parents[1]
#: The sample KPI series and calibration file (synthetic data: the model with stated hidden values).
SAMPLE_CSV = REPO / "experiments" / "calibration" / "bank_kpis_synthetic.csv"
SAMPLE_TOML = REPO / "experiments" / "calibration" / "bank_calibration.toml"
#: Files of a finished calibration folder offered for download, when present.
DOWNLOADS = ("calibrated.toml", "posterior.csv", "bands.csv", "samples.csv", "correlation.csv")


@dataclass(frozen=True)
class CalParameter:
    """A parameter the page offers to estimate: its path, short name and a prior range that suits a
    small calibration (the slider spans the schema's bounds)."""

    path: str
    name: str
    low: float
    high: float

    @property
    def bounds(self) -> tuple[float, float]:
        """The schema's bounds, the upper one capped where it is far beyond any firm's value."""
        return param_bounds(self.path)


#: Behavioural parameters a firm's KPIs can inform (real-valued, as calibration requires).
CAL_PARAMETERS: tuple[CalParameter, ...] = (
    CalParameter("churn.max_rate_per_year", "Highest churn rate (per year)", 0.1, 3.0),
    CalParameter("segments[*].requests_per_month", "Customers' requests per month", 0.1, 2.0),
    CalParameter("satisfaction.loss_weight", "Weight of disappointments in satisfaction", 0.5, 5.0),
    CalParameter("satisfaction.gain_weight", "Weight of pleasant surprises in satisfaction", 0.2, 3.0),
    CalParameter("trust.negative_weight", "Weight of negative evidence in trust", 1.0, 5.0),
    CalParameter("trust.wom_weight", "Evidence of a peer's word-of-mouth in trust", 0.0, 0.5),
    CalParameter("wom.base_rate", "Daily chance to talk about one's firm", 0.0, 0.03),
    CalParameter("segments[*].human_need", "Customers' need of a person", 0.0, 1.0),
)
_BY_PATH = {p.path: p for p in CAL_PARAMETERS}
#: Upper ends of sliders where the schema allows far more than a firm shows.
_CAPS = {"churn.max_rate_per_year": 12.0, "segments[*].requests_per_month": 10.0}


def _spec(path: str):
    return lever_spec(path.replace("[*]", "[0]"))


def param_bounds(path: str) -> tuple[float, float]:
    """A parameter's range on the page: the schema's bounds, capped where they are very wide."""
    spec = _spec(path)
    lo = float(spec.lo) if spec.lo is not None else 0.0
    hi = float(spec.hi) if spec.hi is not None else max(1.0, lo + 1.0)
    return lo, min(hi, _CAPS.get(path, hi))


def param_label(path: str) -> str:
    """Short words for a calibrated parameter (its path when the page does not offer it)."""
    return _BY_PATH[path].name if path in _BY_PATH else path


def param_meaning(path: str) -> str:
    """The schema's meaning and unit of a parameter."""
    try:
        spec = _spec(path)
    except KeyError:
        return ""
    return spec.meaning + (f" Unit: {spec.unit}." if spec.unit else "")


# ------------------------------------------------------------------ the sample and files
def sample_csv() -> bytes:
    """The sample KPI CSV: the repository's file, or the same series made by the model when it is missing."""
    try:
        return SAMPLE_CSV.read_bytes()
    except OSError:
        from sim.calibration.synthetic import bank_csv

        return bank_csv()


def sample_settings() -> dict:
    """Settings of the sample calibration: its file's when present, else those it is made with."""
    out = {"base": "default_bank", "consumers": 1000, "customers": 20000.0, "outcomes": [],
           "parameters": {"churn.max_rate_per_year": (0.2, 3.0), "segments[*].requests_per_month": (0.1, 2.0),
                          "satisfaction.loss_weight": (0.5, 5.0)}}
    try:
        data = tomllib.loads(SAMPLE_TOML.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return out
    if isinstance(data.get("base"), str):
        out["base"] = data["base"]
    if isinstance(data.get("consumers"), int):  # a small model answers in seconds in the browser
        out["consumers"] = max(100, min(int(data["consumers"]), 1000))
    if isinstance(data.get("customers"), int | float):
        out["customers"] = float(data["customers"])
    if isinstance(data.get("outcomes"), list):
        out["outcomes"] = [str(o) for o in data["outcomes"]]
    params = {}
    for t in data.get("parameters", []) if isinstance(data.get("parameters"), list) else []:
        if isinstance(t, dict) and isinstance(t.get("path"), str):
            lo, hi = param_bounds(t["path"]) if t["path"] in _BY_PATH else (None, None)
            params[t["path"]] = (float(t.get("low", lo if lo is not None else 0.0)),
                                 float(t.get("high", hi if hi is not None else 1.0)))
    if params:
        out["parameters"] = params
    return out


def calibration_toml(*, name: str, base: str, consumers: int, customers: float | None, outcomes: list[str],
                     parameters: list[tuple[str, float, float]], summary: str, band_draws: int, seed: int,
                     generations: int, population_size: int, replications: int = 1) -> str:
    """The calibration file (``exlab calibrate``) of the page's choices; the KPI CSV is given apart."""
    data: dict = {"name": name, "base": base, "consumers": int(consumers)}
    if customers:
        data["customers"] = float(customers)
    data.update({"outcomes": list(outcomes), "summary": summary, "replications": int(replications),
                 "band_draws": int(band_draws), "seed": int(seed),
                 "parameters": [{"path": p, "low": float(lo), "high": float(hi)} for p, lo, hi in parameters],
                 "budget": {"generations": int(generations), "population_size": int(population_size)}})
    return to_toml_text(data, "Written by the ExchangeLab dashboard (Decisions, Calibrate).\n"
                        f"Run it with: exlab calibrate {name}.toml --out results/{name} (after adding\n"
                        'observed = "your_kpis.csv", the KPI file, next to it)')


def one_line(exc: Exception, limit: int = 600) -> str:
    """An error's message on one line (a ScenarioError's problems joined by semicolons)."""
    text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def list_calibration_folders(root: Path, limit: int = 200) -> list[str]:
    """Folders under ``root`` holding a finished calibration (``result.json`` and ``posterior.csv``)."""
    root = root.resolve()
    if not root.is_dir():
        return []
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if "result.json" in filenames and "posterior.csv" in filenames:
            rel = Path(dirpath).relative_to(root).as_posix()
            found.append("." if rel == "." else rel)
        if len(found) >= limit:
            break
    return found


def folder_files(folder: Path, limit: int = 5_000_000) -> dict[str, bytes]:
    """The downloadable files of a calibration folder (present and under ``limit`` bytes)."""
    out = {}
    for name in DOWNLOADS:
        p = folder / name
        try:
            if p.is_file() and p.stat().st_size <= limit:
                out[name] = p.read_bytes()
        except OSError:
            continue
    return out


# ------------------------------------------------------------------ words and tables
def kpi_title(outcome: str, unit: str) -> str:
    """``Churn rate (%/month)``: a KPI and the unit the firm measures it in."""
    return f"{charts.outcome_label(outcome)} ({unit})" if unit else charts.outcome_label(outcome)


def _num(v: float) -> str:
    if v is None or not math.isfinite(float(v)):
        return "n/a"
    return f"{float(v):.3g}" if abs(float(v)) < 1000 else f"{float(v):,.0f}"


def posterior_table(post: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: its prior range, the posterior median and 90% interval, and how much the data narrowed it."""
    rows = []
    for r in post.to_dict("records"):
        rows.append({
            "Parameter": param_label(str(r["parameter"])),
            "Path": str(r["parameter"]),
            "Prior range": f"{_num(r['prior_low'])} to {_num(r['prior_high'])}",
            "Median": _num(r["median"]),
            "90% interval": f"{_num(r['q05'])} to {_num(r['q95'])}",
            "Interval / prior": f"{100 * float(r['interval_share']):.0f}%",
            "Mean (sd)": f"{_num(r['mean'])} ({_num(r['sd'])})",
        })
    return pd.DataFrame(rows)


def fit_chart(bands: pd.DataFrame, outcome: str, period: str, title: str, height: int = 260) -> alt.TopLevelMixin:
    """One KPI: the firm's observed values (points) against the calibrated model's 90% predictive band
    and median, period by period."""
    d = bands[bands["outcome"] == outcome].copy()
    d["period"] = d["period"].astype(int)
    color = theme.SLOT_COLORS[0]
    x = alt.X("period:Q", title=period.capitalize(), axis=alt.Axis(tickMinStep=1, format="d"),
              scale=alt.Scale(nice=False, padding=8))
    ys = alt.Scale(zero=False)
    kinds = ["observed", "model median", "model 90% band"]
    legend_scale = alt.Scale(domain=kinds, range=["#1A1A1A", color, color])
    band = alt.Chart(d).mark_area(opacity=0.22, color=color).encode(
        x=x, y=alt.Y("q05:Q", title=None, scale=ys), y2="q95:Q",
        tooltip=[alt.Tooltip("period:Q", title=period.capitalize()),
                 alt.Tooltip("q05:Q", title="Model, 5%", format=".4~g"),
                 alt.Tooltip("median:Q", title="Model, median", format=".4~g"),
                 alt.Tooltip("q95:Q", title="Model, 95%", format=".4~g")])
    line = alt.Chart(d.assign(kind="model median")).mark_line(strokeWidth=3).encode(
        x=x, y=alt.Y("median:Q", scale=ys),
        color=alt.Color("kind:N", scale=legend_scale, legend=alt.Legend(title=None, orient="bottom",
                                                                        values=kinds[:2])))
    obs = d[d["observed"].notna()].assign(kind="observed")
    pts = alt.Chart(obs).mark_point(filled=True, size=90, opacity=1, shape="circle").encode(
        x=x, y=alt.Y("observed:Q", scale=ys), color=alt.Color("kind:N", scale=legend_scale),
        tooltip=[alt.Tooltip("period:Q", title=period.capitalize()),
                 alt.Tooltip("observed:Q", title="Observed", format=".4~g")])
    return charts.finish(alt.layer(band, line, pts).properties(title=title), height=height)


def posterior_chart(post: pd.DataFrame, height_per: int = 50) -> alt.TopLevelMixin:
    """Each parameter's 90% posterior interval and median as a share of its prior range (grey)."""
    rows = []
    for r in post.to_dict("records"):
        lo, hi = float(r["prior_low"]), float(r["prior_high"])
        span = hi - lo if hi > lo else 1.0
        rows.append({"Parameter": param_label(str(r["parameter"])), "zero": 0.0, "one": 1.0,
                     "q05": (float(r["q05"]) - lo) / span, "q95": (float(r["q95"]) - lo) / span,
                     "median": (float(r["median"]) - lo) / span, "median_value": float(r["median"]),
                     "interval": f"{_num(r['q05'])} to {_num(r['q95'])}", "prior": f"{_num(lo)} to {_num(hi)}"})
    d = pd.DataFrame(rows)
    y = alt.Y("Parameter:N", title=None, sort=None, axis=alt.Axis(labelLimit=330))
    x = alt.X("zero:Q", title="Position in the prior range (0: its low end, 1: its high end)",
              scale=alt.Scale(domain=[0, 1], nice=False), axis=alt.Axis(format="~%", tickCount=5))
    tip = [alt.Tooltip("Parameter:N"), alt.Tooltip("prior:N", title="Prior range"),
           alt.Tooltip("interval:N", title="90% interval"), alt.Tooltip("median_value:Q", title="Median",
                                                                         format=".4~g")]
    prior = alt.Chart(d).mark_rule(strokeWidth=14, color="#E3E3E3").encode(y=y, x=x, x2="one:Q", tooltip=tip)
    interval = alt.Chart(d).mark_rule(strokeWidth=14, color=theme.SLOT_COLORS[0], opacity=0.55).encode(
        y=y, x="q05:Q", x2="q95:Q", tooltip=tip)
    median = alt.Chart(d).mark_tick(thickness=4, size=26, color="#1A1A1A").encode(y=y, x="median:Q", tooltip=tip)
    title = alt.TitleParams("What the data say about each parameter",
                            subtitle="Grey: the prior range searched; blue: the 90% posterior interval; black: "
                            "the median.", subtitleFontSize=theme.FONT_SIZE - 1, subtitleColor="#333333")
    return charts.finish(alt.layer(prior, interval, median).properties(title=title),
                         height=150 + height_per * len(d))  # the title and the axis take about 150 px


def check_prior(path: str, low: float, high: float) -> str | None:
    """Why a prior range cannot be used (empty), or None."""
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        return f"{param_label(path)}: the prior's high end must be above its low end."
    return None


def result_scenario_toml(result, label: str, preset: str | None = None, preset_size: bool = False) -> str:
    """The calibrated scenario, named ``label``: as calibrated, or the preset at its own size with the medians."""
    from sim.scenario import load_scenario, to_toml, with_overrides

    medians = {str(r["parameter"]): float(r["median"]) for r in result.posterior.to_dict("records")}
    if preset_size and preset:
        sc = with_overrides(load_scenario(preset), medians)
    else:
        sc = result.scenario
    sc = with_overrides(sc, {"name": label})
    words = "; ".join(f"{p} = {v:.4g}" for p, v in medians.items())
    return to_toml(sc, f"ExchangeLab Decisions: calibrated scenario {label}\nPosterior medians: {words}")

