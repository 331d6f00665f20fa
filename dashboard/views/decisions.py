"""Decisions: search the firm's levers for the best trade-offs (a Pareto front), open a point in
the Scenario lab; find where a change backfires (scenario discovery); fit the model to a firm's
KPIs (calibration).

Every computation started here is small and bounded in time, with its progress shown: after the
time bound the user sets, the search starts no trial, the discovery no run and the calibration no
generation; what finished by then is analysed and shown. A point of the front and the calibrated
scenario open in the Scenario lab as an uploaded scenario file would.
"""

from __future__ import annotations

import io
import json
import math
import re
import tempfile
import time
import tomllib
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import cost, stats
from dashboard.calibration_data import (
    CAL_PARAMETERS,
    SAMPLE_CSV,
    calibration_toml,
    check_prior,
    fit_chart,
    kpi_title,
    list_calibration_folders,
    one_line,
    param_bounds,
    param_label,
    param_meaning,
    posterior_chart,
    posterior_table,
    result_scenario_toml,
    sample_csv,
    sample_settings,
)
from dashboard.calibration_data import folder_files as cal_folder_files
from dashboard.decisions_data import (
    LEVER_CHOICES,
    Front,
    FrontError,
    Objective,
    decision_toml,
    default_direction,
    fmt_objective,
    front_chart,
    front_from_csv,
    front_from_folder,
    front_table,
    lever_name,
    list_front_folders,
    objective_label,
    objective_short,
    point_label,
    point_overrides,
    point_scenario,
    point_toml,
)
from dashboard.discovery_data import (
    EXAMPLE,
    box_sentence,
    change_words,
    discovery_text,
    folder_files,
    limits_table,
    list_discovery_folders,
    pct,
    robustness_chart,
    robustness_table,
    robustness_words,
    samples_chart,
    trajectory_chart,
)
from dashboard.formatting import OUTCOME_INFO, escape_md, safe_label
from dashboard.lab import UPLOAD_PREFIX
from dashboard.uploads import MAX_NESTING, MAX_UPLOAD_MB, Upload, nesting_depth
from dashboard.widgets import fmt_setting, lever_spec
from sim import Scenario, ScenarioError, load_scenario
from sim.decisions.discover import question
from sim.decisions.spec import COST_OUTCOMES, decision_from_toml, discovery_from_toml
from sim.metrics import OUTCOMES
from sim.scenario import get_path, list_presets, to_toml, with_overrides
from sim.scenario.loader import MAX_TOML_BYTES
from sim.scenario.presets import presets_dir

PARTS = ("Optimize", "Discover", "Calibrate")
PART_ICONS = {"Optimize": ":material/insights:", "Discover": ":material/travel_explore:",
              "Calibrate": ":material/tune:"}
OUTCOME_NAMES = [o.name for o in OUTCOMES]
REDUCE_CHOICES = {"run": "over the run (each outcome's own rule)", "mean": "mean per day",
                  "last": "on the last day"}
#: The default objectives of a new search: the phone lines' cost against trust.
DEFAULT_OBJECTIVES = (
    Objective(("staff_cost_eur", "waiting_cost_eur"), "minimize", "mean"),
    Objective(("trust",), "maximize", "last"),
)
LAB_PAGE = "views/scenario_lab.py"
KEEP = {"persist_state": "session"}


def _escape_lines(text: str) -> str:
    """A ScenarioError's lines as a markdown list, each line escaped."""
    lines = [escape_md(line) for line in str(text).splitlines() if line.strip()]
    return "\n".join(f"- {line}" for line in lines) if len(lines) > 1 else (lines[0] if lines else "")


def _init(key: str, value) -> None:
    """A widget's first value, set once (so that callbacks may change it later)."""
    if key not in st.session_state:
        st.session_state[key] = value


# ------------------------------------------------------------------ a new search
def _objective_widgets(i: int, default: Objective) -> Objective | None:
    okey, dkey, rkey = f"opt_obj{i}_outcomes", f"opt_obj{i}_dir", f"opt_obj{i}_reduce"
    _init(okey, list(default.outcomes))
    _init(dkey, default.direction)
    _init(rkey, default.reduce)

    def follow() -> None:  # a new outcome brings the registry's direction with it
        outs = st.session_state.get(okey) or []
        if outs:
            st.session_state[dkey] = default_direction(outs)

    outs = st.multiselect(
        "Outcomes (summed)",
        OUTCOME_NAMES,
        key=okey,
        format_func=lambda o: objective_short(Objective((o,), "minimize")),
        on_change=follow,
        help="The objective is the sum of these outcomes, each reduced over a run as chosen; a "
        "trial's value is its mean over the replications.",
        **KEEP,
    )
    direction = st.radio("Direction", ("minimize", "maximize"), key=dkey, horizontal=True, **KEEP)
    reduce = st.selectbox("Each run counts", list(REDUCE_CHOICES), key=rkey,
                          format_func=REDUCE_CHOICES.get, **KEEP)
    if not outs:
        return None
    obj = Objective(tuple(outs), direction, reduce)
    label = objective_label(obj)
    meanings = " ".join(f"{objective_short(Objective((o,), direction))}: {OUTCOME_INFO[o].meaning}"
                        for o in outs if o in OUTCOME_INFO)
    st.caption(f"{direction.capitalize()} {escape_md(label[:1].lower() + label[1:])}. {escape_md(meanings)}")
    return obj


def _lever_ranges(base: Scenario, firm: int, chosen: list[str]) -> list[tuple[str, float, float, str]]:
    out = []
    cols = st.columns(2)
    for k, path0 in enumerate(chosen):
        c = next(x for x in LEVER_CHOICES if x.path == path0)
        path = c.at_firm(firm)
        spec = lever_spec(path)
        unit = spec.unit if spec.unit not in ("share", "[0,1]", "quality [0,1]") else ""
        now = get_path(base, path)
        with cols[k % 2]:
            if c.kind == "bool":  # on or off: the search tries both
                st.markdown(f"**{escape_md(c.name)}**: tried on and off", help=spec.meaning)
                st.caption(f"{escape_md(c.group)} · the preset has it {fmt_setting(bool(now))}")
                out.append((path, 0, 1, "bool"))
                continue
            cast = int if c.kind == "int" else float
            lo, hi = st.slider(
                f"{c.name}{f' ({unit})' if unit else ''}: range searched",
                min_value=cast(c.lo),
                max_value=cast(c.hi),
                value=(cast(c.low), cast(c.high)),
                step=cast(c.step),
                key=f"opt_range:{path0}",
                help=f"{spec.meaning} The search tries values between the two ends. "
                f"{'Unit: ' + spec.unit + '. ' if spec.unit else ''}"
                f"Allowed by the model: {spec.lo:g} to {spec.hi:g}.",
                **KEEP,
            )
            if now == 0 and path.endswith(".phone_agents"):
                has = "the preset staffs its lines by the square-root rule (0)"
            else:
                zero = f" (0 = {spec.zero_means})" if spec.zero_means and now == 0 else ""
                has = f"the preset has {fmt_setting(now)}{zero}"
            st.caption(f"{escape_md(c.group)} · {escape_md(has)}")
        out.append((path, lo, hi, c.kind))
    return out


