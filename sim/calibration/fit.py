"""Calibration by ABC-SMC with pyabc: the posterior of a scenario's parameters given a firm's KPI series.

**Inference.** Approximate Bayesian computation by sequential Monte Carlo
(ABC-SMC: Toni et al. 2009, *J. R. Soc. Interface* 6:187; the importance
weights of Beaumont, Cornuet, Marin & Robert 2009, *Biometrika* 96:983), run
by pyabc (Klinger, Rickert & Hasenauer 2018, *Bioinformatics* 34:3591);
nothing of the inference is written here. Generation 0 samples the uniform
priors and accepts every particle (tolerance ``inf``); generation t >= 1
perturbs the previous population with a multivariate normal kernel
(pyabc's ``MultivariateNormalTransition``, Silverman's bandwidth) and
accepts a particle when its distance to the observed statistics is at most
``eps_t``, the ``budget.quantile`` weighted quantile (0.5: the median) of the
accepted distances of generation t - 1 (pyabc's ``QuantileEpsilon``).
Weights ``w_i ∝ prior(theta_i) / sum_j w_j K(theta_i | theta_j)``.

**Summary statistics and distance.** A particle's parameters are set on the
base scenario (:func:`sim.scenario.with_overrides`), the run is reduced to
the observed periods by each outcome's rule (:func:`sim.calibration.observed.aggregate`),
averaged over ``replications`` runs, and summarised:

- ``summary = "levels"``: one statistic per KPI, its mean over the periods
  the firm observed (missing periods left out on both sides);
- ``summary = "series"``: one statistic per KPI and observed period.

The distance is pyabc's adaptive weighted Euclidean distance (Prangle 2017,
*Bayesian Analysis* 12:289)::

    d(x, x0) = sqrt( sum_i (w_i (x_i - x0_i))^2 ),   w_i = 1 / MAD_i

with ``MAD_i`` the median absolute deviation of statistic i over the
previous generation's accepted particles, refitted before every generation
(a statistic that does not vary gets weight 0). Every KPI is therefore
measured in units of its own spread: the distance is scale-free (a KPI in
EUR weighs as much as one on [0, 1]), and it does not depend on the units
the firm measured in. A run whose statistic is missing (NaN: e.g. no
customer left) gets the value ``MISSING`` and is never accepted.

**Seeds.** A particle's runs are seeded from the file's ``seed`` and the
particle's parameter values: replication r runs with
``derive_seed(seed, "evaluation", h, r)``, with ``h`` the first 63 bits of the
SHA-256 of the parameter vector (float64, file order). Each simulation is
therefore reproducible from its parameters, on any worker.

**Reproducibility of the whole calibration.** Serial (pyabc's
``SingleCoreSampler``): numpy's global generator and Python's ``random`` are
seeded with ``derive_seed(seed, "generation", t)`` before generation t, and
every generation is run on an ``ABCSMC`` rebuilt from the SQLite store, so
two serial calibrations of the same file give identical posteriors, and so
does one killed and resumed. On Dask (pyabc's ``DaskDistributedSampler``)
workers draw parameters from fresh entropy and the population is made of
the particles that finish first: each simulation is reproducible, the
posterior only up to Monte Carlo error.

**Store and resume.** ``DIR/abc.db`` is pyabc's SQLite history (every
generation, committed as it ends); ``DIR/calibration.json`` holds the file's
text and digest. Rerunning the same command loads the history and continues
with the next generation (a generation interrupted by a kill is redone); a
changed calibration file or CSV is refused. One driver per folder (a lock).

**Stopping.** After each generation: ``budget.generations`` reached, at
least ``budget.max_simulations`` simulations, ``eps <= budget.min_epsilon``,
acceptance rate below ``budget.min_acceptance_rate`` (serially the
generation is abandoned as soon as it cannot reach it), or the time limit
(``time_limit`` seconds: the calibration stops after the generation that
passes it and says so; rerunning continues it).

**Outputs** (written atomically, :func:`sim.atomic.atomic_write`):

- ``posterior.csv``: per parameter the weighted mean, sd, median, 5% and 95%
  quantiles (:func:`pyabc.weighted_statistics.weighted_quantile`), the prior
  range and ``interval_share = (q95 - q05) / (high - low)``;
- ``samples.csv``: the last population (parameters and normalised weights);
- ``correlation.csv``: the weighted posterior correlation of the parameters.
  Two parameters the KPIs cannot tell apart show a strong correlation
  (``|r| >= 0.7`` is reported); a parameter the KPIs hardly inform keeps an
  ``interval_share`` above 0.5 (reported);
- ``bands.csv``: posterior-predictive bands: ``band_draws`` parameter sets
  drawn from the last population by weight, one run each (seed
  ``derive_seed(seed, "band", i)``), per period and KPI the 5%, 50% and 95%
  quantiles, in the firm's units, next to the observed values;
- ``posterior.png``, ``fit.png``: the posterior marginals and the bands;
- ``calibrated.toml``: the base scenario with the posterior medians (and the
  file's seed and the data's length), which ``exlab run`` takes as it is;
- ``result.json``: generations, simulations, tolerances (``null`` for the
  infinite tolerance of generation 0), acceptance rates, why it stopped, warnings.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import random
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.observed import aggregate
from sim.calibration.spec import Calibration
from sim.scenario import Scenario, ScenarioError, load_scenario, to_toml, with_overrides
from sim.seeds import derive_seed

__all__ = ["MISSING", "CalibrationResult", "KpiModel", "Progress", "calibrate", "evaluation_seeds",
           "read_calibration", "require_pyabc", "simulate_kpis"]

#: The statistic of a run whose KPI is missing where the firm's is observed (never accepted).
MISSING = 1e12
#: Posterior correlation from which two parameters are reported as hard to tell apart.
CORRELATION_WARNING = 0.7
#: Share of the prior range above which a parameter's 90% interval is reported as barely informed.
WIDTH_WARNING = 0.5
META = "calibration.json"
RESULT = "result.json"
INSTALL_HINT = "pip install -e '.[calibrate]'"


def require_pyabc():
    """The pyabc module, or a one-line ScenarioError saying how to install it."""
    try:
        import pyabc
    except ImportError:
        raise ScenarioError([("exlab calibrate", f"pyabc installed (install it with: {INSTALL_HINT})",
                              "no module named pyabc")]) from None
    for name in ("ABC", "pyabc"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return pyabc


# ------------------------------------------------------------------ the model seen by pyabc
def evaluation_seeds(cal: Calibration, values: dict[str, float]) -> list[int]:
    """Seeds of the replications of one evaluation: from the file's seed and the parameter values."""
    vec = np.array([float(values[n]) for n in cal.names], dtype=np.float64)
    h = int.from_bytes(hashlib.sha256(vec.tobytes()).digest()[:8], "big") >> 1
    return [derive_seed(cal.seed, "evaluation", h, r) for r in range(cal.replications)]


