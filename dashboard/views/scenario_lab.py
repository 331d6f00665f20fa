"""Scenario lab: pick a preset, move the levers a manager controls, run, compare, export."""

from __future__ import annotations

import io
import math
import re

import pandas as pd
import streamlit as st

from dashboard import charts, stats, theme
from dashboard.runs import (
    MAX_RUNS,
    KeptRun,
    apply_levers,
    keep_run,
    kept_runs,
    memory_problem,
    remove_run,
    run_replications,
    scenario_text,
    stack_tables,
)
from dashboard.widgets import LEVER_GROUPS, lever_spec, render_lever
from sim import Scenario, ScenarioError, load_scenario
from sim.metrics import OUTCOMES
from sim.scenario import get_path, list_presets, scenario_from_toml, with_overrides
from sim.scenario.loader import MAX_TOML_BYTES

_OUT = {o.name: o for o in OUTCOMES}
#: The KPI cards, in reading order.
KPIS = (
    "trust",
    "satisfaction",
    "churn",
    "cost_eur",
    "response_time_h",
    "control_share",
    "wom_valence",
    "expectation_inflation",
)
#: The time series shown for every run.
SERIES = ("trust", "satisfaction", "wom_volume", "wom_valence", "control_share")
UPLOAD_PREFIX = "Uploaded: "
MIX_PATHS = LEVER_GROUPS["Exchange age mix"]


def fmt(name: str, value: float) -> str:
    """A value written with its unit, for a KPI card."""
    if value is None or not math.isfinite(value):
        return "n/a"
    unit = _OUT[name].unit if name in _OUT else ""
    if unit in ("[0,1]", "share"):
        return f"{value:.3f}"
    if unit == "EUR":
        return f"{value:,.0f} EUR"
    if unit == "hours":
        return f"{value:,.1f} h"
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:,.1f} {unit}"


def fmt_delta(name: str, delta: float) -> str | None:
    """A signed change against the baseline in the card's unit, or "no change" if it rounds to 0."""
    if delta is None or not math.isfinite(delta):
        return None
    text = fmt(name, abs(delta))
    if re.fullmatch(r"[0.,]+", text.split(" ")[0]):
        return "no change"
    return ("+" if delta >= 0 else "-") + text


def delta_color(name: str) -> str:
    """Green when the change is good news, red when bad, grey when the registry does not say."""
    good = _OUT[name].higher_is_better if name in _OUT else None
    return "off" if good is None else ("normal" if good else "inverse")


# ------------------------------------------------------------------ inputs
def _handle_upload() -> None:
    with st.expander("Open a scenario file (.toml)", expanded=False):
        up = st.file_uploader(
            "Scenario file",
            type=["toml"],
            key="lab_upload",
            help=f"A scenario TOML file of at most {MAX_TOML_BYTES // 1000} kB. "
            "It is read as data and checked against the schema.",
        )
        if up is None:
            return
        token = (up.name, up.size, getattr(up, "file_id", ""))
        if st.session_state.get("lab_upload_token") == token:
            _show_upload_result()
            return
        st.session_state["lab_upload_token"] = token
        st.session_state["lab_upload_result"] = _validate_upload(up)
        res = st.session_state["lab_upload_result"]
        if res[0] == "ok":
            st.session_state["exlab_uploaded"] = (res[1], res[2])
            st.session_state["lab_base"] = UPLOAD_PREFIX + res[1]
        _show_upload_result()


def _validate_upload(up) -> tuple[str, str, str]:
    """("ok", name, toml text) or ("error", file name, message in plain words)."""
    if up.size > MAX_TOML_BYTES:
        return (
            "error",
            up.name,
            f"{up.name} is {up.size / 1000:,.0f} kB; scenario files are "
            f"limited to {MAX_TOML_BYTES // 1000:,} kB.",
        )
    raw = up.getvalue()[: MAX_TOML_BYTES + 1]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ("error", up.name, f"{up.name} is not a text file (it is not UTF-8 encoded TOML).")
    try:
        sc = scenario_from_toml(text, "")
    except ScenarioError as exc:
        lines = "\n".join(f"- {line}" for line in str(exc).splitlines())
        return ("error", up.name, f"{up.name} is not a valid scenario. What to fix:\n\n{lines}")
    return ("ok", sc.name, scenario_text(sc))