def _size_widgets() -> dict:
    with st.container(horizontal=True, wrap=True, gap="small", key="opt_size"):
        s = {
            "consumers": st.number_input("Consumers", 100, 50_000, 2_000, 500, key="opt_consumers", width=150,
                                         help="Population of every run of the search (the preset's is "
                                         "replaced: small runs give answers in seconds).", **KEEP),
            "ticks": st.number_input("Days per run", 5, 730, 20, 5, key="opt_ticks", width=150, **KEEP),
            "replications": st.number_input("Replications", 1, 10, 2, 1, key="opt_reps", width=150,
                                            help="Runs per trial, averaged; replication r has the same "
                                            "seed in every trial (common random numbers).", **KEEP),
            "trials": st.number_input("Trials", 2, 400, 16, 2, key="opt_trials", width=150,
                                      help="Lever settings tried (NSGA-II with two objectives, TPE with "
                                      "one).", **KEEP),
            "time": st.number_input("Time bound (s)", 5, int(cost.max_run_s()), 60, 5, key="opt_time",
                                    width=150, help="No trial starts after this many seconds; the front "
                                    "is then made of the trials finished and re-evaluated.", **KEEP),
            "seed": st.number_input("Seed", 0, 2**31 - 1, 1, 1, key="opt_seed", width=150, **KEEP),
        }
    return s


def _budget_widgets() -> tuple | None:
    on = st.toggle("A budget on a cost", key="opt_budget_on", help="Trials whose cost is over the "
                   "budget are not on the front.", **KEEP)
    if not on:
        return None
    c1, c2, c3 = st.columns([1.3, 1, 1])
    outs = c1.multiselect("Cost outcomes (summed)", list(COST_OUTCOMES), default=["staff_cost_eur"],
                          key="opt_budget_outcomes", **KEEP)
    reduce = c2.selectbox("Each run counts", list(REDUCE_CHOICES), index=1, key="opt_budget_reduce",
                          format_func=REDUCE_CHOICES.get, **KEEP)
    cap = c3.number_input("Budget (EUR)", 0.0, 1e12, 3000.0, 100.0, key="opt_budget_max", **KEEP)
    return (tuple(outs), reduce, float(cap)) if outs else None


def _search_form() -> None:
    presets = {p.name: p.summary for p in list_presets()}
    names = list(presets)
    c1, c2 = st.columns(2, gap="medium")
    _init("opt_base", "default_bank" if "default_bank" in names else names[0])
    base_name = c1.selectbox("Start from (preset)", names, key="opt_base",
                             help="The scenario whose levers are searched, at the size set below.", **KEEP)
    try:
        base = load_scenario(base_name)
    except ScenarioError as exc:
        st.error(f"The preset cannot be read: {escape_md(exc)}")
        return
    firm = 0
    if len(base.firms) > 1:
        firms = [f.name for f in base.firms]
        firm = firms.index(c1.selectbox("Firm whose levers are searched", firms, key=f"opt_firm:{base_name}"))
    chosen = c2.multiselect(
        "Levers to search",
        [c.path for c in LEVER_CHOICES],
        default=[LEVER_CHOICES[0].path],
        max_selections=4,
        key="opt_levers",
        format_func=lambda p: lever_name(p),
        help="The firm's levers the search moves, within the ranges below (at most four: a small "
        "search explores few levers well).",
        **KEEP,
    )
    st.caption(f"{escape_md(base_name)}: {escape_md(presets.get(base_name, ''))}")
    levers = _lever_ranges(base, firm, chosen) if chosen else []

    st.markdown("**Objectives**")
    o1, o2 = st.columns(2, gap="medium")
    with o1, st.container(border=True):
        obj1 = _objective_widgets(1, DEFAULT_OBJECTIVES[0])
    with o2, st.container(border=True):
        two = st.toggle("A second objective", value=True, key="opt_obj2_on", **KEEP)
        obj2 = _objective_widgets(2, DEFAULT_OBJECTIVES[1]) if two else None
    budget = _budget_widgets()
    st.markdown("**Size and time**")
    size = _size_widgets()

    problems = []
    if not levers:
        problems.append("Choose at least one lever to search.")
    if obj1 is None or (two and obj2 is None):
        problems.append("Choose at least one outcome for each objective.")
    objectives = [o for o in (obj1, obj2) if o is not None]
    if len(objectives) == 2 and objectives[0].name == objectives[1].name:
        problems.append("The two objectives are the same: change one, or switch the second off.")
    if problems:
        st.warning(" ".join(problems))
        return
    name = safe_label(f"{base_name} search").replace(" ", "_")
    text = decision_toml(
        name=name, base=base_name, consumers=int(size["consumers"]), ticks=int(size["ticks"]),
        replications=int(size["replications"]), trials=int(size["trials"]), seed=int(size["seed"]),
        levers=levers, objectives=objectives, budget=budget,
        comment="Written by the ExchangeLab dashboard (Decisions, Optimize).\n"
        f"Run it with: exlab optimize {name}.toml --out results/{name}",
    )
    try:
        dec = decision_from_toml(text, "the page's settings", base_dir=presets_dir(), default_name=name)
    except ScenarioError as exc:
        st.error(f"These settings do not make a valid search:\n\n{_escape_lines(exc)}")
        return
    per_run = cost.predict_run_s(dec.base, int(size["ticks"]))
    runs = dec.trials * dec.replications
    limit = float(size["time"])
    predicted = per_run * runs
    words = (f"Predicted {cost.fmt_duration(predicted)} for {runs} runs ({dec.trials} trials × "
             f"{dec.replications} replications), then the front is run again with fresh seeds.")
    if predicted > limit:
        about = max(1, int(limit / (per_run * dec.replications)))
        words += f" The time bound ({limit:.0f} s) will stop it first, after about {about} trials."
    with st.container(horizontal=True, vertical_alignment="center", gap="medium", key="opt_runbar"):
        go = st.button("Run the search", type="primary", icon=":material/play_arrow:", key="opt_run",
                       width="content")
        st.markdown(escape_md(words), width="stretch")
    with st.expander("Decision file (TOML): the same search from the command line"):
        st.code(text, language="toml")
        st.download_button("Decision file", text, f"{name}.toml", "application/toml", key="opt_dl_decision",
                           on_click="ignore", icon=":material/download:")
    if go:
        _run_search(dec, base_name, limit)


