"""Scenario lab: pick a preset, move the levers a manager controls, run, compare, export.

The levers live in the sidebar and keep their values when the user visits
another page; Run sits in a bar fixed at the bottom of the page, with the
predicted time and the progress; results fill the page, newest first, and
stay in view while the next run computes.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard import charts, cost, stats, theme
from dashboard.cards import kpi_grid
from dashboard.formatting import KPIS, PHONE_KPIS, compact, escape_md, safe_label
from dashboard.lab import (
    UPLOAD_PREFIX,
    change_words,
    comparison_table,
    export_files,
    export_stem,
    hours_problem,
    replication_values,
)
from dashboard.runs import (
    MAX_RUNS,
    Job,
    KeptRun,
    apply_levers,
    cached_count,
    keep_run,
    kept_runs,
    memory_problem,
    remove_run,
    replication_seeds,
    run_jobs,
    scenario_text,
    stack_tables,
)
from dashboard.uploads import MAX_UPLOAD_MB, read_upload
from dashboard.widgets import LEVER_GROUPS, fmt_setting, lever_spec, render_lever
from sim import Scenario, ScenarioError, load_scenario
from sim.scenario import get_path, list_presets, scenario_from_toml, with_overrides
from sim.scenario.loader import MAX_TOML_BYTES

#: The time series shown for every run.
SERIES = ("trust", "satisfaction", "wom_volume", "wom_valence", "control_share")
MIX_PATHS = LEVER_GROUPS["Exchange age mix"]
#: What a lever group is about, under its title.
GROUP_NOTES = {
    "Phone lines": "Calls wait on the line for a free agent while the lines are open; callers who "
    "lose patience hang up, some call again. Hours and the cost per agent-hour apply to every firm.",
    "Back office": "Requests relayed by call platforms wait in the back office's backlog; phone "
    "calls are answered by the phone agents above.",
}
#: Replications offered besides the automatic choice.
REPLICATION_CHOICES = ("auto", 1, 2, 3, 4, 5, 6, 8, 10)
# ------------------------------------------------------------------ starting point
def _handle_upload() -> None:
    with st.expander("Open a scenario file (.toml)", expanded=False):
        up = st.file_uploader(
            "Scenario file",
            type=["toml"],
            key="lab_upload",
            max_upload_size=MAX_UPLOAD_MB,
            help=f"A scenario TOML file of at most {MAX_TOML_BYTES // 1000:,} kB. "
            "It is read as data and checked against the schema.",
        )
        if up is None:
            return
        token = (up.name, up.size, getattr(up, "file_id", ""))
        if st.session_state.get("lab_upload_token") != token:
            st.session_state["lab_upload_token"] = token
            res = read_upload(up.name, up.size, up.getvalue()[: MAX_TOML_BYTES + 1])
            st.session_state["lab_upload_result"] = res
            if res.ok:
                label = safe_label(res.scenario_name)
                st.session_state["exlab_uploaded"] = (label, res.toml_text)
                st.session_state["lab_base"] = UPLOAD_PREFIX + label
        res = st.session_state.get("lab_upload_result")
        if res is None:
            return
        if res.ok:
            st.success(
                f"Scenario '{escape_md(res.scenario_name)}' loaded and valid. "
                "It is now the starting point."
            )
        else:
            st.error(_escape_lines(res.message))


def _escape_lines(text: str) -> str:
    """Escape user text line by line, keeping the message's own bullet points."""
    out = []
    for line in text.splitlines():
        out.append("- " + escape_md(line[2:]) if line.startswith("- ") else escape_md(line))
    return "\n".join(out)


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