def simulate_kpis(cal: Calibration, values: dict[str, float], seeds: list[int],
                  periods: list[int] | None = None) -> pd.DataFrame:
    """The KPIs (model units) per period of the base scenario with ``values`` set, averaged over ``seeds``.

    Args:
        cal: The calibration.
        values: Parameter path -> value.
        seeds: One run per seed.
        periods: Periods to return (default: the observed ones).
    """
    from sim.run import simulate

    sc = with_overrides(cal.base, {k: float(v) for k, v in values.items()})
    obs = cal.observed
    periods = list(obs.periods) if periods is None else list(periods)
    frames = [aggregate(simulate(sc, seed=s, ticks=sc.run.ticks).table, obs.outcomes, obs.days, periods)
              for s in seeds]
    return frames[0] if len(frames) == 1 else sum(frames) / len(frames)


class KpiModel:
    """The model pyabc calls: parameters -> summary statistics (see the module docstring)."""

    def __init__(self, cal: Calibration):
        self.cal = cal
        self.on_simulation: Callable[[], None] | None = None

    def __getstate__(self) -> dict:
        return {"cal": self.cal, "on_simulation": None}

    def statistics(self, kpis: pd.DataFrame) -> dict[str, float]:
        """Summary statistics of per-period KPIs (model units), over the periods the firm observed."""
        obs = self.cal.observed.model
        out: dict[str, float] = {}
        for name in obs.columns:
            seen = obs[name].notna().to_numpy()
            values = kpis[name].to_numpy(dtype=float)[seen]
            if self.cal.summary == "levels":
                keys = [name]
                values = np.array([values.mean() if values.size and not np.isnan(values).any() else np.nan])
            else:
                keys = [f"{name}@{p}" for p in np.asarray(obs.index)[seen]]
            for k, v in zip(keys, values, strict=True):
                out[k] = float(v) if math.isfinite(v) else MISSING
        return out

    def observed_statistics(self) -> dict[str, float]:
        """The statistics of the firm's series."""
        return self.statistics(self.cal.observed.model)

    def __call__(self, pars: Any) -> dict[str, float]:
        """Simulate one particle (its replications) and return its statistics."""
        values = {n: float(pars[n]) for n in self.cal.names}
        try:
            kpis = simulate_kpis(self.cal, values, evaluation_seeds(self.cal, values))
            stats = self.statistics(kpis)
        except ScenarioError:  # a combination of values the scenario refuses: never accepted
            stats = {k: MISSING for k in self.observed_statistics()}
        if self.on_simulation is not None:
            self.on_simulation()
        return stats