def _run_search(dec, base_name: str, limit: float) -> None:
    from sim.decisions.optimize import optimize
    from sim.experiments.executors import SerialExecutor

    bar = st.progress(0.0, text="Starting the search")
    t0 = time.monotonic()
    seen = {"done": 0}

    def progress(done: int, wanted: int) -> None:
        seen["done"] = done
        spent = time.monotonic() - t0
        if done >= wanted or spent >= limit:
            text = f"{done} of {wanted} trials · running the front again with fresh seeds"
        else:
            text = f"{done} of {wanted} trials · {spent:.0f} s of at most {limit:.0f} s"
        bar.progress(min(1.0, done / max(1, wanted)), text=text)

    with tempfile.TemporaryDirectory(prefix="exlab_optimize_") as tmp:
        try:
            optimize(dec, tmp, SerialExecutor(), progress, time_limit=limit)
            front = front_from_folder(Path(tmp), shown="this search")
        except (ScenarioError, FrontError) as exc:
            bar.empty()
            st.error(f"The search stopped: {escape_md(' '.join(str(exc).split()))}")
            return
        except MemoryError:
            bar.empty()
            st.error("The search ran out of memory: lower the consumers.")
            return
    front.name = dec.name
    front.preset = base_name
    front.base_toml = to_toml(dec.base)
    front.decision_text = dec.text
    front.trials_done, front.trials_wanted = seen["done"], dec.trials
    front.elapsed_s, front.time_limit_s = time.monotonic() - t0, limit
    front.source = "searched here"
    _set_front(front, "new")
    st.rerun()


def _set_front(front: Front, source: str) -> None:
    """Show ``front`` for its source: the search run here ("new"), or the one opened ("finished")."""
    st.session_state[f"dec_front:{source}"] = front
    st.session_state["dec_front_serial"] = st.session_state.get("dec_front_serial", 0) + 1
    st.session_state.pop("dec_point", None)
    st.session_state.pop("dec_chart_last", None)


# ------------------------------------------------------------------ a finished search
def _open_finished() -> None:
    root = stats.results_root()
    c1, c2 = st.columns(2, gap="medium")
    with c1:
        found = list_front_folders(root)
        choice = st.selectbox(
            "Results folder",
            found,
            index=None,
            key="opt_folder",
            accept_new_options=True,
            placeholder="Pick or type a folder with a pareto.csv" if found else "No folder with a pareto.csv yet",
            help=f"Folders written by exlab optimize under the results root ({root}); type a path "
            "relative to it and press Enter to open another.",
        )
        st.caption(f"Folders under {escape_md(root)} that hold a pareto.csv.")
    with c2:
        up = st.file_uploader("Or a pareto.csv file", type=["csv"], key="opt_upload",
                              max_upload_size=MAX_UPLOAD_MB,
                              help="The front exlab optimize writes: point, the levers, each objective "
                              "with its _ci_low and _ci_high.")
    if choice and st.session_state.get("opt_folder_token") != choice:
        st.session_state["opt_folder_token"] = choice
        try:
            folder = stats.safe_folder(choice, root)
            shown = folder.relative_to(root).as_posix() if folder != root else "."
            _set_front(front_from_folder(folder, shown), "finished")
            st.session_state.pop("opt_open_error", None)
        except (stats.ResultsFolderError, FrontError) as exc:
            st.session_state["opt_open_error"] = str(exc)
    if up is not None:
        token = (up.name, up.size, getattr(up, "file_id", ""))
        if st.session_state.get("opt_upload_token") != token:
            st.session_state["opt_upload_token"] = token
            try:
                _set_front(front_from_csv(up.name, up.getvalue()[: 1_000_001]), "finished")
                st.session_state.pop("opt_open_error", None)
            except FrontError as exc:
                st.session_state["opt_open_error"] = str(exc)
    msg = st.session_state.get("opt_open_error")
    if msg:
        st.error(escape_md(msg))


# ------------------------------------------------------------------ the front
def _sync_pick(chart_key: str) -> None:
    """A point clicked in the chart becomes the point picked in the box below it."""
    sel = st.session_state.get(chart_key)
    try:
        picked = sel["selection"]["pick"]
        point = int(picked[0]["point"]) if picked else None
    except (KeyError, TypeError, IndexError, ValueError):
        point = None
    if point is not None and point != st.session_state.get("dec_chart_last"):
        st.session_state["dec_chart_last"] = point
        st.session_state["dec_point"] = point


def _front_words(front: Front) -> str:
    parts = [f"**{escape_md(front.name)}**", escape_md(front.source)]
    n = len(front.points)
    parts.append(f"{n} point{'s' if n != 1 else ''}")
    if front.trials_done is not None and front.trials_wanted:
        parts.append(f"{front.trials_done} of {front.trials_wanted} trials")
    if front.elapsed_s is not None:
        parts.append(f"{front.elapsed_s:.0f} s")
    return " · ".join(parts)


def _front_replications(front: Front) -> str:
    """``3 fresh replications`` (the front is run again with at least two), or ``fresh replications``."""
    try:
        reps = tomllib.loads(front.decision_text).get("replications", 3) if front.decision_text else None
        n = max(int(reps), 2) if reps is not None else None
    except (tomllib.TOMLDecodeError, TypeError, ValueError, RecursionError):
        n = None
    return f"{n} fresh replications" if n else "fresh replications"


def _show_front(front: Front) -> None:
    st.subheader("Pareto front", anchor="pareto-front")
    st.markdown(_front_words(front))
    if (front.trials_done is not None and front.trials_wanted
            and front.trials_done < front.trials_wanted):
        st.info(
            f"The time bound ({front.time_limit_s:.0f} s) stopped the search after {front.trials_done} of "
            f"{front.trials_wanted} trials: the front is made of the trials finished by then. Raise the "
            "time bound, or lower the consumers or days, to try them all.",
            icon=":material/timer:",
        )
    if not front.points:
        st.warning("No trial met the budget (or none finished in time): the front is empty. Raise the "
                   "budget or the time bound, or widen the levers' ranges.")
        return
    objs = list(front.objectives)
    lever = None
    if len(objs) >= 2:
        x_obj, y_obj = objs[0], objs[1]
        if len(objs) > 2:
            c1, c2 = st.columns(2)
            x_obj = c1.selectbox("Horizontal axis", objs, format_func=objective_label, key="dec_x")
            y_obj = c2.selectbox("Vertical axis", [o for o in objs if o != x_obj], format_func=objective_label,
                                 key="dec_y")
    else:
        x_obj, y_obj = None, objs[0]
        if len(front.levers) > 1:
            lever = st.selectbox("Horizontal axis", list(front.levers), format_func=lever_name, key="dec_lever")
    chart_key = f"dec_front_chart_{st.session_state.get('dec_front_serial', 0)}"
    _sync_pick(chart_key)
    points = front.points
    if st.session_state.get("dec_point") not in points:
        st.session_state["dec_point"] = points[0]
    with st.container(key="dec_chart"):
        st.altair_chart(
            front_chart(front, x_obj, y_obj, selected=st.session_state["dec_point"], lever=lever),
            theme=None, key=chart_key, on_select="rerun", selection_mode="pick",
        )
    reps = _front_replications(front)
    st.caption(
        ("Each point is a setting of the levers that no other setting tried beats on both objectives: "
         "along the front, one objective is bought with the other. " if x_obj is not None else
         "With one objective the front is the best setting tried. ")
        + f"Bars, and the ranges in brackets in the table: 95% t intervals over {reps} (the front is "
        "run again with seeds the search did not use). Click a point, or pick it below."
    )
    table = front_table(front)
    if len(table) <= 40:  # a small front: every column wraps to the page's width
        st.table(table.set_index("Point"))
    else:
        st.dataframe(table, hide_index=True, width="stretch", key="dec_table")
    st.selectbox("Point", points, key="dec_point", format_func=lambda p: point_label(front, p))
    _point_actions(front, int(st.session_state["dec_point"]))