def _choose_base() -> tuple[str, Scenario | None]:
    options = _base_options()
    names = list(options)
    if st.session_state.get("lab_base") not in names:
        st.session_state["lab_base"] = "default_bank" if "default_bank" in names else names[0]
    choice = st.selectbox(
        "Start from",
        names,
        key="lab_base",
        format_func=lambda n: options.get(n) or n,
        help="Each preset answers one question; the list shows the question.",
    )
    if choice.startswith(UPLOAD_PREFIX):
        st.caption("The scenario file you uploaded, as read and checked.")
    else:  # the box is narrow: the whole question, then the file it comes from
        st.caption(f"{escape_md(options[choice])} (preset file {escape_md(choice)}.toml)")
    try:
        return choice, _load_base(choice)
    except ScenarioError as exc:
        st.error(f"The starting scenario cannot be read:\n\n{escape_md(exc)}")
        return choice, None


# ------------------------------------------------------------------ levers
def _lever(spec, value, key: str, problems: list[str]):
    new = render_lever(spec, value, key)
    problem = spec.problem(new)
    if problem:
        st.error(problem, icon=":material/error:")
        problems.append(problem)
    return new


def _levers(base: Scenario, base_name: str) -> dict:
    """Draw the run settings and lever groups; return what the user set and what is wrong."""
    k = base_name
    problems: list[str] = []
    changed_box = st.container(key="lab_changed")
    st.subheader("Run settings")
    cons = _lever(
        lever_spec("population.consumers"), base.population.consumers, f"lab:{k}:consumers", problems
    )
    ticks = _lever(lever_spec("run.ticks"), base.run.ticks, f"lab:{k}:ticks", problems)
    seed = _lever(lever_spec("run.seed"), base.run.seed, f"lab:{k}:seed", problems)
    reps = st.selectbox(
        "Replications",
        REPLICATION_CHOICES,
        key=f"lab:{k}:reps",
        format_func=lambda r: "Automatic, from the predicted cost" if r == "auto" else str(r),
        help="Runs with seeds seed, seed+1, ...; the cards and charts show their mean and 95% "
        "band, and whether a change is more than the noise between them. Automatic: 5 when one "
        "run is predicted under 2 s, 3 under 10 s, 2 under 30 s, else 1.",
        persist_state="session",
    )
    firm = 0
    if len(base.firms) > 1:
        names = [f.name for f in base.firms]
        firm = names.index(
            st.selectbox(
                "Firm whose levers you set", names, key=f"lab:{k}:firm", persist_state="session"
            )
        )

    st.subheader("Levers")
    overrides: dict = {}
    changes: dict[str, tuple] = {}
    mix = None
    for gi, (group, paths) in enumerate(LEVER_GROUPS.items()):
        with st.expander(group, expanded=gi < 3):
            if group in GROUP_NOTES:
                st.caption(GROUP_NOTES[group])
            if paths == MIX_PATHS:
                if base.exchange.schedule:
                    st.caption(
                        "This scenario's mix changes over time (a schedule of "
                        f"{len(base.exchange.schedule)} points); the shares below are the mix "
                        "it ends on. Moving one replaces the schedule by a constant mix."
                    )
                vals = [
                    _lever(lever_spec(p), get_path(base, p), f"lab:{k}:{p}", problems)
                    for p in paths
                ]
                total = sum(vals)
                names3 = ("restricted", "generalized", "complex")
                if total > 0:
                    st.caption(
                        "Shares are normalised to sum to one: "
                        + " · ".join(f"{n} {v / total:.2f}" for n, v in zip(names3, vals, strict=True))
                    )
                base_mix = tuple(get_path(base, p) for p in paths)
                if any(abs(a - b) > 1e-12 for a, b in zip(vals, base_mix, strict=True)):
                    mix = tuple(vals)
                    changes["exchange mix"] = (
                        "/".join(f"{b / (sum(base_mix) or 1):.2f}" for b in base_mix),
                        "/".join(f"{v / (total or 1):.2f}" for v in vals),
                    )
                continue
            set_now = {}
            for p in paths:
                path = p.replace("firms[0]", f"firms[{firm}]")
                old = get_path(base, path)
                new = _lever(lever_spec(path), old, f"lab:{k}:{path}", problems)
                set_now[path] = new
                if new is not None and new != old:
                    overrides[path] = new
                    changes[path] = (old, new)
            problem = hours_problem(
                set_now.get("channels.phone_open_h"), set_now.get("channels.phone_close_h")
            )
            if problem:
                st.error(problem, icon=":material/error:")
                problems.append(problem)
    if cons is not None and cons != base.population.consumers:
        changes["population.consumers"] = (base.population.consumers, cons)
    if ticks is not None and ticks != base.run.ticks:
        changes["run.ticks"] = (base.run.ticks, ticks)
    if seed is not None and seed != base.run.seed:
        changes["run.seed"] = (base.run.seed, seed)
    with changed_box:
        _changed_versus_preset(base_name, changes)
    return {
        "consumers": cons,
        "ticks": ticks,
        "seed": seed,
        "reps": None if reps == "auto" else int(reps),
        "overrides": overrides,
        "mix": mix,
        "changes": changes,
        "problems": problems,
    }