# ------------------------------------------------------------------ progress and result
@dataclass
class Progress:
    """Where a calibration is: told to ``progress`` after every simulation (serial) and every generation.

    Attributes:
        stage: ``"abc"`` (generations) or ``"bands"`` (posterior-predictive runs).
        generation: Generations finished.
        generations: Generations at most (the budget).
        simulations: Simulations so far (ABC), or band runs finished.
        epsilon: Tolerance of the last finished generation (inf before generation 1).
        acceptance_rate: Of the last finished generation (None before).
        total: Band runs to make (stage ``"bands"``).
    """

    stage: str
    generation: int
    generations: int
    simulations: int
    epsilon: float = math.inf
    acceptance_rate: float | None = None
    total: int = 0


@dataclass
class CalibrationResult:
    """A finished (or time-limited) calibration, as written in its folder.

    Attributes:
        posterior: One row per parameter: mean, sd, median, q05, q95, prior_low, prior_high, interval_share.
        samples: The last population: one column per parameter and ``weight``.
        correlation: Weighted posterior correlation (parameters x parameters).
        bands: period, outcome, column, unit, observed, q05, median, q95 (firm's units).
        scenario: The base scenario with the posterior medians.
        generations: Generations run (generation 0 included).
        simulations: Simulations of the ABC (band runs not counted).
        epsilon: Tolerance per generation.
        acceptance_rates: Acceptance rate per generation.
        stopped: Why the calibration stopped, in words.
        complete: False when it stopped on the time limit (rerun to continue).
        reproducible: True when run serially (the same file gives the same posterior).
        warnings: Parameters hard to tell apart or barely informed by the KPIs.
        wall_s: Wall time of this call, in seconds.
        out: The results folder.
    """

    name: str
    posterior: pd.DataFrame
    samples: pd.DataFrame
    correlation: pd.DataFrame
    bands: pd.DataFrame
    scenario: Scenario
    generations: int
    simulations: int
    epsilon: list[float]
    acceptance_rates: list[float]
    stopped: str
    complete: bool
    reproducible: bool
    warnings: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    out: Path | None = None

    def summary_lines(self) -> list[str]:
        """The posterior in a few lines (median and 90% interval per parameter), then the warnings."""
        lines = []
        for r in self.posterior.to_dict("records"):
            lines.append(f"{r['parameter']}: median {r['median']:.4g}, 90% interval [{r['q05']:.4g}, "
                         f"{r['q95']:.4g}] ({100 * r['interval_share']:.0f}% of the prior range "
                         f"[{r['prior_low']:.4g}, {r['prior_high']:.4g}])")
        return lines + [f"warning: {w}" for w in self.warnings]