def _point_actions(front: Front, point: int) -> None:
    presets = [p.name for p in list_presets()]
    if not front.scenarios and not front.base_toml:
        if front.preset not in presets:
            front.preset = "default_bank" if "default_bank" in presets else presets[0]
        front.preset = st.selectbox(
            "Preset the point's levers are set in", presets, index=presets.index(front.preset),
            key="dec_apply_preset", help="This front carries no scenario of its own: its points open as "
            "this preset with their levers set.")
    label = safe_label(f"{front.name} point {point}")
    preset_size = False
    if front.preset and (front.scenarios or front.base_toml):
        try:
            searched = point_scenario(front, point, label)
            own = load_scenario(front.preset)
        except ScenarioError:
            searched = own = None
        if searched is not None and (searched.population.consumers, searched.run.ticks) != (
                own.population.consumers, own.run.ticks):
            size = st.radio(
                "Open it",
                ("searched", "preset"),
                format_func=lambda s: (
                    f"at the size searched ({searched.population.consumers:,} consumers, {searched.run.ticks} days)"
                    if s == "searched" else
                    f"at the preset's own size ({own.population.consumers:,} consumers, {own.run.ticks} days)"),
                key="dec_size", horizontal=True, **KEEP)
            preset_size = size == "preset"
    try:
        text = point_toml(front, point, label, preset_size)
    except ScenarioError as exc:
        st.error(f"This point's scenario cannot be made: {escape_md(' '.join(str(exc).split()))}")
        return
    row = front.row(point)
    levers = " · ".join(f"{escape_md(lever_name(p))} **{escape_md(fmt_setting(v))}**"
                        for p, v in point_overrides(front, point).items())
    objs = " · ".join(
        f"{escape_md(objective_short(o))} **{escape_md(fmt_objective(o, float(row[o.name])))}**"
        for o in front.objectives
    )
    st.markdown(f"Point {point}: {levers}  \n{objs}")
    with st.container(horizontal=True, wrap=True, gap="small", key="dec_point_actions"):
        go = st.button("Open in Scenario lab", type="primary", icon=":material/open_in_new:", key="dec_open",
                       help="Makes this point's scenario the Scenario lab's starting point, as an uploaded "
                       "scenario file would be, and opens the lab.")
        st.download_button("Point's scenario (TOML)", text, f"{label.replace(' ', '_')}.toml",
                           "application/toml", key="dec_dl_point", on_click="ignore",
                           icon=":material/download:", help="exlab run FILE runs it.")
        st.download_button("Front (pareto.csv)", front.csv, f"{front.name}_pareto.csv", "text/csv",
                           key="dec_dl_front", on_click="ignore", icon=":material/download:")
        if front.decision_text:
            st.download_button("Decision file (TOML)", front.decision_text, f"{front.name}.toml",
                               "application/toml", key="dec_dl_decision", on_click="ignore",
                               icon=":material/download:")
    if go:
        open_in_lab(label, text)


def open_in_lab(label: str, toml_text: str) -> None:
    """Make a scenario the Scenario lab's starting point, as an uploaded file is, and go there."""
    label = safe_label(label)
    prefix = f"lab:{UPLOAD_PREFIX}{label}:"
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]  # the levers of an earlier scenario of the same name
    st.session_state["exlab_uploaded"] = (label, toml_text)
    st.session_state["lab_base"] = UPLOAD_PREFIX + label
    st.session_state["lab_upload_result"] = Upload(True, f"{label}.toml", scenario_name=label,
                                                   toml_text=toml_text)
    st.switch_page(LAB_PAGE)


# ------------------------------------------------------------------ the parts
def _optimize() -> None:
    st.markdown(
        "Which settings of the firm's levers give the best trade-offs? A small search tries lever "
        "settings, keeps those no other beats on every objective (the **Pareto front**), and lets you "
        "open any of them in the Scenario lab."
    )
    source = st.radio("Front", ("new", "finished"), key="opt_source", horizontal=True,
                      label_visibility="collapsed",
                      format_func=lambda s: "Run a new search" if s == "new" else "Open a finished search",
                      **KEEP)
    if source == "new":
        _search_form()
    else:
        _open_finished()
    front = st.session_state.get(f"dec_front:{source}")
    if front is not None:
        _show_front(front)


# ------------------------------------------------------------------ discover
def _read_toml_upload(up) -> tuple[str, str] | str:
    """(name, text) of an uploaded TOML file, or why it cannot be read (one sentence)."""
    data = up.getvalue()[: MAX_TOML_BYTES + 1]
    if up.size > MAX_TOML_BYTES or len(data) > MAX_TOML_BYTES:
        return f"{up.name} is over {MAX_TOML_BYTES // 1000:,} kB; discovery files are smaller."
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"{up.name} is not a text file (it is not UTF-8 encoded TOML)."
    if nesting_depth(text, stop_at=MAX_NESTING + 1) > MAX_NESTING:
        return f"{up.name} nests arrays or tables more than {MAX_NESTING} levels deep; it was not read."
    return Path(up.name).stem or "discovery", text