def _reset_levers(base_name: str) -> None:
    prefix = f"lab:{base_name}:"
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


def _changed_versus_preset(base_name: str, changes: dict[str, tuple]) -> None:
    with st.container(border=True):
        if not changes:
            st.markdown(f"**Changed versus the preset:** nothing yet; a run gives {escape_md(base_name)} as it is.")
            return
        items = "\n".join(f"- {escape_md(w)}" for w in change_words(changes))
        st.markdown(f"**Changed versus the preset** ({len(changes)}):\n\n{items}")
        st.button(
            "Back to the preset",
            key="lab_reset_levers",
            on_click=_reset_levers,
            args=(base_name,),
            icon=":material/undo:",
        )


# ------------------------------------------------------------------ the plan and the run
def _prepare(base: Scenario, base_name: str, s: dict) -> dict:
    """The what-if, its baseline and the plan of the run, or the reasons it cannot run."""
    out = {"base_name": base_name, "settings": s, "problems": list(s["problems"])}
    if out["problems"]:
        return out
    try:
        sized = with_overrides(base, {"population.consumers": int(s["consumers"])})
        what_if = apply_levers(sized, s["overrides"], s["mix"])
    except ScenarioError as exc:
        out["problems"].append(f"These lever values do not make a valid scenario: {exc}")
        return out
    problem = memory_problem(what_if)
    if problem:
        out["problems"].append(problem)
        return out
    per_run = cost.predict_run_s(what_if, int(s["ticks"]))
    reps = s["reps"] if s["reps"] is not None else cost.auto_replications(per_run)
    seeds = replication_seeds(int(s["seed"]), reps)
    texts = [scenario_text(sized), scenario_text(what_if)]
    distinct = sorted(set(texts))  # no lever changed: the what-if is the baseline, run once
    cached = cached_count(distinct, seeds, int(s["ticks"]))
    out.update(
        sized=sized,
        what_if=what_if,
        plan=cost.plan(per_run, s["reps"], cached=cached, scenarios=len(distinct)),
        seeds=seeds,
        texts=texts,
    )
    return out


def _describe(changes: dict[str, tuple]) -> str:
    words = [w for w in change_words(changes)]
    return "; ".join(words) if words else "no lever changed"