def _show_upload_result() -> None:
    res = st.session_state.get("lab_upload_result")
    if not res:
        return
    if res[0] == "ok":
        st.success(f"Scenario '{res[1]}' loaded and valid. It is now the starting point.")
    else:
        st.error(res[2])


def _base_options() -> dict[str, str]:
    opts = {p.name: p.summary for p in list_presets()}
    up = st.session_state.get("exlab_uploaded")
    if up:
        opts[UPLOAD_PREFIX + up[0]] = "Scenario file you uploaded."
    return opts


def _load_base(choice: str) -> Scenario:
    if choice.startswith(UPLOAD_PREFIX):
        return scenario_from_toml(st.session_state["exlab_uploaded"][1], "upload")
    return load_scenario(choice)


def _levers(base: Scenario, base_name: str) -> tuple[dict, tuple[float, float, float], dict]:
    """Draw the run settings and lever groups; return (overrides, age mix, settings)."""
    k = f"{base_name}"
    st.subheader("Run settings")
    c1, c2 = st.columns(2)
    cons = render_lever(
        lever_spec("population.consumers"), base.population.consumers, f"lab:{k}:consumers", c1
    )
    ticks = render_lever(lever_spec("run.ticks"), base.run.ticks, f"lab:{k}:ticks", c2)
    c3, c4 = st.columns(2)
    seed = render_lever(lever_spec("run.seed"), base.run.seed, f"lab:{k}:seed", c3)
    reps = c4.slider(
        "Replications",
        1,
        10,
        1,
        key=f"lab:{k}:reps",
        help="Runs with seeds seed, seed+1, ...; the charts show their mean and 95% band.",
    )
    firm = 0
    if len(base.firms) > 1:
        names = [f.name for f in base.firms]
        firm = names.index(st.selectbox("Firm whose levers you set", names, key=f"lab:{k}:firm"))

    st.subheader("Levers")
    overrides: dict = {}
    mix = None
    for gi, (group, paths) in enumerate(LEVER_GROUPS.items()):
        with st.expander(group, expanded=gi < 2):
            if paths == MIX_PATHS:
                if base.exchange.schedule:
                    st.caption(
                        "This scenario's mix changes over time (a schedule of "
                        f"{len(base.exchange.schedule)} points); the shares below are the mix "
                        "it ends on. Moving one replaces the schedule by a constant mix."
                    )
                vals = [
                    render_lever(lever_spec(p), get_path(base, p), f"lab:{k}:{p}") for p in paths
                ]
                total = sum(vals)
                if total > 0:
                    shares = [v / total for v in vals]
                    st.caption(
                        "Shares are normalised to sum to one: "
                        + " · ".join(
                            f"{n} {s:.2f}"
                            for n, s in zip(
                                ("restricted", "generalized", "complex"), shares, strict=True
                            )
                        )
                    )
                base_mix = tuple(get_path(base, p) for p in paths)
                mix = (
                    tuple(vals)
                    if any(abs(a - b) > 1e-12 for a, b in zip(vals, base_mix, strict=True))
                    else None
                )
                continue
            for p in paths:
                path = p.replace("firms[0]", f"firms[{firm}]")
                old = get_path(base, path)
                new = render_lever(lever_spec(path), old, f"lab:{k}:{path}")
                if new != old:
                    overrides[path] = new
    return (
        overrides,
        mix,
        {"consumers": int(cons), "ticks": int(ticks), "seed": int(seed), "reps": int(reps)},
    )


def _describe(overrides: dict, mix) -> str:
    parts = [f"{lever_spec(p).label.lower()} = {v}" for p, v in overrides.items()]
    if mix:
        t = sum(mix)
        parts.append("age mix = " + "/".join(f"{m / t:.2f}" for m in mix))
    return "; ".join(parts) if parts else "no lever changed"