def _discovery_form() -> None:
    c1, c2 = st.columns(2, gap="medium")
    with c2:
        up = st.file_uploader("Your own discovery file (optional)", type=["toml"], key="disc_upload",
                              max_upload_size=MAX_UPLOAD_MB,
                              help="A discovery file as exlab discover reads it (docs/DECISIONS.md); its base "
                              "must be a preset's name. Without one, the example is used.")
    name, text, base_dir = EXAMPLE.stem, "", EXAMPLE.parent
    if up is not None:
        got = _read_toml_upload(up)
        if isinstance(got, str):
            st.error(escape_md(got))
            return
        name, text = got
        base_dir = presets_dir()
    else:
        try:
            text = EXAMPLE.read_text(encoding="utf-8")
        except OSError:
            st.error(f"The example discovery file {escape_md(EXAMPLE.name)} is missing.")
            return
    try:
        spec = discovery_from_toml(text, name, base_dir=base_dir, default_name=name)
    except (ScenarioError, ValueError, RecursionError) as exc:
        st.error(f"{escape_md(name)} is not a valid discovery file: {escape_md(' '.join(str(exc).split()))}")
        return
    with c1:
        st.markdown(f"**{'The example' if up is None else 'Your file'}: {escape_md(spec.name)}**")
        st.markdown(f"Where {escape_md(question(spec))}?")
        st.caption(f"Change studied: {escape_md(change_words(spec.change))}.")
    dims = pd.DataFrame([
        {"Parameter": d.label or d.path, "Role": role, "Range": f"{d.low:g} to {d.high:g}", "Path": d.path}
        for role, ds in (("lever", spec.levers), ("uncertainty", spec.uncertainties)) for d in ds
    ])
    with st.expander(f"The {len(dims)} parameters sampled", expanded=False):
        st.table(dims.set_index("Parameter"))
    st.markdown("**Size and time**")
    base = spec.base
    with st.container(horizontal=True, wrap=True, gap="small", key="disc_size"):
        samples = st.number_input("Points", 8, 2000, min(spec.samples, 24), 4, key="disc_samples", width=150,
                                  help="Latin hypercube points; each runs with and without the change.")
        reps = st.number_input("Replications", 1, 10, 1, 1, key="disc_reps", width=150,
                               help="Runs per point and arm, averaged; both arms share their seeds.")
        consumers = st.number_input("Consumers", 100, 50_000, min(base.population.consumers, 2000), 500,
                                    key="disc_consumers", width=150)
        ticks = st.number_input("Days per run", 5, 730, min(base.run.ticks, 60), 5, key="disc_ticks", width=150)
        limit = st.number_input("Time bound (s)", 5, int(cost.max_run_s()), 60, 5, key="disc_time", width=150,
                                help="No run starts after this many seconds; the points finished are "
                                "analysed.")
    try:
        sized_text = discovery_text(text, samples=int(samples), replications=int(reps), consumers=int(consumers),
                                    ticks=int(ticks))
        sized = discovery_from_toml(sized_text, name, base_dir=base_dir, default_name=name)
    except (ScenarioError, ValueError, TypeError) as exc:
        st.error(f"These settings do not make a valid discovery: {escape_md(' '.join(str(exc).split()))}")
        return
    runs = sized.samples * sized.replications * 2
    predicted = cost.predict_run_s(sized.base, sized.base.run.ticks) * runs
    words = f"Predicted {cost.fmt_duration(predicted)} for {runs} runs ({sized.samples} points × 2 arms × " \
            f"{sized.replications} replication{'s' if sized.replications != 1 else ''})."
    if predicted > float(limit):
        words += f" The time bound ({float(limit):.0f} s) will stop it first; the points finished are analysed."
    with st.container(horizontal=True, vertical_alignment="center", gap="medium", key="disc_runbar"):
        go = st.button("Run the discovery", type="primary", icon=":material/play_arrow:", key="disc_run",
                       width="content")
        st.markdown(escape_md(words), width="stretch")
    with st.expander("Discovery file (TOML): the same discovery from the command line"):
        st.code(sized_text, language="toml")
        st.download_button("Discovery file", sized_text, f"{name}.toml", "application/toml", key="disc_dl_file",
                           on_click="ignore", icon=":material/download:")
    if go:
        _run_discovery(sized, float(limit))


def _run_discovery(spec, limit: float) -> None:
    from sim.decisions.discover import discover
    from sim.experiments.executors import SerialExecutor

    bar = st.progress(0.0, text="Starting the discovery")
    t0 = time.monotonic()

    def progress(done: int, total: int) -> None:
        spent = time.monotonic() - t0
        text = (f"{done} of {total} runs · {spent:.0f} s of at most {limit:.0f} s" if done < total and spent < limit
                else f"{done} of {total} runs · finding the boxes")
        bar.progress(min(1.0, done / max(1, total)), text=text)

    with tempfile.TemporaryDirectory(prefix="exlab_discover_") as tmp:
        try:
            disc = discover(spec, tmp, SerialExecutor(), progress, time_limit=limit)
        except ScenarioError as exc:
            bar.empty()
            st.error(f"The discovery stopped: {escape_md(' '.join(str(exc).split()))}")
            return
        files = folder_files(Path(tmp))
    disc.out = None
    st.session_state["disc_result"] = {
        "disc": disc, "files": files, "change": dict(spec.change), "outcome": spec.outcome.name,
        "higher": spec.higher_is_better, "source": f"run here in {time.monotonic() - t0:.0f} s",
    }
    st.rerun()


def _open_discovery() -> None:
    from sim.decisions.discover import read_discovery

    root = stats.results_root()
    found = list_discovery_folders(root)
    choice = st.selectbox(
        "Results folder", found, index=None, key="disc_folder", accept_new_options=True,
        placeholder="Pick or type a folder exlab discover wrote" if found else "No discovery folder yet",
        help=f"Folders written by exlab discover under the results root ({root}).")
    st.caption(f"Folders under {escape_md(root)} that hold a finished discovery (summary.json, boxes.csv).")
    if choice and st.session_state.get("disc_folder_token") != choice:
        st.session_state["disc_folder_token"] = choice
        st.session_state.pop("disc_open_error", None)
        try:
            folder = stats.safe_folder(choice, root)
            disc = read_discovery(folder)
            summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
            shown = folder.relative_to(root).as_posix() if folder != root else "."
            st.session_state["disc_result"] = {
                "disc": disc, "files": folder_files(folder), "change": dict(summary.get("change") or {}),
                "outcome": str(summary.get("outcome", "")), "higher": summary.get("higher_is_better"),
                "source": f"folder {shown}",
            }
        except stats.ResultsFolderError as exc:
            st.session_state["disc_open_error"] = str(exc)
        except ScenarioError as exc:
            st.session_state["disc_open_error"] = " ".join(str(exc).split())
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            st.session_state["disc_open_error"] = (f"{choice} could not be read as a finished discovery "
                                                   f"({type(exc).__name__}).")
    msg = st.session_state.get("disc_open_error")
    if msg:
        st.error(escape_md(msg))


