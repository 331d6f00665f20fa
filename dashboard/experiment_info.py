"""An experiment's question and design in plain words, and how far its sensitivity indices hold.

Pure functions over the batch runner's ``manifest.json`` (as a dict) and its
``sensitivity.csv`` (as a DataFrame); nothing here draws. Every string that
comes from the folder is returned as plain text: the page escapes it.
"""

from __future__ import annotations

import math
import tomllib
from typing import Any

import pandas as pd

from dashboard.uploads import MAX_NESTING, nesting_depth
from dashboard.widgets import lever_spec

__all__ = [
    "MORRIS_MIN_TRAJECTORIES",
    "SOBOL_MIN_SAMPLES",
    "design_lines",
    "keep_mode",
    "param_words",
    "question",
    "sensitivity_guide",
    "sensitivity_warnings",
]

#: Base samples N below which Sobol indices are treated as unreliable (SALib's examples use 1024).
SOBOL_MIN_SAMPLES = 256
#: Morris trajectories below which the screening is treated as unreliable (Campolongo et al. 2007: 10 to 50).
MORRIS_MIN_TRAJECTORIES = 10

_KINDS = {
    "full_factorial": "full factorial (every combination of the levels)",
    "latin_hypercube": "Latin hypercube sample",
    "sobol": "Sobol (Saltelli) sample for variance-based sensitivity",
    "morris": "Morris screening (one parameter moved at a time along random trajectories)",
}


def _section(data: Any, key: str) -> dict:
    """``data[key]`` when both are mappings, else an empty dict (manifests are read defensively)."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _experiment_toml(manifest: dict) -> dict:
    text = _section(manifest, "experiment").get("text") or ""
    if not isinstance(text, str) or len(text) > 1_000_000:
        return {}
    if nesting_depth(text, stop_at=MAX_NESTING + 1) > MAX_NESTING:
        return {}
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return {}


def question(manifest: dict) -> str | None:
    """The question the experiment asks: its ``description``, else its file's first comment."""
    data = _experiment_toml(manifest)
    desc = data.get("description")
    if isinstance(desc, str) and desc.strip():
        return desc.strip()
    text = _section(manifest, "experiment").get("text") or ""
    if isinstance(text, str):
        for line in text.splitlines():
            if line.startswith("#") and line.lstrip("#").strip():
                return line.lstrip("#").strip()
            if line.strip() and not line.startswith("#"):
                break
    return None


_SECTIONS = {"wom": "Word-of-mouth"}


def param_words(path: str) -> str:
    """``firms[*].quality`` -> ``Quality, every firm (firms[*].quality)``."""
    try:
        spec = lever_spec(path.replace("[*]", "[0]"))
    except (KeyError, ValueError):
        return path
    who = ", every firm" if "firms[*]" in path else ", every intermediary" if "[*]" in path else ""
    label = spec.label
    section = path.split(".")[0].split("[")[0]
    if section not in ("firms", "exchange", "intermediaries", "segments"):
        name = _SECTIONS.get(section, section.replace("_", " ").capitalize())
        if name.lower() not in label.lower():
            label = f"{name} {label[:1].lower()}{label[1:]}"
    return f"{label}{who} ({path})"


