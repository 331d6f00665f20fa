"""Lever optimization: an optuna search over a decision file's levers (``exlab optimize``).

**Search.** One optuna study in ``DIR/study.db`` (SQLite), driven by
ask-and-tell from this process alone, which is the only writer of the
database; simulations run on the experiments' executors
(:class:`~sim.experiments.executors.SerialExecutor` or
:class:`~sim.experiments.executors.DaskExecutor`). Sampler: ``NSGAIISampler``
(named explicitly) with several objectives, ``TPESampler`` with one; both
seeded with the decision file's ``seed``. Trials go in synchronous
generations: with NSGA-II a whole population (a quarter of the trials,
4 to 50) is asked, all its runs are submitted at once (so every worker is
busy), and its trials are told in trial order before the next generation is
asked; TPE asks one trial at a time (its replications run in parallel). Constraints are given with
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
Written atomically: ``trials.csv`` (every trial: state, levers, objectives,
feasibility; :func:`trials_table`), ``pareto.csv``, ``pareto.png`` and ``front_NN.toml``
(the base scenario with the point's levers; ``exlab run`` takes it as it is).

**Time limit.** ``optimize(..., time_limit=s)`` (the dashboard's bounded
search) starts no trial after ``s`` seconds and abandons the runs of the
generation in flight; their settings are queued, so a later resume evaluates
them first. The front is made of the trials finished by then.

**Reproducibility.** The same decision file gives the same trials and the
same front on any executor and any number of workers, since the generation
size comes from the file, each run's seed is derived from the file's seed, and
trials are told in trial order whatever order their runs finish in. Not
reproducible bit for bit: a search resumed after a kill or a time limit (the
sampler's own random state restarts).
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

__all__ = ["batch_size", "evaluate_run", "trials_table", "objective_name", "optimize", "population_size"]

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


def _uncertain(dec: Decision, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    out = {}
    for u in dec.uncertainties:
        v = rng.uniform(u.low, u.high)
        out[u.path] = int(round(v)) if u.type == "int" else bool(v >= 0.5) if u.type == "bool" else float(v)
    return out


def _tasks(dec: Decision, key: str, levers: dict, seeds: list[int]) -> list[tuple[str, dict, int]]:
    return [(f"{key}/r{r}", {**_uncertain(dec, s), **levers}, s) for r, s in enumerate(seeds)]


def _evaluate_many(executor, dec: Decision, settings: list[dict], seeds: list[int], deadline: float | None = None,
                   on_done: Callable[[int], None] | None = None) -> list[tuple[np.ndarray, np.ndarray] | str | None]:
    """Every setting's replications, all submitted together (one generation on every worker).

    Returns, per setting, ``(objectives, constraints)`` (rows: replications),
    the error text of a failed run, or None when ``deadline`` (a
    ``time.monotonic()`` value) passed before all its runs finished; those
    still running are abandoned. ``on_done(i)`` is called as setting i completes.
    """
    import time

    tasks = [t for i, lv in enumerate(settings) for t in _tasks(dec, str(i), lv, seeds)]
    got: dict[str, Any] = {}
    errors: dict[int, str] = {}
    left = {i: len(seeds) for i in range(len(settings))}
    for done in executor.imap_unordered(evaluate_run, tasks, dec):
        i = int(done.task[0].split("/")[0])
        if done.error is not None:
            errors.setdefault(i, done.error)
        else:
            got[done.task[0]] = done.value
        left[i] -= 1
        if left[i] == 0 and on_done is not None:
            on_done(i)
        if deadline is not None and time.monotonic() > deadline and any(left.values()):
            break
    out: list[tuple[np.ndarray, np.ndarray] | str | None] = []
    for i, lv in enumerate(settings):
        keys = [t[0] for t in _tasks(dec, str(i), lv, seeds)]
        if i in errors:
            out.append(errors[i])
        elif left[i]:
            out.append(None)
        else:
            objs = np.array([got[k][0] for k in keys], dtype=float)
            cons = np.array([got[k][1] for k in keys], dtype=float).reshape(len(keys), -1)
            out.append((objs, cons))
    return out


def _suggest(trial, dec: Decision) -> dict:
    def one(lv) -> Any:
        if lv.type == "int":
            return trial.suggest_int(lv.path, int(lv.low), int(lv.high))
        if lv.type == "bool":
            return trial.suggest_categorical(lv.path, [False, True])
        return trial.suggest_float(lv.path, float(lv.low), float(lv.high))

    return {lv.path: one(lv) for lv in dec.levers}


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
        sampler = optuna.samplers.NSGAIISampler(seed=dec.seed, population_size=population_size(dec))
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


def batch_size(dec: Decision) -> int:
    """Trials asked, run and told together: NSGA-II's population (one generation), or 1 for TPE.

    Fixed by the decision file alone, never by the number of workers, so the
    search is the same on any executor.
    """
    return population_size(dec) if len(dec.objectives) > 1 else 1


def population_size(dec: Decision) -> int:
    """NSGA-II's population: a quarter of the trials, between 4 and 50."""
    return max(4, min(50, dec.trials // 4))


def optimize(dec: Decision, out: str | Path, executor, progress: Callable[[int, int], None] | None = None,
             time_limit: float | None = None) -> pd.DataFrame:
    """Run (or resume) the search, then re-evaluate the front; returns the rows of ``pareto.csv``.

    Args:
        dec: The decision file.
        out: The study's folder (created if missing).
        executor: Where runs go (serial or Dask).
        progress: Called with (finished trials, trials wanted).
        time_limit: Seconds after which no new trial starts and the runs of
            unfinished trials are abandoned (their settings are queued for a
            later resume); the front is then made of the finished trials.
            None: run every trial.
    """
    import fcntl
    import time

    deadline = None if time_limit is None else time.monotonic() + time_limit
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
        return _search(dec, out, executor, progress, deadline)
    finally:
        lock.close()


def _search(dec: Decision, out: Path, executor, progress, deadline: float | None) -> pd.DataFrame:
    import time

    from optuna.trial import TrialState

    study = _study(dec, out)
    seeds = [derive_seed(dec.seed, "replication", r) for r in range(dec.replications)]

    def done() -> int:
        return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))

    n = done()
    if progress:
        progress(n, dec.trials)
    failed = 0
    while n < dec.trials and (deadline is None or time.monotonic() < deadline):
        trials = [study.ask() for _ in range(min(batch_size(dec), dec.trials - n))]
        settings = [_suggest(t, dec) for t in trials]
        finished = [n]

        def one_done(i: int, finished=finished) -> None:
            finished[0] += 1
            if progress:
                progress(min(finished[0], dec.trials), dec.trials)

        results = _evaluate_many(executor, dec, settings, seeds, deadline, one_done)
        for trial, lv, res in zip(trials, settings, results, strict=True):  # told in trial order
            if res is None:  # out of time: evaluated first on resume
                study.tell(trial, state=TrialState.FAIL)
                study.enqueue_trial(lv, skip_if_exists=False)
                continue
            if isinstance(res, str):
                study.tell(trial, state=TrialState.FAIL)
                failed += 1
                if failed >= dec.trials:
                    raise ScenarioError([("trials", "runs that succeed", f"{failed} failed in a row ({res})")])
                continue
            objs, cons = res
            for k, c in enumerate(cons.mean(axis=0)):
                trial.set_constraint(f"c{k}", float(c))
            values = [float(v) for v in objs.mean(axis=0)]
            if any(not math.isfinite(v) for v in values):
                study.tell(trial, state=TrialState.FAIL)
                failed += 1
            else:
                study.tell(trial, values)
                failed = 0
        n = done()
        if progress:
            progress(min(n, dec.trials), dec.trials)
    return _front(study, dec, out, executor)