def _show_discovery(res: dict) -> None:
    disc = res["disc"]
    st.subheader("Where the outcome happens", anchor="discovery-boxes")
    st.markdown(f"**{escape_md(disc.name)}** · {escape_md(res['source'])}")
    st.markdown(f"**Question.** Where {escape_md(disc.question)}?")
    if res.get("change"):
        st.caption(f"Change studied: {escape_md(change_words(res['change']))}.")
    cases = int(disc.samples["flag"].astype(str).str.lower().isin(("true", "1")).sum()) if len(disc.samples) else 0
    with st.container(horizontal=True, wrap=True, gap="medium", key="disc_counts"):
        st.metric("Points run", f"{disc.points_done} of {disc.points_total}", width=200)
        st.metric("Points where it happens", f"{cases}", width=200)
        st.metric("Base rate", pct(disc.base_rate), width=200,
                  help="Share of the points run where the outcome happens.")
    if disc.note:
        st.info(escape_md(disc.note[:1].upper() + disc.note[1:]) + ".", icon=":material/timer:")
    if not disc.boxes:
        st.info("No box: " + ("the outcome happens at no point sampled." if cases == 0 else
                              "too few points to describe where it happens; run more points."))
    for b in disc.boxes:
        with st.container(border=True, key=f"disc_box_{b.number}"):
            among = "Among the points outside the earlier boxes, the" if b.number > 1 else "The"
            st.markdown(f"**Box {b.number}.** {among} outcome happens **{escape_md(b.words)}**.")
            st.caption(escape_md(box_sentence(b, disc.base_rate)))
            if len(b.limits):
                st.table(limits_table(b, disc.dimensions).set_index("Parameter"))
    labels = {}
    if len(disc.dimensions) and "label" in disc.dimensions:
        labels = dict(zip(disc.dimensions["dimension"], disc.dimensions["label"], strict=False))
    if len(disc.trajectory):
        st.caption("Coverage: the share of all the points where the outcome happens that the box holds. "
                   "Density: the share of the box's points where it happens. Peeling trades the first for "
                   "the second.")
        with st.container(key="disc_trajectory"):
            st.altair_chart(trajectory_chart(disc.trajectory), theme=None)
    dims = [d for d in labels if d in disc.samples.columns]
    if len(dims) >= 2 and len(disc.samples):
        first = [d for d in (disc.boxes[0].limits["dimension"].tolist() if disc.boxes else []) if d in dims]
        defaults = (first + [d for d in dims if d not in first])[:2]
        c1, c2 = st.columns(2)
        x_dim = c1.selectbox("Horizontal axis", dims, index=dims.index(defaults[0]), key="disc_x",
                             format_func=lambda d: labels.get(d, d))
        y_opts = [d for d in dims if d != x_dim]
        y_dim = c2.selectbox("Vertical axis", y_opts,
                             index=y_opts.index(defaults[1]) if defaults[1] in y_opts else 0, key="disc_y",
                             format_func=lambda d: labels.get(d, d))
        with st.container(key="disc_samples_chart"):
            st.altair_chart(samples_chart(disc.samples, x_dim, y_dim, disc.boxes, labels), theme=None)
    if len(disc.robustness):
        st.subheader("Robustness of the change", anchor="discovery-robustness")
        outcome = res.get("outcome") or ""
        st.markdown(escape_md(robustness_words(disc.robustness, outcome, res.get("higher"))))
        st.altair_chart(robustness_chart(disc.robustness, outcome), theme=None)
        st.table(robustness_table(disc.robustness, outcome).set_index("Option"))
    files = res.get("files") or {}
    if files:
        with st.container(horizontal=True, wrap=True, gap="small", key="disc_downloads"):
            for fname, data in files.items():
                st.download_button(fname, data, f"{disc.name}_{fname}",
                                   "text/markdown" if fname.endswith(".md") else "text/csv",
                                   key=f"disc_dl_{fname}", on_click="ignore", icon=":material/download:")


def _discover() -> None:
    st.markdown(
        "Where does a change backfire? A **discovery** samples the firm's levers and the conditions it does "
        "not control, runs every point with and without the change on the same seeds, and describes in plain "
        "words the region where the outcome happens (PRIM boxes)."
    )
    source = st.radio("Discovery", ("new", "finished"), key="disc_source", horizontal=True,
                      label_visibility="collapsed",
                      format_func=lambda s: "Run a discovery" if s == "new" else "Open a finished discovery",
                      **KEEP)
    if source == "new":
        _discovery_form()
    else:
        _open_discovery()
    res = st.session_state.get("disc_result")
    if res is not None:
        _show_discovery(res)


# ------------------------------------------------------------------ calibrate
KPI_FORMAT = (
    "One period column named day, week or month (1, 2, ... from the start) and one column per KPI headed "
    "with an outcome's name and the unit the firm measures it in: churn_rate [%/month], "
    "satisfaction [1-5], trust [%], contacts_human [contacts]. Empty cells are periods not measured."
)


@st.cache_data(max_entries=2, show_spinner=False)
def _sample_csv() -> bytes:
    return sample_csv()