def _run(req: dict, show) -> None:
    """Compute the baseline and the what-if (or take them from the cache) and keep the run."""
    s, plan = req["settings"], req["plan"]
    st.session_state["exlab_counter"] = st.session_state.get("exlab_counter", 0) + 1
    label = f"Run {st.session_state['exlab_counter']}"
    ticks = int(s["ticks"])
    jobs = [
        Job("Baseline", req["texts"][0], tuple(req["seeds"]), ticks),
        Job(label, req["texts"][1], tuple(req["seeds"]), ticks),
    ]
    try:
        base_res, res = run_jobs(jobs, show)
    except (ScenarioError, MemoryError) as exc:
        st.session_state["lab_run_error"] = f"The run stopped: {exc}"
        return
    outs, base_out = res.outputs, base_res.outputs
    computed = sum(not c for c in base_res.from_cache + res.from_cache)
    keep_run(
        KeptRun(
            slot=0,
            label=label,
            base_name=req["base_name"],
            changes={"levers": _describe(s["changes"])},
            seed=int(s["seed"]),
            ticks=ticks,
            replications=plan.replications,
            consumers=int(s["consumers"]),
            table=stack_tables(outs, label),
            baseline_table=stack_tables(base_out, "Baseline"),
            summaries=[o.summary for o in outs],
            baseline_summaries=[o.summary for o in base_out],
            scenario_toml=outs[0].scenario_toml,
            scenario_text=scenario_text(req["what_if"]),
            wall_s=base_res.elapsed_s + res.elapsed_s,
            baseline_toml=base_out[0].scenario_toml,
            levers=dict(s["changes"]),
            computed=computed,
            from_cache=len(base_res.from_cache) + len(res.from_cache) - computed,
            auto_replications=plan.auto,
        )
    )
    st.session_state["lab_scroll"] = True
    st.session_state["lab_confirm_reset"] = True


def _run_bar(req: dict) -> tuple[bool, object]:
    """The bar fixed at the bottom: Run, the prediction, confirmation; returns (go, progress slot)."""
    plan = req.get("plan")
    with st.container(key="lab_runbar"):
        with st.container(horizontal=True, vertical_alignment="center", gap="medium", wrap=False):
            go = st.button(
                "Run",
                type="primary",
                icon=":material/play_arrow:",
                key="lab_run",
                width="content",
                help="Runs the what-if and, with the same seeds, the preset unchanged (the baseline).",
            )
            if req["problems"]:
                more = len(req["problems"]) - 1
                st.markdown(
                    f":red[**Cannot run:** {escape_md(req['problems'][0])}"
                    + (f" (and {more} more, marked in the sidebar)" if more else "")
                    + "]",
                    width="stretch",
                )
            elif plan is not None:
                st.markdown(
                    escape_md(plan.short_words()),
                    width="stretch",
                    help=f"{plan.time_words()} {plan.replications_words()}",
                )
                if plan.verdict == "confirm":
                    if st.session_state.pop("lab_confirm_reset", False):
                        st.session_state.pop("lab_confirm", None)
                    st.checkbox("Start it anyway", key="lab_confirm", width="content")
        if plan is not None and not req["problems"] and plan.verdict == "refuse":
            st.error(
                f"This run is predicted to take {cost.fmt_duration(plan.total_s)}, more than "
                f"the {cost.fmt_duration(plan.cap_s)} this server allows "
                "(EXLAB_DASHBOARD_MAX_RUN_S). Lower the population, the days or the "
                "replications, or run it from the command line (exlab run)."
            )
        slot = st.empty()
    return go, slot


def _refusal(req: dict) -> str | None:
    """Why pressing Run does nothing, or None when the run may start."""
    if req["problems"]:
        return "Not run: " + " ".join(req["problems"])
    plan = req["plan"]
    if plan.verdict == "refuse":
        return (
            f"Not run: predicted {cost.fmt_duration(plan.total_s)}, over the "
            f"{cost.fmt_duration(plan.cap_s)} limit."
        )
    if plan.verdict == "confirm" and not st.session_state.get("lab_confirm"):
        return (
            f"Not run yet: it is predicted to take {cost.fmt_duration(plan.total_s)}. Tick "
            "'start it anyway' and press Run again."
        )
    return None


# ------------------------------------------------------------------ outputs
def _kpi_cards(run: KeptRun) -> None:
    if run.replications < 2:
        st.caption(
            "One replication: no band, so no change can be told from noise. Choose 2 or more "
            "replications (or Automatic) to see which changes are real."
        )
    else:
        st.caption(
            f"Mean of {run.replications} replications against the baseline with the same seeds. "
            "A change whose 95% interval includes zero is marked *within noise* (grey)."
        )
    kpi_grid("kpi_grid", KPIS, run.summaries, run.baseline_summaries)