def _run(base: Scenario, base_name: str, overrides: dict, mix, settings: dict) -> None:
    try:
        sized = with_overrides(base, {"population.consumers": settings["consumers"]})
        what_if = apply_levers(sized, overrides, mix)
    except ScenarioError as exc:
        st.error(f"These lever values do not make a valid scenario:\n\n{exc}")
        return
    problem = memory_problem(what_if)
    if problem:
        st.error(problem)
        return
    st.session_state["exlab_counter"] = st.session_state.get("exlab_counter", 0) + 1
    label = f"Run {st.session_state['exlab_counter']}"
    bar = st.progress(0.0, text="Starting")

    def show(frac: float, text: str, lo: float, hi: float) -> None:
        bar.progress(min(1.0, lo + (hi - lo) * frac), text=text)

    seed, ticks, reps = settings["seed"], settings["ticks"], settings["reps"]
    base_out = run_replications(
        sized, seed, ticks, reps, lambda f, t: show(f, t, 0.0, 0.5), label="Baseline"
    )
    outs = run_replications(
        what_if, seed, ticks, reps, lambda f, t: show(f, t, 0.5, 1.0), label=label
    )
    bar.empty()
    keep_run(
        KeptRun(
            slot=0,
            label=label,
            base_name=base_name,
            changes={"levers": _describe(overrides, mix)},
            seed=seed,
            ticks=ticks,
            replications=reps,
            consumers=settings["consumers"],
            table=stack_tables(outs, label),
            baseline_table=stack_tables(base_out, "Baseline"),
            summaries=[o.summary for o in outs],
            baseline_summaries=[o.summary for o in base_out],
            scenario_toml=outs[0].scenario_toml,
            scenario_text=scenario_text(what_if),
            wall_s=sum(o.wall_s for o in outs),
        )
    )


# ------------------------------------------------------------------ outputs
def _kpi_cards(run: KeptRun, container, cols: int = 4) -> None:
    now = stats.kpi_table(run.summaries).set_index("outcome")
    base = stats.kpi_table(run.baseline_summaries).set_index("outcome")
    grid = container.columns(cols)
    for i, name in enumerate(k for k in KPIS if k in now.index):
        o = _OUT[name]
        v = float(now.loc[name, "value"])
        b = float(base.loc[name, "value"]) if name in base.index else float("nan")
        ci = now.loc[name, "ci95"]
        how = {"last": "at the end", "mean": "mean over days", "sum": "total over the run"}[
            o.summary
        ]
        help_text = (
            f"{o.meaning} Unit: {o.unit}. Shown: {how}. "
            f"Baseline (preset unchanged): {fmt(name, b)}."
        )
        if math.isfinite(ci):
            help_text += f" 95% CI over {run.replications} replications: ±{fmt(name, ci)}."
        delta = fmt_delta(name, v - b)
        grid[i % cols].metric(
            charts.outcome_label(name),
            fmt(name, v),
            delta=delta,
            delta_color="off" if delta == "no change" else delta_color(name),
            delta_arrow="off" if delta == "no change" else "auto",
            help=help_text,
            border=True,
        )


def _downloads(run: KeptRun, container, key: str) -> None:
    c1, c2, c3 = container.columns(3)
    stem = f"{run.base_name.replace(UPLOAD_PREFIX, '')}_{run.label.replace(' ', '_').lower()}"
    c1.download_button(
        "CSV",
        run.table.to_csv(index=False).encode(),
        f"{stem}.csv",
        "text/csv",
        key=f"dl_csv_{key}",
        on_click="ignore",
        icon=":material/download:",
    )
    buf = io.BytesIO()
    run.table.to_parquet(buf, index=False)
    c2.download_button(
        "Parquet",
        buf.getvalue(),
        f"{stem}.parquet",
        "application/octet-stream",
        key=f"dl_pq_{key}",
        on_click="ignore",
        icon=":material/download:",
    )
    c3.download_button(
        "Scenario TOML",
        run.scenario_toml.encode(),
        f"{stem}.toml",
        "application/toml",
        key=f"dl_toml_{key}",
        on_click="ignore",
        icon=":material/download:",
        help="Seed and days written in: `exlab run FILE` gives the same numbers as replication 1.",
    )


