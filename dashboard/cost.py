"""How long a Scenario lab run will take, before it starts, and what the server allows.

A run's time is predicted from its size: a fixed setup, a share of the
friendship graph's construction per consumer, and a cost per consumer-day
that grows with the share of complex (public) exchange. The coefficients
come from ``benchmarks/bench.py`` on a 2-core machine (about 70 ns per
consumer-day; the 5-million bank runs a year in about two minutes) and are
then corrected by the runs this server has timed itself.

From the prediction follow the number of replications chosen automatically
(cheap runs get more of them, so the band between them means something), a
warning before a long run and a refusal of a run longer than the cap
(``EXLAB_DASHBOARD_MAX_RUN_S``, 600 s unless set).
"""

from __future__ import annotations

import math
import os
import threading
from collections import deque
from dataclasses import dataclass

from sim import Scenario

__all__ = [
    "AUTO_REPLICATIONS",
    "WARN_S",
    "RunPlan",
    "auto_replications",
    "fmt_duration",
    "max_run_s",
    "plan",
    "predict_run_s",
    "record_timing",
]

#: Seconds a run may take before the lab asks the user to confirm it.
WARN_S = 30.0
#: (predicted seconds of one run below which, replications chosen): 5 under 2 s, ...
AUTO_REPLICATIONS: tuple[tuple[float, int], ...] = ((2.0, 5), (10.0, 3), (30.0, 2))

_SETUP_S = 0.05
_GRAPH_S_PER_CONSUMER = 1.3e-6
_TICK_S = 2.5e-3
_CONSUMER_DAY_S = 7e-8
_COMPLEX_EXTRA = 1.5  #: mostly-public exchange costs up to 2.5 times as much per consumer-day


def max_run_s() -> float:
    """The longest run (all replications, baseline included) the dashboard starts, in seconds."""
    try:
        cap = float(os.environ.get("EXLAB_DASHBOARD_MAX_RUN_S", "600"))
    except ValueError:
        cap = 600.0
    return cap if cap > 0 else 600.0


def _complex_share(sc: Scenario) -> float:
    ex = sc.exchange
    if ex.schedule:
        return max(float(p.complex) for p in ex.schedule)
    return float(ex.complex)


def raw_predict_s(sc: Scenario, ticks: int) -> float:
    """The benchmark model of one run's wall time, in seconds, before this server's correction.

    The warm-up's days (``run.warmup_days``, simulated before day 1) cost as much as the run's.
    """
    n = int(sc.population.consumers)
    per_day = _TICK_S + n * _CONSUMER_DAY_S * (1.0 + _COMPLEX_EXTRA * _complex_share(sc))
    return _SETUP_S + n * _GRAPH_S_PER_CONSUMER + (int(ticks) + int(sc.run.warmup_days)) * per_day


_LOCK = threading.Lock()
_RATIOS: deque[float] = deque(maxlen=20)


def record_timing(predicted_s: float, actual_s: float) -> None:
    """Remember how long a computed run took against its raw prediction (runs over 0.5 s only)."""
    if predicted_s > 0 and actual_s >= 0.5 and math.isfinite(actual_s):
        with _LOCK:
            _RATIOS.append(actual_s / predicted_s)


def correction() -> float:
    """This server's measured speed against the benchmark: the median ratio, within [0.25, 4]."""
    with _LOCK:
        ratios = sorted(_RATIOS)
    if len(ratios) < 3:
        return 1.0
    return min(4.0, max(0.25, ratios[len(ratios) // 2]))


def predict_run_s(sc: Scenario, ticks: int) -> float:
    """Predicted wall time of one run of ``sc`` over ``ticks`` days on this server, in seconds."""
    return raw_predict_s(sc, ticks) * correction()


def auto_replications(per_run_s: float) -> int:
    """Replications chosen for a run predicted at ``per_run_s``: 5 under 2 s, 3 under 10 s,
    2 under 30 s, 1 above."""
    for limit, reps in AUTO_REPLICATIONS:
        if per_run_s < limit:
            return reps
    return 1


def fmt_duration(seconds: float) -> str:
    """``under a second``, ``about 4 s``, ``about 2 min``, ``about 1.5 h``."""
    if not math.isfinite(seconds):
        return "unknown"
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 5400:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


@dataclass(frozen=True)
class RunPlan:
    """What pressing Run will do: runs to compute, runs already cached, and the predicted time."""

    per_run_s: float
    replications: int
    auto: bool
    to_compute: int  #: what-if and baseline replications not in the cache
    cached: int
    total_s: float
    cap_s: float

    @property
    def verdict(self) -> str:
        """``"ok"``, ``"confirm"`` (over :data:`WARN_S`) or ``"refuse"`` (over the cap)."""
        if self.total_s > self.cap_s:
            return "refuse"
        return "confirm" if self.total_s > WARN_S else "ok"

    def replications_words(self) -> str:
        """Why this many replications, in one sentence."""
        one = fmt_duration(self.per_run_s)
        if not self.auto:
            return f"{self.replications} replication(s), as set (one run: {one})."
        return (
            f"{self.replications} replication(s), chosen from the predicted cost: one run takes "
            f"{one}, and cheaper runs get more replications (5 under 2 s, 3 under 10 s, "
            "2 under 30 s, else 1)."
        )

    def short_words(self) -> str:
        """One line for the run bar: the predicted time, the runs, the replications."""
        reps = f"{self.replications} replication{'s' if self.replications != 1 else ''} each" + (
            " (automatic)" if self.auto else ""
        )
        if self.to_compute == 0:
            return f"Instant: all {self.cached} runs come from the cache · {reps}"
        cached = f" + {self.cached} cached" if self.cached else ""
        long = " · a long run" if self.verdict == "confirm" else ""
        return (
            f"Predicted {fmt_duration(self.total_s)} · {self.to_compute} run"
            f"{'s' if self.to_compute != 1 else ''} to compute{cached} · {reps}{long}"
        )

    def time_words(self) -> str:
        """The prediction in words, with what is cached."""
        runs = self.to_compute + self.cached
        if self.to_compute == 0:
            return f"All {runs} run(s) (what-if and baseline) come from the cache: instant."
        cached = f"; {self.cached} from the cache" if self.cached else ""
        return (
            f"Predicted: {fmt_duration(self.total_s)} for {self.to_compute} run(s) to compute "
            f"(what-if and baseline, {self.replications} replication(s) each{cached})."
        )


def plan(
    per_run_s: float,
    replications: int | None,
    cached: int = 0,
    cap_s: float | None = None,
    scenarios: int = 2,
) -> RunPlan:
    """The plan of a what-if and its baseline, ``replications`` each (None: chosen automatically).

    ``scenarios`` is 1 when no lever changed (the what-if is the baseline and
    runs once); ``cached`` counts the runs the cache already holds.
    """
    auto = replications is None
    reps = auto_replications(per_run_s) if auto else int(replications)
    runs = max(1, int(scenarios)) * reps
    to_compute = max(0, runs - int(cached))
    return RunPlan(
        per_run_s=per_run_s,
        replications=reps,
        auto=auto,
        to_compute=to_compute,
        cached=runs - to_compute,
        total_s=per_run_s * to_compute,
        cap_s=max_run_s() if cap_s is None else cap_s,
    )