def _clock(hour: float) -> str:
    """An hour of the day as a clock reads it: 8.5 -> ``08:30``."""
    minutes = round(hour * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _phone_words(run: KeptRun) -> str:
    """The phone lines of the what-if in one sentence: hours, staffing, calls offered."""
    sc = scenario_from_toml(run.scenario_text, "dashboard")
    ch = sc.channels
    hours = (
        "open around the clock"
        if ch.phone_open_h <= 0 and ch.phone_close_h >= 24
        else f"open {_clock(ch.phone_open_h)} to {_clock(ch.phone_close_h)}"
    )
    staffing = [
        f"{escape_md(f.name)}: {f.phone_agents:,} agent{'s' if f.phone_agents > 1 else ''} set"
        if f.phone_agents
        else f"{escape_md(f.name)}: staffed to the calls by the square-root rule "
        f"(β = {fmt_setting(f.staffing_beta)})"
        for f in sc.firms
    ]
    calls = pd.Series(replication_values(run.summaries, "calls_offered")).mean()
    offered = f"{compact(calls)} calls offered over the run" if math.isfinite(calls) else ""
    return " · ".join(p for p in (f"Lines {hours}", "; ".join(staffing), offered) if p) + "."


def _phone_cards(run: KeptRun) -> None:
    st.subheader("Phone lines")
    st.caption(
        "Callers wait on the line for a free agent while the lines are open; impatient ones hang "
        "up, some call again. " + _phone_words(run)
    )
    kpi_grid("kpis_phone", PHONE_KPIS, run.summaries, run.baseline_summaries)


#: The downloads of a run: (button, file in export_files, extension, MIME type, icon, tooltip).
_DOWNLOADS = (
    ("CSV", "tables.csv", "csv", "text/csv", "download",
     "Every day of every replication, the what-if and its baseline (column run)."),
    ("Parquet", "tables.parquet", "parquet", "application/octet-stream", "download",
     "The same table as the CSV."),
    ("Scenario TOML", "what_if.toml", "toml", "application/toml", "download",
     "The what-if with its seed and days written in, and the levers changed in its header: "
     "`exlab run FILE` gives the same numbers as replication 1."),
    ("Everything (.zip)", "zip", "zip", "application/zip", "folder_zip",
     "What-if and baseline scenarios (TOML), their tables (CSV) and the lever settings (JSON)."),
)


def _downloads(run: KeptRun, key: str) -> None:
    stem = export_stem(run)
    files = export_files(run)
    with st.container(horizontal=True, wrap=True, gap="small"):
        for label, name, ext, mime, icon, help_text in _DOWNLOADS:
            data = files[name]
            st.download_button(
                label,
                data.encode() if isinstance(data, str) else data,
                f"{stem}.{ext}",
                mime,
                key=f"dl_{ext}_{key}",
                on_click="ignore",
                icon=f":material/{icon}:",
                help=help_text,
            )


def _series(runs: list[KeptRun]) -> None:
    latest = runs[-1]
    colors = {r.label: theme.slot_color(r.slot) for r in runs}
    colors["Baseline"] = theme.BASELINE_COLOR
    table = pd.concat([latest.baseline_table] + [r.table for r in runs], ignore_index=True)
    band = stats.bands(table, list(SERIES) + list(charts.EXPECTATION_SERIES))
    st.caption(
        f"Lines: mean over replications; shaded: 95% band. Dashed grey: baseline "
        f"({escape_md(latest.base_name)} unchanged, as in {latest.label})."
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


_CELL = {"better": "#D9F0D3", "worse": "#F6D5D5", "within noise": "#EEEEEE"}


def _compare(runs: list[KeptRun]) -> None:
    st.header("Kept runs side by side")
    st.caption(
        f"Up to {MAX_RUNS} runs are kept; a new run replaces the oldest. The B − A columns give "
        "each run's change against the reference run A, in units and in percent, marked better, "
        "worse or within noise (the 95% interval of the difference includes zero)."
    )
    labels = [r.label for r in runs]
    ref_label = st.selectbox(
        "Reference run (A)", labels, key="lab_ref", help="The run every other run is compared to."
    )
    ref = next(r for r in runs if r.label == ref_label)
    table, verdicts = comparison_table(runs, ref)

    def color(col: pd.Series) -> list[str]:
        v = verdicts[col.name] if col.name in verdicts else pd.Series("", index=col.index)
        return [f"background-color: {_CELL[x]}" if x in _CELL else "" for x in v]

    # Every KPI in view, the phone lines' included: a row is 35 px, and the header another.
    st.dataframe(table.style.apply(color, axis=0), width="stretch", height=35 * (len(table) + 1) + 3)
    cols = st.columns(len(runs))
    for col, run in zip(cols, runs, strict=True):
        with col:
            st.html(f"<b>{theme.swatch(theme.slot_color(run.slot), run.label)}</b>")
            st.markdown(
                f"**{escape_md(run.base_name)}** · {run.consumers:,} consumers · {run.ticks} days · "
                f"seed {run.seed} · {run.replications} replication(s)"
            )
            st.caption(escape_md(run.changes["levers"]))
            _downloads(run, f"{run.slot}_{run.label}")
            if st.button("Remove", key=f"remove_{run.label}", icon=":material/close:"):
                remove_run(run.slot)
                st.rerun()


#: Brings the newest results to the top of the view once they are drawn (retrying while
#: Streamlit mounts them).
_SCROLL_JS = """
<script>
(function () {
  let tries = 0;
  function go() {
    const el = document.querySelector('.st-key-lab_results');
    if (el) { el.scrollIntoView({block: 'start'}); return; }
    if (tries++ < 40) { setTimeout(go, 100); }
  }
  setTimeout(go, 50);
})();
</script>
"""


def _results(runs: list[KeptRun]) -> None:
    latest = runs[-1]
    with st.container(key="lab_results"):
        st.header(f"{latest.label}: {escape_md(latest.base_name)}")
        st.html(theme.swatch(theme.slot_color(latest.slot), latest.label))
        st.markdown(
            f"{escape_md(latest.changes['levers'])} · {latest.replications} replication(s) · "
            f"{latest.consumers:,} consumers · {latest.ticks} days · {latest.timing_words}"
        )
    if st.session_state.pop("lab_scroll", False):
        st.html(_SCROLL_JS, unsafe_allow_javascript=True)
    _kpi_cards(latest)
    _phone_cards(latest)
    _downloads(latest, "latest")
    _series(runs)


def render() -> None:
    """Draw the page."""
    st.title("Scenario lab")
    st.caption(
        "Start from a preset, change what a manager decides (sidebar), press **Run** at the "
        "bottom, and see what it does to trust, satisfaction, expectations and word-of-mouth, "
        "against the preset unchanged."
    )
    with st.sidebar:
        _handle_upload()
        base_name, base = _choose_base()
        settings = _levers(base, base_name) if base is not None else None
    if base is None or settings is None:
        return
    req = _prepare(base, base_name, settings)
    with st.bottom:
        go, slot = _run_bar(req)
    message = st.session_state.pop("lab_run_error", None)
    if go:
        message = _refusal(req)
    if message:
        with slot:
            st.error(escape_md(message))
    runs = kept_runs()
    if runs:
        _results(runs)
        if len(runs) >= 2:
            _compare(runs)
    else:
        st.info(
            "Set the levers in the sidebar and press **Run** in the bar at the bottom. Runs of "
            "the default size take a second or two; repeated runs come from the cache."
        )
    if go and not message:
        bar = slot.progress(0.0, text="Starting")
        _run(req, lambda f, t: bar.progress(min(1.0, f), text=escape_md(t)))
        st.rerun()


render()