def _series(runs: list[KeptRun]) -> None:
    latest = runs[-1]
    colors = {r.label: theme.slot_color(r.slot) for r in runs}
    colors["Baseline"] = theme.BASELINE_COLOR
    table = pd.concat([latest.baseline_table] + [r.table for r in runs], ignore_index=True)
    band = stats.bands(table, list(SERIES) + list(charts.EXPECTATION_SERIES))
    st.caption(
        f"Lines: mean over replications; shaded: 95% band. Dashed grey: baseline "
        f"({latest.base_name} unchanged, as in {latest.label})."
    )
    c1, c2 = st.columns(2)
    c1.altair_chart(
        charts.run_series_chart(band, "trust", colors, dashed=("Baseline",)), theme=None
    )
    c2.altair_chart(
        charts.run_series_chart(band, "satisfaction", colors, dashed=("Baseline",)), theme=None
    )
    c3, c4 = st.columns(2)
    c3.altair_chart(
        charts.multi_outcome_chart(
            band[band["run"] == latest.label],
            title=f"Expectations vs delivered, {latest.label}",
        ),
        theme=None,
    )
    c4.altair_chart(
        charts.run_series_chart(band, "control_share", colors, dashed=("Baseline",)), theme=None
    )
    c5, c6 = st.columns(2)
    c5.altair_chart(
        charts.run_series_chart(band, "wom_volume", colors, dashed=("Baseline",)), theme=None
    )
    c6.altair_chart(
        charts.run_series_chart(band, "wom_valence", colors, dashed=("Baseline",)), theme=None
    )


def _compare(runs: list[KeptRun]) -> None:
    st.header("Kept runs side by side")
    st.caption(
        f"Up to {MAX_RUNS} runs are kept; a new run replaces the oldest. Each card shows the "
        "change against that run's own baseline."
    )
    cols = st.columns(len(runs))
    for col, run in zip(cols, runs, strict=True):
        col.markdown(
            f"### {theme.swatch(theme.slot_color(run.slot), run.label)}", unsafe_allow_html=True
        )
        col.markdown(
            f"**{run.base_name}** · {run.consumers:,} consumers · {run.ticks} days · "
            f"seed {run.seed} · {run.replications} replication(s)"
        )
        col.caption(run.changes["levers"])
        _kpi_cards(run, col, cols=2 if len(runs) <= 2 else 1)
        _downloads(run, col, f"{run.slot}_{run.label}")
        if col.button("Remove", key=f"remove_{run.label}", icon=":material/close:"):
            remove_run(run.slot)
            st.rerun()
    rows = {}
    for run in runs:
        kt = stats.kpi_table(run.summaries).set_index("outcome")
        rows[run.label] = {
            charts.outcome_label(k): fmt(k, kt.loc[k, "value"]) for k in KPIS if k in kt.index
        }
    st.dataframe(pd.DataFrame(rows), width="stretch")


def render() -> None:
    """Draw the page."""
    st.title("Scenario lab")
    st.caption(
        "Start from a preset, change what a manager decides, and see what it does to trust, "
        "satisfaction, expectations and word-of-mouth, against the preset unchanged."
    )
    left, right = st.columns([1, 2.2], gap="large")
    with left:
        _handle_upload()
        options = _base_options()
        names = list(options)
        if st.session_state.get("lab_base") not in names:
            st.session_state["lab_base"] = "default_bank" if "default_bank" in names else names[0]
        choice = st.selectbox("Start from", names, key="lab_base")
        st.caption(options[choice])
        try:
            base = _load_base(choice)
        except ScenarioError as exc:
            st.error(f"The starting scenario cannot be read:\n\n{exc}")
            return
        overrides, mix, settings = _levers(base, choice)
        go = st.button(
            "Run", type="primary", icon=":material/play_arrow:", width="stretch", key="lab_run"
        )
    with right:
        if go:
            _run(base, choice, overrides, mix, settings)
        runs = kept_runs()
        if not runs:
            st.info(
                "Set the levers on the left and press **Run**. The first run at the default "
                "size takes a few seconds; repeated runs come from the cache."
            )
            return
        latest = runs[-1]
        st.header(f"{latest.label}: {latest.base_name}")
        st.markdown(
            f"{theme.swatch(theme.slot_color(latest.slot), latest.label)} · "
            f"{latest.changes['levers']} · computed in {latest.wall_s:.1f} s",
            unsafe_allow_html=True,
        )
        _kpi_cards(latest, st)
        _downloads(latest, st, "latest")
        _series(runs)
    if len(runs) >= 2:
        _compare(runs)


render()
