"""Lever optimization: an optuna search over a decision file's levers (``exlab optimize``).

**Search.** One optuna study in ``DIR/study.db`` (SQLite), driven by
ask-and-tell from this process alone, which is the only writer of the
database; simulations run on the experiments' executors
(:class:`~sim.experiments.executors.SerialExecutor` or
:class:`~sim.experiments.executors.DaskExecutor`). Sampler: ``NSGAIISampler``
(named explicitly) with several objectives, ``TPESampler`` with one; both
seeded with the decision file's ``seed``. Constraints are given with
``Trial.set_constraint`` (keys ``c0``, ``c1``, ...) as ``value - max`` (feasible when <= 0).

**Common random numbers.** Replication r of every trial runs with the seed
``derive_seed(seed, "replication", r)`` and the same uncertainty draws
(uniform in their ranges, drawn from that seed), so two trials differ only
by their levers. A trial's objective is the mean over its replications of
``sum_k reduce(outcome_k)``.

**Resume.** One driver per folder (a lock file; a second is refused).
Rerunning the same command continues the study: finished trials are kept;
a trial left RUNNING by a kill is marked FAIL and its parameters are
enqueued, so it is evaluated next. A trial whose run fails (or gives a
non-finite objective) is told FAIL; after ``trials`` failures in a row the
search stops with a one-line error. A decision file whose text changed is refused.

**Front.** The Pareto front (best feasible trials, one per distinct lever
setting; the best trial with one objective; empty when no trial is feasible)
is re-evaluated with fresh seeds ``derive_seed(seed, "front", r)``; each
objective gets its mean and 95% t interval (:func:`sim.analysis.t_interval`).
Written atomically: ``pareto.csv``, ``pareto.png`` and ``front_NN.toml``
(the base scenario with the point's levers; ``exlab run`` takes it as it is).

**Reproducibility.** With the serial executor and no interruption, the same
decision file gives the same trials and the same front (seeded sampler,
derived run seeds). With several workers, trials are still evaluated one at a
time (replications in parallel), so the search is the same too; a resumed
search after a kill is not bit-for-bit the uninterrupted one, since the
sampler's own random state restarts.
"""

from __future__ import annotations

import io
import json
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis import summarize_run, t_interval
from sim.atomic import atomic_write
from sim.decisions.spec import Decision, ObjectiveTable
from sim.scenario import ScenarioError, to_toml, with_overrides
from sim.seeds import derive_seed

__all__ = ["evaluate_run", "objective_name", "optimize"]

META = "decision.json"


def objective_name(o: ObjectiveTable) -> str:
    """Label of an objective: its outcomes joined by ``+``."""
    return "+".join(o.outcomes)


def _value(table: pd.DataFrame, outcomes: list[str], reduce: str) -> float:
    if reduce == "run":
        s = summarize_run(table, outcomes)
        return float(sum(s[n] for n in outcomes))
    if reduce == "mean":
        return float(sum(table[n].mean() for n in outcomes))
    return float(sum(table[n].iloc[-1] for n in outcomes))


def evaluate_run(task: tuple[str, dict, int], dec: Decision) -> tuple[list[float], list[float]]:
    """One run: the base scenario with ``overrides``, seed ``seed``; returns (objectives, constraints)."""
    from sim.run import simulate

    _, overrides, seed = task
    sc = with_overrides(dec.base, overrides)
    table = simulate(sc, seed=seed, ticks=sc.run.ticks).table
    objs = [_value(table, list(o.outcomes), o.reduce) for o in dec.objectives]
    cons = [_value(table, list(c.outcomes), c.reduce) - c.max for c in dec.constraints]
    return objs, cons


class _RunFailed(RuntimeError):
    """A simulation of a trial failed (the message is the run's error)."""