# ------------------------------------------------------------------ the run
def _sampler(pyabc, executor_or_mode: Any):
    """(pyabc sampler, executor for the band runs, serial?)."""
    from sim.experiments.executors import DaskExecutor, SerialExecutor

    if executor_or_mode is None or executor_or_mode == "serial" or isinstance(executor_or_mode, SerialExecutor):
        ex = executor_or_mode if isinstance(executor_or_mode, SerialExecutor) else SerialExecutor()
        return pyabc.sampler.SingleCoreSampler(check_max_eval=True), ex, True
    if isinstance(executor_or_mode, DaskExecutor):
        return pyabc.sampler.DaskDistributedSampler(dask_client=executor_or_mode.client), executor_or_mode, False
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a dependency
        Client = ()  # noqa: N806
    if isinstance(executor_or_mode, Client):
        ex = DaskExecutor(client=executor_or_mode)
        return pyabc.sampler.DaskDistributedSampler(dask_client=executor_or_mode), ex, False
    raise TypeError(f"executor_or_mode: expected 'serial', a SerialExecutor, a DaskExecutor or a dask Client, "
                    f"got {executor_or_mode!r}")


def _abc(pyabc, cal: Calibration, model: KpiModel, sampler, t: int):
    """An ABCSMC object for generation t (rebuilt identically before every generation)."""
    prior = pyabc.Distribution(**{p.path: pyabc.RV("uniform", p.low, p.high - p.low) for p in cal.parameters})
    first = t == 0
    stats = model.observed_statistics()
    distance = pyabc.AdaptivePNormDistance(
        p=2, initial_scale_weights={k: 1.0 for k in stats} if first else None, all_particles_for_scale=False)
    eps = pyabc.QuantileEpsilon(initial_epsilon=math.inf if first else "from_sample", alpha=cal.budget.quantile)
    return pyabc.ABCSMC(model, prior, distance, population_size=cal.budget.population_size, sampler=sampler,
                        eps=eps)


def _read_meta(out: Path, cal: Calibration) -> dict:
    from sim.atomic import atomic_write

    meta_path = out / META
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("sha256") != cal.sha256:
            raise ScenarioError([(str(out), f"the calibration of this folder ({meta.get('source')})",
                                  f"{cal.source or cal.name} (file or data changed since; use a new --out)")])
        return meta
    meta = {"source": cal.source, "name": cal.name, "sha256": cal.sha256, "text": cal.text, "stopped": None}
    atomic_write(meta_path, json.dumps(meta, indent=1).encode())
    return meta


def _write_meta(out: Path, meta: dict) -> None:
    from sim.atomic import atomic_write

    atomic_write(out / META, json.dumps(meta, indent=1).encode())


def _populations(pyabc, db: str) -> pd.DataFrame:
    """t, epsilon, samples, particles of every stored generation (empty without a run)."""
    path = Path(db.removeprefix("sqlite:///"))
    if not path.exists():
        return pd.DataFrame(columns=["t", "epsilon", "samples", "particles"])
    h = pyabc.History(db, _id=1)
    if not h.all_runs():
        return pd.DataFrame(columns=["t", "epsilon", "samples", "particles"])
    pops = h.get_all_populations()
    return pops[pops.t >= 0][["t", "epsilon", "samples", "particles"]].reset_index(drop=True)