def _calibration_form() -> None:
    from sim.calibration import calibration_from_toml, read_observed
    from sim.calibration.spec import model_customers

    defaults = sample_settings()
    c1, c2 = st.columns(2, gap="medium")
    with c2:
        up = st.file_uploader("Your KPI file (CSV, optional)", type=["csv"], key="cal_upload",
                              max_upload_size=MAX_UPLOAD_MB, help=KPI_FORMAT)
    if up is not None:
        data, file_name = up.getvalue()[: MAX_UPLOAD_MB * 1_000_000 + 1], up.name
        if up.size > MAX_UPLOAD_MB * 1_000_000:
            st.error(f"{escape_md(up.name)} is over {MAX_UPLOAD_MB} MB; KPI files are smaller.")
            return
    else:
        data, file_name = _sample_csv(), SAMPLE_CSV.name
    with c1:
        if up is None:
            st.markdown("**The sample: a bank's monthly KPIs (synthetic)**")
            st.caption("Made by the model itself with hidden values of three parameters, reported as a bank of "
                       "20,000 customers would: a calibration should find those values again.")
        else:
            st.markdown(f"**Your file: {escape_md(file_name)}**")
            st.caption(escape_md(KPI_FORMAT))
    presets = [p.name for p in list_presets()]
    _init("cal_base", defaults["base"] if defaults["base"] in presets else presets[0])
    with st.container(horizontal=True, wrap=True, gap="small", key="cal_model"):
        base_name = st.selectbox("Model (preset)", presets, key="cal_base", width=230,
                                 help="The scenario whose parameters are estimated.", **KEEP)
        consumers = st.number_input("Consumers in the model", 100, 50_000, int(defaults["consumers"]), 250,
                                    key="cal_consumers", width=215, help="The model's population; small runs "
                                    "give answers in seconds.", **KEEP)
        customers = st.number_input("The firm's customers", 1.0, 1e9, float(defaults["customers"]), 1000.0,
                                    key="cal_customers", width=215, format="%.0f",
                                    help="Rescales the firm's counts and money (calls, EUR, ...) to the model's "
                                    "population.", **KEEP)
    try:
        base = load_scenario(base_name)
        sized = with_overrides(base, {"population.consumers": int(consumers)})
        observed = read_observed(io.BytesIO(data), customers=float(customers), model_customers=model_customers(sized),
                                 source=file_name)
    except ScenarioError as exc:
        st.error(f"{escape_md(file_name)} cannot be used: {escape_md(one_line(exc))}")
        return
    with st.expander(f"The data: {len(observed.periods)} {observed.period}s, {len(observed.kpis)} KPIs"):
        st.dataframe(observed.firm.rename(columns={k.outcome: k.column for k in observed.kpis}), width="stretch")
    st.markdown("**What to estimate**")
    options = [p.path for p in CAL_PARAMETERS] + [p for p in defaults["parameters"] if p not in
                                                  {c.path for c in CAL_PARAMETERS}]
    chosen = st.multiselect("Parameters", options, default=[p for p in defaults["parameters"] if p in options],
                            key="cal_params", format_func=param_label, max_selections=4,
                            help="Each gets a uniform prior over the range below (the model's bounds by default, "
                            "narrowed for a small calibration).", **KEEP)
    ranges, problems = [], []
    cols = st.columns(2)
    for k, path in enumerate(chosen):
        lo, hi = param_bounds(path)
        low, high = defaults["parameters"].get(path) or next(((c.low, c.high) for c in CAL_PARAMETERS
                                                              if c.path == path), (lo, hi))
        with cols[k % 2]:
            a, b = st.slider(f"Prior: {param_label(path)}", min_value=lo, max_value=hi,
                             value=(max(lo, float(low)), min(hi, float(high))),
                             step=(hi - lo) / 200 if hi > lo else 0.01, key=f"cal_range:{path}",
                             help=f"{param_meaning(path)} Path: {path}.", **KEEP)
        problem = check_prior(path, a, b)
        if problem:
            problems.append(problem)
        ranges.append((path, a, b))
    kpis = st.multiselect("KPIs to fit", observed.outcomes, default=observed.outcomes, key="cal_outcomes",
                          format_func=lambda o: kpi_title(o, observed.kpi(o).unit))
    st.markdown("**Size and time**")
    with st.container(horizontal=True, wrap=True, gap="small", key="cal_size"):
        pop = st.number_input("Particles", 10, 1000, 10, 5, key="cal_pop", width=150,
                              help="Accepted parameter sets per generation of the ABC-SMC.", **KEEP)
        gens = st.number_input("Generations", 1, 20, 3, 1, key="cal_gens", width=150,
                               help="Generation 0 samples the priors; each next one keeps the closer half.",
                               **KEEP)
        draws = st.number_input("Predictive runs", 2, 500, 10, 2, key="cal_draws", width=150,
                                help="Runs drawn from the posterior for the bands around the data.", **KEEP)
        limit = st.number_input("Time bound (s)", 5, int(cost.max_run_s()), 45, 5, key="cal_time", width=150,
                                help="No generation starts after this many seconds; the one running and the "
                                "predictive runs finish first.", **KEEP)
        seed = st.number_input("Seed", 0, 2**31 - 1, 1, 1, key="cal_seed", width=150, **KEEP)
    if not chosen:
        problems.append("Choose at least one parameter to estimate.")
    if not kpis:
        problems.append("Choose at least one KPI to fit.")
    if problems:
        st.warning(" ".join(problems))
        return
    name = safe_label(Path(file_name).stem or "kpis").replace(" ", "_")
    text = calibration_toml(name=name, base=base_name, consumers=int(consumers), customers=float(customers),
                            outcomes=list(kpis), parameters=ranges, summary="levels", band_draws=int(draws),
                            seed=int(seed), generations=int(gens), population_size=int(pop))
    try:
        cal = calibration_from_toml(text, "the page's settings", base_dir=presets_dir(), default_name=name,
                                    observed_csv=data)
    except ScenarioError as exc:
        st.error(f"These settings do not make a valid calibration: {escape_md(one_line(exc))}")
        return
    per_run = cost.predict_run_s(cal.base, cal.base.run.ticks)
    sims = int(pop) * (1 + 2 * (int(gens) - 1)) + int(draws)
    words = (f"About {sims:,} runs of {cal.base.run.ticks} days (acceptance near one half): predicted "
             f"{cost.fmt_duration(per_run * sims)}.")
    if per_run * sims > float(limit):
        words += f" The time bound ({float(limit):.0f} s) will stop the generations first."
    with st.container(horizontal=True, vertical_alignment="center", gap="medium", key="cal_runbar"):
        go = st.button("Run the calibration", type="primary", icon=":material/play_arrow:", key="cal_run",
                       width="content")
        st.markdown(escape_md(words), width="stretch")
    with st.expander("Calibration file (TOML): the same calibration from the command line"):
        st.code(text, language="toml")
        st.download_button("Calibration file", text, f"{name}.toml", "application/toml", key="cal_dl_file",
                           on_click="ignore", icon=":material/download:")
    if go:
        _run_calibration(cal, float(limit), base_name, text)


def _run_calibration(cal, limit: float, preset: str, text: str) -> None:
    from sim.calibration import calibrate

    bar = st.progress(0.0, text="Starting the calibration (generation 0 samples the priors)")
    t0 = time.monotonic()

    def progress(p) -> None:
        spent = time.monotonic() - t0
        if p.stage == "bands":
            frac = 0.85 + 0.15 * p.simulations / max(1, p.total)
            words = f"Predictive runs: {p.simulations} of {p.total}"
        else:
            frac = 0.85 * min(1.0, p.generation / max(1, p.generations))
            eps = f" · tolerance {p.epsilon:.3g}" if math.isfinite(p.epsilon) else ""
            words = (f"Generation {min(p.generation, p.generations - 1)} of at most {p.generations - 1} · "
                     f"{p.simulations} runs{eps} · {spent:.0f} s of at most {limit:.0f} s")
        bar.progress(min(1.0, frac), text=words)

    with tempfile.TemporaryDirectory(prefix="exlab_calibrate_") as tmp:
        try:
            result = calibrate(cal, tmp, "serial", progress, time_limit=limit)
        except ScenarioError as exc:
            bar.empty()
            st.error(f"The calibration stopped: {escape_md(one_line(exc))}")
            return
        files = cal_folder_files(Path(tmp))
    result.out = None
    st.session_state["cal_result:new"] = {
        "result": result, "files": files, "preset": preset, "text": text, "period": cal.observed.period,
        "source": f"calibrated here in {time.monotonic() - t0:.0f} s",
    }
    st.rerun()


def _open_calibration() -> None:
    from sim.calibration import read_calibration

    root = stats.results_root()
    found = list_calibration_folders(root)
    choice = st.selectbox(
        "Results folder", found, index=None, key="cal_folder", accept_new_options=True,
        placeholder="Pick or type a folder exlab calibrate wrote" if found else "No calibration folder yet",
        help=f"Folders written by exlab calibrate under the results root ({root}).")
    st.caption(f"Folders under {escape_md(root)} that hold a finished calibration (result.json, posterior.csv).")
    if choice and st.session_state.get("cal_folder_token") != choice:
        st.session_state["cal_folder_token"] = choice
        st.session_state.pop("cal_open_error", None)
        try:
            folder = stats.safe_folder(choice, root)
            result = read_calibration(folder)
            meta = {}
            if (folder / "calibration.json").is_file():
                meta = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
            text = str(meta.get("text", "")) if isinstance(meta, dict) else ""
            shown = folder.relative_to(root).as_posix() if folder != root else "."
            st.session_state["cal_result:finished"] = {
                "result": result, "files": cal_folder_files(folder), "preset": _preset_in(text), "text": text,
                "period": _period_of(result), "source": f"folder {shown}",
            }
        except stats.ResultsFolderError as exc:
            st.session_state["cal_open_error"] = str(exc)
        except ScenarioError as exc:
            st.session_state["cal_open_error"] = one_line(exc)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            st.session_state["cal_open_error"] = (f"{choice} could not be read as a finished calibration "
                                                  f"({type(exc).__name__}).")
    msg = st.session_state.get("cal_open_error")
    if msg:
        st.error(escape_md(msg))