def _uncertain(dec: Decision, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    out = {}
    for u in dec.uncertainties:
        v = rng.uniform(u.low, u.high)
        out[u.path] = int(round(v)) if u.type == "int" else float(v)
    return out


def _evaluate(executor, dec: Decision, levers: dict, seeds: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Each replication's objectives and constraint values (rows: replications)."""
    tasks = [(f"r{r}", {**_uncertain(dec, s), **levers}, s) for r, s in enumerate(seeds)]
    got: dict[str, Any] = {}
    for done in executor.imap_unordered(evaluate_run, tasks, dec):
        if done.error is not None:
            raise _RunFailed(done.error)
        got[done.task[0]] = done.value
    objs = np.array([got[t[0]][0] for t in tasks], dtype=float)
    cons = np.array([got[t[0]][1] for t in tasks], dtype=float).reshape(len(tasks), -1)
    return objs, cons


def _suggest(trial, dec: Decision) -> dict:
    return {lv.path: (trial.suggest_int(lv.path, int(lv.low), int(lv.high)) if lv.type == "int"
                      else trial.suggest_float(lv.path, float(lv.low), float(lv.high)))
            for lv in dec.levers}


def _study(dec: Decision, out: Path):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    meta = out / META
    if meta.exists():
        old = json.loads(meta.read_text())
        if old.get("sha256") != dec.sha256:
            raise ScenarioError([(str(out), f"the decision file of this folder ({old.get('source')})",
                                  f"{dec.source} (changed since; use a new --out)")])
    else:
        atomic_write(meta, json.dumps({"source": dec.source, "sha256": dec.sha256, "text": dec.text},
                                      indent=1).encode())
    directions = [o.direction for o in dec.objectives]
    if len(directions) > 1:
        sampler = optuna.samplers.NSGAIISampler(seed=dec.seed, population_size=max(4, min(50, dec.trials // 4)))
    else:
        sampler = optuna.samplers.TPESampler(seed=dec.seed, n_startup_trials=min(10, dec.trials))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(storage=f"sqlite:///{out / 'study.db'}", study_name=dec.name,
                                    directions=directions, sampler=sampler, load_if_exists=True)
    from optuna.trial import TrialState

    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        study.enqueue_trial(t.params, skip_if_exists=False)
    return study


def optimize(dec: Decision, out: str | Path, executor, progress: Callable[[int, int], None] | None = None
             ) -> pd.DataFrame:
    """Run (or resume) the search, then re-evaluate the front; returns the rows of ``pareto.csv``."""
    import fcntl

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = open(out / ".driver.lock", "a")  # noqa: SIM115 (held until this function returns)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise ScenarioError([(str(out), "a folder no other optimization is writing",
                              "one running now")]) from None
    try:
        return _search(dec, out, executor, progress)
    finally:
        lock.close()


def _search(dec: Decision, out: Path, executor, progress) -> pd.DataFrame:
    from optuna.trial import TrialState

    study = _study(dec, out)
    seeds = [derive_seed(dec.seed, "replication", r) for r in range(dec.replications)]

    def done() -> int:
        return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))

    n = done()
    if progress:
        progress(n, dec.trials)
    failed = 0
    while n < dec.trials:
        trial = study.ask()
        levers = _suggest(trial, dec)
        try:
            objs, cons = _evaluate(executor, dec, levers, seeds)
        except _RunFailed as exc:
            study.tell(trial, state=TrialState.FAIL)
            failed += 1
            if failed >= dec.trials:
                raise ScenarioError([("trials", "runs that succeed", f"{failed} failed in a row ({exc})")]) from None
            continue
        failed = 0
        for k, c in enumerate(cons.mean(axis=0)):
            trial.set_constraint(f"c{k}", float(c))
        values = [float(v) for v in objs.mean(axis=0)]
        if any(not math.isfinite(v) for v in values):
            study.tell(trial, state=TrialState.FAIL)
        else:
            study.tell(trial, values)
        n = done()
        if progress:
            progress(n, dec.trials)
    return _front(study, dec, out, executor)


def _front(study, dec: Decision, out: Path, executor) -> pd.DataFrame:
    best, seen = [], set()
    for t in sorted(study.best_trials, key=lambda t: t.number):  # one point per distinct lever setting
        key = tuple(sorted(t.params.items()))
        if key not in seen:
            seen.add(key)
            best.append(t)
    fresh = [derive_seed(dec.seed, "front", r) for r in range(max(dec.replications, 2))]
    rows = []
    for i, t in enumerate(best):
        objs, _ = _evaluate(executor, dec, dict(t.params), fresh)
        row: dict[str, Any] = {"point": i, "trial": t.number, **t.params}
        for k, o in enumerate(dec.objectives):
            mean, half, nn = t_interval(objs[:, k])
            name = objective_name(o)
            row[name] = mean
            row[f"{name}_ci_low"] = mean - half
            row[f"{name}_ci_high"] = mean + half
        row["scenario"] = f"front_{i:02d}.toml"
        sc = with_overrides(dec.base, dict(t.params))
        atomic_write(out / row["scenario"], to_toml(sc, f"Pareto point {i} of {dec.name} (trial {t.number})")
                     .encode())
        rows.append(row)
    df = pd.DataFrame(rows)
    atomic_write(out / "pareto.csv", df.to_csv(index=False).encode())
    atomic_write(out / "pareto.png", _plot(df, dec))
    return df


def _plot(df: pd.DataFrame, dec: Decision) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [objective_name(o) for o in dec.objectives]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    if df.empty:
        ax.text(0.5, 0.5, "no feasible trial", ha="center", va="center")
    elif len(names) == 1:
        x = df[dec.levers[0].path]
        ax.set_xlabel(dec.levers[0].path)
        y = names[0]
    else:
        x = df[names[0]]
        ax.set_xlabel(names[0])
        y = names[1]
    if not df.empty:
        ax.errorbar(x, df[y], yerr=[df[y] - df[f"{y}_ci_low"], df[f"{y}_ci_high"] - df[y]], fmt="o", capsize=3)
        ax.set_ylabel(y)
    ax.set_title(f"{dec.name}: Pareto front (95% t intervals)")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