def calibrate(cal: Calibration, out: str | Path, executor_or_mode: Any = "serial",
              progress: Callable[[Progress], None] | None = None,
              time_limit: float | None = None) -> CalibrationResult:
    """Run (or resume) the ABC-SMC, then write the posterior, the bands, the plots and calibrated.toml.

    Args:
        cal: The validated calibration (:func:`sim.calibration.load_calibration`).
        out: The results folder (created if missing); holds pyabc's store.
        executor_or_mode: ``"serial"`` or a :class:`~sim.experiments.executors.SerialExecutor`
            (pyabc's SingleCoreSampler: reproducible), a
            :class:`~sim.experiments.executors.DaskExecutor` or a ``distributed.Client``
            (pyabc's DaskDistributedSampler on its workers).
        progress: Called with a :class:`Progress` after every generation, and
            after every simulation when serial.
        time_limit: Seconds after which no new generation starts (the result
            says so; rerunning continues). None: the budget alone stops it.

    Returns:
        The result, as :func:`read_calibration` would read it back.

    Raises:
        ScenarioError: pyabc missing, a folder made by another calibration, or one in use.
    """
    import fcntl

    pyabc = require_pyabc()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = open(out / ".driver.lock", "a")  # noqa: SIM115 (held until this function returns)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise ScenarioError([(str(out), "a folder no other calibration is writing", "one running now")]) from None
    try:
        return _run(pyabc, cal, out, executor_or_mode, progress, time_limit)
    finally:
        lock.close()


def _stop_reason(cal: Calibration, pops: pd.DataFrame) -> str | None:
    b = cal.budget
    if pops.empty:
        return None
    last = pops.iloc[-1]
    n = len(pops)
    sims = int(pops.samples.sum())
    rate = float(last.particles) / max(float(last.samples), 1.0)
    if n >= b.generations:
        return f"budget: {n} generations"
    if sims >= b.max_simulations:
        return f"budget: {sims} simulations (max_simulations = {b.max_simulations})"
    if n > 1 and float(last.epsilon) <= b.min_epsilon:
        return f"budget: tolerance {float(last.epsilon):.4g} <= min_epsilon {b.min_epsilon:g}"
    if n > 1 and rate < b.min_acceptance_rate:
        return f"budget: acceptance rate {rate:.3g} < min_acceptance_rate {b.min_acceptance_rate:g}"
    return None


def _run(pyabc, cal: Calibration, out: Path, executor_or_mode, progress, time_limit) -> CalibrationResult:
    t_start = time.monotonic()
    meta = _read_meta(out, cal)
    sampler, executor, serial = _sampler(pyabc, executor_or_mode)
    model = KpiModel(cal)
    db = pyabc.create_sqlite_db_id(dir_=str(out.resolve()), file_="abc.db")
    b = cal.budget
    pops = _populations(pyabc, db)
    sims_before = [int(pops.samples.sum()) if not pops.empty else 0]

    def tell(in_generation: int = 0) -> None:
        if progress is None:
            return
        last = pops.iloc[-1] if not pops.empty else None
        progress(Progress("abc", len(pops), b.generations, sims_before[0] + in_generation,
                          float(last.epsilon) if last is not None else math.inf,
                          float(last.particles) / float(last.samples) if last is not None and len(pops) > 1
                          else None))

    stopped = meta.get("stopped") if meta.get("stopped", "") and str(meta.get("stopped")).startswith("budget") \
        else None
    count = [0]
    if serial:
        def one() -> None:
            count[0] += 1
            tell(count[0])
        model.on_simulation = one
    tell()
    ran = 0
    while stopped is None:
        stopped = _stop_reason(cal, pops)
        if stopped is not None:
            break
        if ran and time_limit is not None and time.monotonic() - t_start >= time_limit:
            stopped = f"time limit: {time_limit:g} s reached after generation {len(pops) - 1}"
            break
        t = len(pops)
        if serial:
            s = derive_seed(cal.seed, "generation", t) % 2**32
            np.random.seed(s)
            random.seed(s)
        abc = _abc(pyabc, cal, model, sampler, t)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if t == 0 and pops.empty and not _has_run(pyabc, db):
                abc.new(db, model.observed_statistics())
            else:
                abc.load(db, abc_id=1)
            abc.run(max_nr_populations=1, min_acceptance_rate=b.min_acceptance_rate if t > 0 else 0.0)
        count[0] = 0
        ran += 1
        pops = _populations(pyabc, db)
        sims_before[0] = int(pops.samples.sum())
        if len(pops) == t:  # the sampler gave up: acceptance below the minimum
            stopped = (f"budget: acceptance rate below min_acceptance_rate {b.min_acceptance_rate:g} "
                       f"in generation {t} (abandoned)")
        tell()
    meta["stopped"] = stopped
    _write_meta(out, meta)
    return _write_outputs(pyabc, cal, out, db, pops, stopped, serial, executor, progress,
                          time.monotonic() - t_start)