def trials_table(study, dec: Decision) -> pd.DataFrame:
    """Every trial of the search, one row each.

    Columns: ``trial``, ``state``, the levers, each objective (mean over the
    replications; NaN for a trial that did not finish) and ``feasible`` (every
    constraint met; True without constraints).
    """
    rows = []
    for t in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name, **t.params}
        for k, o in enumerate(dec.objectives):
            row[objective_name(o)] = t.values[k] if t.values is not None else math.nan
        row["feasible"] = t.values is not None and all(c <= 0 for c in t.constraints.values())
        rows.append(row)
    cols = ["trial", "state", *[lv.path for lv in dec.levers], *[objective_name(o) for o in dec.objectives],
            "feasible"]
    return pd.DataFrame(rows, columns=cols)


def _front(study, dec: Decision, out: Path, executor) -> pd.DataFrame:
    atomic_write(out / "trials.csv", trials_table(study, dec).to_csv(index=False).encode())
    best, seen = [], set()
    for t in sorted(study.best_trials, key=lambda t: t.number):  # one point per distinct lever setting
        key = tuple(sorted(t.params.items()))
        if key not in seen:
            seen.add(key)
            best.append(t)
    fresh = [derive_seed(dec.seed, "front", r) for r in range(max(dec.replications, 2))]
    results = _evaluate_many(executor, dec, [dict(t.params) for t in best], fresh)
    rows = []
    for i, (t, res) in enumerate(zip(best, results, strict=True)):
        if isinstance(res, str):
            raise ScenarioError([("front", "runs that succeed", f"point {i} failed ({res})")])
        objs = res[0]
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