def _num(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def _levels(p: dict) -> str:
    values = p.get("values")
    if values:
        shown = [_num(v) for v in values]
        return "at " + (", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0])
    rng = p.get("range") or [None, None]
    steps = p.get("steps")
    if steps:
        return f"at {steps} evenly spaced levels from {_num(rng[0])} to {_num(rng[1])}"
    return f"drawn from {_num(rng[0])} to {_num(rng[1])}"


def keep_mode(manifest: dict) -> str:
    """``"series"`` (every day kept) or ``"summary"`` (run summaries at chosen days)."""
    return str(_section(manifest, "outcomes").get("keep") or "series")


def design_lines(manifest: dict) -> list[str]:
    """The design in a few plain sentences: kind and size, what varies, the base, outcomes, status."""
    if not isinstance(manifest, dict) or not manifest:
        return []
    lines: list[str] = []
    design = _section(manifest, "design")
    kind = str(design.get("kind", ""))
    points, reps = design.get("points"), design.get("replications")
    size = ""
    if isinstance(points, int) and isinstance(reps, int):
        size = f": {points} design points x {reps} replication(s) = {points * reps:,} runs"
    sample = ""
    if kind == "sobol" and design.get("samples"):
        sample = f" (base sample N = {design['samples']})"
    elif kind == "morris" and design.get("samples"):
        sample = f" ({design['samples']} trajectories, {design.get('levels', '?')} grid levels)"
    elif kind == "latin_hypercube" and design.get("samples"):
        sample = f" ({design['samples']} points)"
    seed = f", root seed {design['seed']}" if design.get("seed") is not None else ""
    crn = " Replication r uses the same seed at every point." if design.get("common_random_numbers") else ""
    lines.append(f"Design: {_KINDS.get(kind, kind or 'unknown')}{sample}{size}{seed}.{crn}")
    params = [p for p in design.get("parameters") or [] if isinstance(p, dict)]
    if params:
        parts = [f"{param_words(str(p.get('path')))} {_levels(p)}" for p in params]
        lines.append("Varied: " + "; ".join(parts) + ".")
    base = _section(manifest, "base_scenario")
    exp = _experiment_toml(manifest)
    fixed = _section(exp, "base").get("set") or {}
    ticks = _section(manifest, "outcomes").get("ticks")
    words = f"Base scenario: {base.get('ref', 'not recorded')}"
    if isinstance(fixed, dict) and fixed:
        words += " with " + ", ".join(f"{k} = {_num(v)}" for k, v in list(fixed.items())[:6])
    if ticks:
        words += f", run for {ticks} days"
    lines.append(words + ".")
    out = _section(manifest, "outcomes")
    names = [str(n).replace("_", " ") for n in out.get("names") or []]
    if names:
        if keep_mode(manifest) == "summary":
            at = out.get("at_ticks") or [ticks]
            how = "each run's summary (last, mean or total) at day(s) " + ", ".join(map(str, at))
        else:
            how = "every day"
        lines.append(f"Outcomes: {', '.join(names)}; kept {how}.")
    counts = _section(manifest, "counts")
    if counts:
        lines.append(
            f"Status: {manifest.get('status', 'unknown')}: {counts.get('done', '?')} of "
            f"{counts.get('planned', '?')} runs done, {counts.get('failed', 0)} failed, "
            f"{counts.get('missing', 0)} missing."
        )
    return lines


def _method(sens: pd.DataFrame, manifest: dict) -> str:
    if "method" in sens.columns and len(sens):
        return str(sens["method"].iloc[0])
    kind = str(_section(manifest, "design").get("kind", ""))
    if kind in ("sobol", "morris"):
        return kind
    return "sobol" if "S1" in sens.columns or "ST" in sens.columns else "morris"


def sensitivity_warnings(sens: pd.DataFrame, manifest: dict) -> list[str]:
    """Why the indices may not be trusted yet: a small sample, impossible values, wide intervals."""
    method = _method(sens, manifest)
    design = _section(manifest, "design")
    samples = design.get("samples")
    reps = design.get("replications")
    out: list[str] = []
    name = "parameter" if "parameter" in sens.columns else None
    outcome = "outcome" if "outcome" in sens.columns else None

    def where(row: pd.Series) -> str:
        who = str(row[name]) if name else "a parameter"
        return f"{who} on {row[outcome]}" if outcome else who

    if method == "sobol":
        if isinstance(samples, int) and samples < SOBOL_MIN_SAMPLES:
            k = len(design.get("parameters") or []) or 1
            out.append(
                f"The sample is small: N = {samples} base samples (Sobol estimates settle from "
                f"about N = {SOBOL_MIN_SAMPLES} to 1024; at N = {SOBOL_MIN_SAMPLES} and "
                f"{k} parameters that is {SOBOL_MIN_SAMPLES * (k + 2):,} runs)."
            )
        bad = []
        for _, row in sens.iterrows():
            for idx in ("S1", "ST"):
                if idx not in sens.columns or not math.isfinite(float(row[idx])):
                    continue
                v = float(row[idx])
                conf = float(row.get(f"{idx}_conf", float("nan")))
                if v < -0.02:
                    bad.append(f"{idx} of {where(row)} is {v:.2f}, below 0")
                elif v > 1.02:
                    bad.append(f"{idx} of {where(row)} is {v:.2f}, above 1")
                elif math.isfinite(conf) and conf > 0.1 and conf > abs(v) / 2:
                    bad.append(f"{idx} of {where(row)} is {v:.2f} ± {conf:.2f}")
        if bad:
            shown = "; ".join(bad[:4]) + (f"; and {len(bad) - 4} more" if len(bad) > 4 else "")
            out.append(
                "Some indices are outside what a share of variance can be, or their interval is "
                f"wider than half their value: {shown}. These are sampling noise, not effects."
            )
    elif method == "morris":
        if isinstance(samples, int) and samples < MORRIS_MIN_TRAJECTORIES:
            out.append(
                f"Only {samples} trajectories: Morris rankings settle with "
                f"{MORRIS_MIN_TRAJECTORIES} to 50."
            )
        if "mu_star" in sens.columns and "mu_star_conf" in sens.columns:
            wide = [
                f"μ* of {where(row)} is {float(row['mu_star']):.3g} ± {float(row['mu_star_conf']):.3g}"
                for _, row in sens.iterrows()
                if math.isfinite(float(row["mu_star_conf"]))
                and float(row["mu_star_conf"]) > 0.5 * abs(float(row["mu_star"]))
                and float(row["mu_star"]) != 0
            ]
            if wide:
                shown = "; ".join(wide[:4]) + (f"; and {len(wide) - 4} more" if len(wide) > 4 else "")
                out.append(f"Wide intervals (more than half the value): {shown}.")
    if out and isinstance(reps, int) and reps < 2:
        out.append(
            "Each point ran once: the model's own randomness adds to the sampling noise; "
            "replications average it out."
        )
    return out


def sensitivity_guide(method: str) -> str:
    """How to read the indices of ``method`` ("sobol" or "morris"), in a short paragraph."""
    if method == "morris":
        return (
            "**μ\\*** (mu star) is the mean size of the change in the outcome when the parameter "
            "moves one grid step, in the outcome's unit: the larger, the more influential. "
            "**μ** is the same with signs: close to μ\\* when the effect always goes the same way, "
            "near zero when it changes direction. **σ** is the spread of those changes: large "
            "against μ\\* (σ/μ\\* above about 1) means the effect depends on the other "
            "parameters (interactions) or is not linear. Morris ranks parameters; it does not "
            "split the variance."
        )
    return (
        "**S1** (first order) is the share of the outcome's variance due to the parameter alone; "
        "**ST** (total) adds every interaction it takes part in. Both lie between 0 and 1; the "
        "S1 of all parameters sum to at most 1. ST − S1 is the part due to interactions; "
        "ST near 0 means the parameter can be fixed at any value of its range. The black bars "
        "are 95% intervals: an index whose interval reaches 0 may be no effect at all."
    )