def _has_run(pyabc, db: str) -> bool:
    path = Path(db.removeprefix("sqlite:///"))
    return path.exists() and bool(pyabc.History(db, _id=1).all_runs())


# ------------------------------------------------------------------ outputs
def _posterior(pyabc, cal: Calibration, df: pd.DataFrame, w: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    ws = pyabc.weighted_statistics
    w = np.asarray(w, dtype=float) / np.sum(w)
    rows = []
    for p in cal.parameters:
        x = df[p.path].to_numpy(dtype=float)
        q05, q50, q95 = (ws.weighted_quantile(x, w, alpha=a) for a in (0.05, 0.5, 0.95))
        rows.append({"parameter": p.path, "mean": ws.weighted_mean(x, w), "sd": ws.weighted_std(x, w),
                     "median": q50, "q05": q05, "q95": q95, "prior_low": p.low, "prior_high": p.high,
                     "interval_share": (q95 - q05) / (p.high - p.low)})
    post = pd.DataFrame(rows)
    x = df[cal.names].to_numpy(dtype=float)
    if len(cal.names) > 1:
        cov = np.atleast_2d(np.cov(x.T, aweights=w))
        sd = np.sqrt(np.diag(cov))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov / np.outer(sd, sd)
    else:
        corr = np.ones((1, 1))
    return post, pd.DataFrame(corr, index=cal.names, columns=cal.names)


def identifiability_warnings(posterior: pd.DataFrame, correlation: pd.DataFrame) -> list[str]:
    """Pairs the KPIs cannot tell apart (``|r| >= 0.7``) and parameters they barely inform (interval > half)."""
    out = []
    names = list(correlation.columns)
    for i, a in enumerate(names):
        for bname in names[i + 1:]:
            r = float(correlation.loc[a, bname])
            if math.isfinite(r) and abs(r) >= CORRELATION_WARNING:
                out.append(f"{a} and {bname} are hard to tell apart from these KPIs (posterior correlation "
                           f"{r:+.2f}): the data fix a combination of the two more than either one")
    for r in posterior.to_dict("records"):
        if r["interval_share"] > WIDTH_WARNING:
            out.append(f"{r['parameter']} is barely informed by these KPIs (its 90% interval covers "
                       f"{100 * r['interval_share']:.0f}% of the prior range)")
    return out


def _band_run(task: tuple[int, dict, int], cal: Calibration) -> pd.DataFrame:
    """One posterior-predictive run: KPIs per period (every period up to the last observed one)."""
    _, values, seed = task
    return simulate_kpis(cal, values, [seed], periods=list(range(1, max(cal.observed.periods) + 1)))


def _bands(cal: Calibration, df: pd.DataFrame, w: np.ndarray, executor, progress) -> pd.DataFrame:
    rng = np.random.default_rng(derive_seed(cal.seed, "bands"))
    w = np.asarray(w, dtype=float) / np.sum(w)
    picks = rng.choice(len(df), size=cal.band_draws, replace=True, p=w)
    tasks = [(i, {n: float(df[n].iloc[j]) for n in cal.names}, derive_seed(cal.seed, "band", i))
             for i, j in enumerate(picks)]
    runs: dict[int, pd.DataFrame] = {}
    for k, done in enumerate(executor.imap_unordered(_band_run, tasks, cal), 1):
        if done.error is None:
            runs[done.task[0]] = done.value
        if progress is not None:
            progress(Progress("bands", 0, 0, k, total=len(tasks)))
    if not runs:
        raise ScenarioError([("bands", "posterior-predictive runs that succeed", "all failed")])
    obs = cal.observed
    periods = list(range(1, max(obs.periods) + 1))
    rows = []
    stack = {name: np.vstack([runs[i][name].to_numpy(dtype=float) for i in sorted(runs)]) for name in obs.outcomes}
    for kpi in obs.kpis:
        sims = kpi.to_firm(stack[kpi.outcome])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            q = np.nanquantile(sims, [0.05, 0.5, 0.95], axis=0)
        observed = obs.firm[kpi.outcome].reindex(periods)
        for j, p in enumerate(periods):
            rows.append({"period": p, "outcome": kpi.outcome, "column": kpi.column, "unit": kpi.unit,
                         "observed": float(observed.iloc[j]), "q05": q[0, j], "median": q[1, j], "q95": q[2, j]})
    return pd.DataFrame(rows)


def _write_outputs(pyabc, cal, out: Path, db: str, pops: pd.DataFrame, stopped: str, serial: bool, executor,
                   progress, wall: float) -> CalibrationResult:
    from sim.atomic import atomic_write

    h = pyabc.History(db, _id=1)
    df, w = h.get_distribution(m=0, t=int(pops.t.max()))
    w = np.asarray(w, dtype=float) / np.sum(w)
    post, corr = _posterior(pyabc, cal, df, w)
    samples = df[cal.names].reset_index(drop=True).assign(weight=w)
    bands = _bands(cal, df, w, executor, progress)
    sc = with_overrides(cal.base, {**{r["parameter"]: float(r["median"]) for r in post.to_dict("records")},
                                   "run.seed": cal.seed, "name": f"{cal.name}_calibrated",
                                   "description": f"{cal.base.name} calibrated on {cal.observed.source} by exlab "
                                                  f"calibrate ({cal.source or cal.name})."})
    header = (f"Calibrated scenario {cal.name}: the base scenario {cal.base.name} with the posterior medians of "
              f"exlab calibrate ({cal.source or cal.name}, data {cal.observed.source}).\n"
              + "\n".join(f"{r['parameter']} = {r['median']:.6g} (90% interval {r['q05']:.4g} to {r['q95']:.4g})"
                          for r in post.to_dict("records"))
              + f"\nA model of {cal.base.population.consumers} consumers ({cal.model_customers:g} customers at the "
                f"start): its counts are the firm's x {cal.model_customers:g} / "
                f"{cal.customers or cal.model_customers:g}.")
    complete = stopped.startswith("budget")
    warn = identifiability_warnings(post, corr)
    result = {
        "name": cal.name, "source": cal.source, "generations": len(pops), "simulations": int(pops.samples.sum()),
        "epsilon": [float(e) if math.isfinite(e) else None for e in pops.epsilon],
        "acceptance_rates": [float(a) for a in pops.particles / pops.samples],
        "stopped": stopped, "complete": complete, "reproducible": serial, "warnings": warn, "wall_s": wall,
        "summary": cal.summary, "replications": cal.replications,
    }
    atomic_write(out / "posterior.csv", post.to_csv(index=False).encode())
    atomic_write(out / "samples.csv", samples.to_csv(index=False).encode())
    atomic_write(out / "correlation.csv", corr.to_csv(index_label="parameter").encode())
    atomic_write(out / "bands.csv", bands.to_csv(index=False).encode())
    atomic_write(out / "calibrated.toml", to_toml(sc, header).encode())
    atomic_write(out / "posterior.png", _plot_posterior(cal, samples, post))
    atomic_write(out / "fit.png", _plot_fit(cal, bands))
    atomic_write(out / RESULT, json.dumps(result, indent=1).encode())
    return read_calibration(out, wall_s=wall)


def read_calibration(out: str | Path, *, wall_s: float | None = None) -> CalibrationResult:
    """Load a calibration's results folder (written by :func:`calibrate`).

    Raises:
        ScenarioError: a folder without a finished calibration's files.
    """
    out = Path(out)
    need = [RESULT, "posterior.csv", "samples.csv", "correlation.csv", "bands.csv", "calibrated.toml"]
    missing = [n for n in need if not (out / n).is_file()]
    if missing:
        raise ScenarioError([(str(out), "a folder written by exlab calibrate", f"no {', '.join(missing)}")])
    r = json.loads((out / RESULT).read_text())
    return CalibrationResult(
        name=r["name"], posterior=pd.read_csv(out / "posterior.csv"), samples=pd.read_csv(out / "samples.csv"),
        correlation=pd.read_csv(out / "correlation.csv", index_col="parameter"),
        bands=pd.read_csv(out / "bands.csv"), scenario=load_scenario(out / "calibrated.toml"),
        generations=int(r["generations"]), simulations=int(r["simulations"]),
        epsilon=[math.inf if e is None else float(e) for e in r["epsilon"]],
        acceptance_rates=list(r["acceptance_rates"]), stopped=r["stopped"], complete=bool(r["complete"]),
        reproducible=bool(r["reproducible"]), warnings=list(r["warnings"]),
        wall_s=float(r["wall_s"] if wall_s is None else wall_s), out=out)


# ------------------------------------------------------------------ plots
def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _plot_posterior(cal: Calibration, samples: pd.DataFrame, post: pd.DataFrame) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(cal.parameters)
    fig, axes = plt.subplots(1, n, figsize=(4 * n, 3.2), squeeze=False)
    for ax, p, r in zip(axes[0], cal.parameters, post.to_dict("records"), strict=True):
        ax.hist(samples[p.path], bins=20, range=(p.low, p.high), weights=samples["weight"], density=True,
                color="tab:blue", alpha=0.6)
        ax.axhline(1.0 / (p.high - p.low), color="grey", ls=":", label="prior")
        for q, ls in (("q05", "--"), ("median", "-"), ("q95", "--")):
            ax.axvline(r[q], color="black", ls=ls, lw=1)
        ax.set_xlim(p.low, p.high)
        ax.set_title(p.path, fontsize=9)
        ax.set_yticks([])
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"{cal.name}: posterior (median and 90% interval)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return _png(fig)


def _plot_fit(cal: Calibration, bands: pd.DataFrame) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kpis = cal.observed.kpis
    cols = min(2, len(kpis))
    rows = math.ceil(len(kpis) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 3.2 * rows), squeeze=False)
    for ax, k in zip(axes.ravel(), kpis, strict=False):
        b = bands[bands.outcome == k.outcome]
        ax.fill_between(b.period, b.q05, b.q95, color="tab:blue", alpha=0.25, label="90% predictive band")
        ax.plot(b.period, b["median"], color="tab:blue", label="median")
        ax.plot(b.period, b.observed, "o", color="black", ms=3, label="observed")
        ax.set_title(k.column, fontsize=9)
        ax.set_xlabel(cal.observed.period)
    for ax in axes.ravel()[len(kpis):]:
        ax.set_visible(False)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{cal.name}: posterior-predictive fit", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return _png(fig)