def _preset_in(text: str) -> str:
    try:
        base = tomllib.loads(text).get("base", "") if text else ""
    except (tomllib.TOMLDecodeError, RecursionError):
        return ""
    return base if isinstance(base, str) and base in {p.name for p in list_presets()} else ""


def _period_of(result) -> str:
    """``month``, ``week`` or ``day``: the data's period, from the run's days over its last period."""
    try:
        per = result.scenario.run.ticks / max(1, int(result.bands["period"].max()))
    except (KeyError, TypeError, ValueError):
        return "period"
    return {1: "day", 7: "week", 30: "month"}.get(round(per), "period")


def _stopped_words(stopped: str) -> str:
    stopped = re.sub(r"\b1 generations\b", "1 generation", stopped)
    if stopped.startswith("budget: "):
        return "Stopped on its budget: " + stopped.removeprefix("budget: ") + "."
    if stopped.startswith("time limit: "):
        return "Stopped at the time bound: " + stopped.removeprefix("time limit: ") + "."
    return stopped


def _show_calibration(res: dict) -> None:
    result = res["result"]
    st.subheader("Fit against the data", anchor="calibration-fit")
    st.markdown(f"**{escape_md(result.name)}** · {escape_md(res['source'])}")
    with st.container(horizontal=True, wrap=True, gap="medium", key="cal_counts"):
        st.metric("Generations", f"{result.generations}", width=180,
                  help="Generation 0 samples the priors; each next one keeps the parameter sets closest to "
                  "the data.")
        st.metric("Runs of the model", f"{result.simulations:,}", width=180)
        st.metric("Parameters", f"{len(result.posterior)}", width=180)
    st.caption(escape_md(_stopped_words(str(result.stopped))))
    if not result.complete:
        st.info("The time bound stopped the calibration before its budget: the posterior below is that of the "
                "last generation finished. Raise the time bound (or run the calibration file with exlab "
                "calibrate) for a tighter fit.", icon=":material/timer:")
    if result.warnings:
        st.warning("**What these KPIs cannot tell well.**\n\n" + "\n".join(f"- {escape_md(w)}" for w in
                                                                          result.warnings),
                   icon=":material/warning:")
    bands = result.bands
    kpis = bands.drop_duplicates("outcome")[["outcome", "unit"]].to_dict("records")
    period = res.get("period") or "period"
    st.caption("Black points: the firm's values. Blue: what the calibrated model predicts, period by period "
               "(median, and the band holding 90% of the runs drawn from the posterior).")
    cols = st.columns(2)
    for i, k in enumerate(kpis):
        with cols[i % 2].container(key=f"cal_fit_{i}"):
            st.altair_chart(fit_chart(bands, k["outcome"], period, kpi_title(k["outcome"], str(k["unit"]))),
                            theme=None)
    st.subheader("Posterior", anchor="calibration-posterior")
    st.altair_chart(posterior_chart(result.posterior), theme=None)
    st.table(posterior_table(result.posterior).set_index("Parameter"))
    _calibrated_actions(res)


def _calibrated_actions(res: dict) -> None:
    result = res["result"]
    label = safe_label(f"{result.name} calibrated")
    preset = res.get("preset") or ""
    preset_size = False
    if preset:
        try:
            own = load_scenario(preset)
        except ScenarioError:
            own = None
        sc = result.scenario
        if own is not None and (sc.population.consumers, sc.run.ticks) != (own.population.consumers,
                                                                            own.run.ticks):
            size = st.radio(
                "Open it",
                ("calibrated", "preset"),
                format_func=lambda s: (
                    f"at the size calibrated ({sc.population.consumers:,} consumers, {sc.run.ticks} days)"
                    if s == "calibrated" else
                    f"at the preset's own size ({own.population.consumers:,} consumers, {own.run.ticks} days)"),
                key="cal_open_size", horizontal=True, **KEEP)
            preset_size = size == "preset"
    try:
        text = result_scenario_toml(result, label, preset, preset_size)
    except ScenarioError as exc:
        st.error(f"The calibrated scenario cannot be made: {escape_md(one_line(exc))}")
        return
    files = res.get("files") or {}
    with st.container(horizontal=True, wrap=True, gap="small", key="cal_actions"):
        go = st.button("Open in Scenario lab", type="primary", icon=":material/open_in_new:", key="cal_open",
                       help="Makes the calibrated scenario (posterior medians) the Scenario lab's starting "
                       "point, as an uploaded scenario file would be, and opens the lab.")
        st.download_button("Calibrated scenario (TOML)", text, f"{label.replace(' ', '_')}.toml",
                           "application/toml", key="cal_dl_scenario", on_click="ignore",
                           icon=":material/download:")
        for fname in ("posterior.csv", "bands.csv"):
            if fname in files:
                st.download_button(fname, files[fname], f"{result.name}_{fname}", "text/csv",
                                   key=f"cal_dl_{fname}", on_click="ignore", icon=":material/download:")
    if go:
        open_in_lab(label, text)


def _calibrate() -> None:
    st.markdown(
        "Does the model tell a firm's own story? A **calibration** estimates the parameters a firm cannot "
        "observe from its KPI series (ABC-SMC): which values make the model reproduce the data, how sure that "
        "is, and the model with those values, ready for the Scenario lab."
    )
    source = st.radio("Calibration", ("new", "finished"), key="cal_source", horizontal=True,
                      label_visibility="collapsed",
                      format_func=lambda s: "Run a calibration" if s == "new" else "Open a finished calibration",
                      **KEEP)
    if source == "new":
        _calibration_form()
    else:
        _open_calibration()
    res = st.session_state.get(f"cal_result:{source}")
    if res is not None:
        _show_calibration(res)


def render() -> None:
    """Draw the page."""
    st.title("Decisions")
    st.caption(
        "**Optimize**: search the firm's levers for the best trade-offs. **Discover**: find the "
        "conditions in which a change backfires. **Calibrate**: fit the model to a firm's KPIs. "
        "Every run here is small and stops at the time bound you set."
    )
    part = st.segmented_control("Part", PARTS, default="Optimize", key="dec_part", required=True,
                                format_func=lambda p: f"{PART_ICONS[p]} {p}", label_visibility="collapsed",
                                **KEEP)
    {"Optimize": _optimize, "Discover": _discover, "Calibrate": _calibrate}.get(part or "Optimize", _optimize)()


render()
