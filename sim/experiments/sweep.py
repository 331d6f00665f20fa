"""run_sweep(): experiment -> design -> runs -> executor -> results folder, resumable.

Resume is application-level, since no executor persists its state: every run
has a key, a finished run is a part file named by its key, and a sweep started
again on the same folder runs only the keys without a part file. The driver is
the only writer, and it writes each file atomically, so killing it at any
moment (even ``kill -9``) loses at most the runs in flight and never leaves a
half-written or duplicated run. A folder made from a different experiment
file (or a base scenario that changed since) is refused unless ``fresh``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sim.experiments.designs import build_design
from sim.experiments.executors import DaskExecutor
from sim.experiments.runs import RunJob, RunSpec, execute_run, plan_runs
from sim.experiments.spec import Experiment
from sim.experiments.store import ResultsFolder
from sim.scenario import ScenarioError, with_overrides

__all__ = ["SweepSummary", "run_sweep"]

MANIFEST_FORMAT = 1
MANIFEST_EVERY_S = 10.0


@dataclass(frozen=True)
class SweepSummary:
    """What a call to :func:`run_sweep` did.

    Attributes:
        folder: The results folder.
        planned: Runs in the experiment.
        skipped: Runs already done before this call (resumed).
        done: Runs completed by this call.
        failed: Runs that failed in this call (recorded in failures.csv).
        missing: Runs still without a part file (failed or never run).
        wall_s: Seconds this call took.
    """

    folder: Path
    planned: int
    skipped: int
    done: int
    failed: int
    missing: int
    wall_s: float


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _versions() -> dict[str, str]:
    from importlib import metadata

    from sim import __version__

    out = {"exchangelab": __version__, "python": sys.version.split()[0]}
    for dist in ("mesa", "numpy", "pandas", "pyarrow", "scipy", "SALib", "dask", "distributed"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def engine_fingerprint() -> str:
    """SHA-256 over the engine's source files (``sim/`` without ``sim/experiments/``).

    The package version does not change with every edit of a working copy; this
    does, so a resumed sweep can tell that its runs came from different code.
    """
    import hashlib

    import sim

    root = Path(sim.__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] == "experiments":
            continue
        h.update(rel.as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _check_points(exp: Experiment, runs: list[RunSpec]) -> None:
    """Every point must give a valid scenario (cross-field checks included)."""
    problems = []
    seen = set()
    for r in runs:
        if r.point in seen or not r.params:
            continue
        seen.add(r.point)
        try:
            with_overrides(exp.base, r.params)
        except ScenarioError as exc:
            for path, expected, given in exc.problems:
                problems.append((f"design point {r.point} {r.params}: {path}", expected, given))
        if len(problems) >= 10:
            break
    if problems:
        raise ScenarioError(problems, exp.source)


def _new_manifest(exp: Experiment, runs: list[RunSpec], design) -> dict:
    from sim.experiments.designs import salib_problem

    spec = exp.design
    return {
        "format": MANIFEST_FORMAT,
        "experiment": {
            "name": exp.name,
            "source": exp.source,
            "sha256": exp.sha256,
            "text": exp.text,
        },
        "base_scenario": {"ref": exp.base_ref, "sha256": exp.base_sha256, "toml": exp.base_toml},
        "versions": _versions(),
        "design": {
            "kind": spec.kind,
            "samples": spec.samples,
            "replications": spec.replications,
            "seed": spec.seed,
            "levels": spec.levels,
            "second_order": spec.second_order,
            "common_random_numbers": spec.common_random_numbers,
            "points": len(design.points),
            "parameters": [
                {
                    "path": f.path,
                    "kind": f.kind,
                    "values": list(f.values) if f.values is not None else None,
                    "range": list(f.range) if f.range is not None else None,
                    "steps": f.steps,
                }
                for f in exp.factors
            ],
            "salib_problem": salib_problem(exp.factors) if design.unit is not None else None,
        },
        "outcomes": {
            "names": list(exp.outcomes.names),
            "keep": exp.outcomes.keep,
            "at_ticks": list(exp.outcomes.at_ticks),
            "ticks": exp.ticks,
        },
        "seeds": {
            "root": spec.seed,
            "rule": (
                "derive_seed(root, 'common', replication)"
                if spec.common_random_numbers
                else "derive_seed(root, point, replication)"
            ),
            "columns": ["run_id", "point", "replication", "seed"],
            "runs": [[r.run_id, r.point, r.replication, r.seed] for r in runs],
        },
        "started": _now(),
        "finished": None,
        "status": "running",
        "counts": {"planned": len(runs), "done": 0, "failed": 0, "missing": len(runs)},
        "sessions": [],
    }


def _refuse_changed(folder: ResultsFolder, manifest: dict, exp: Experiment) -> None:
    checks = (
        ("experiment file", manifest.get("experiment", {}).get("sha256", ""), exp.sha256,
         "the file these results were made from", "; give --fresh to discard them and start over",
         f"{exp.source or 'a file'} with sha256 {exp.sha256[:12]}..."),
        ("base scenario", manifest.get("base_scenario", {}).get("sha256", ""), exp.base_sha256,
         "the scenario these results were made from", "; give --fresh to discard them",
         f"{exp.base_ref} changed (sha256 {exp.base_sha256[:12]}...)"),
    )
    for what, old, new, made_from, advice, given in checks:
        if old != new:
            raise ScenarioError([(what, f"{made_from} (sha256 {old[:12]}...){advice}", given)],
                                str(folder.root))


def run_sweep(
    exp: Experiment,
    out: str | Path,
    *,
    executor=None,
    fresh: bool = False,
    progress: bool = True,
    workers: int | None = None,
    scheduler: str | None = None,
    run_fn: Callable[[RunSpec, RunJob], object] = execute_run,
) -> SweepSummary:
    """Run (or resume) every run of an experiment into a results folder.

    Args:
        exp: The validated experiment.
        out: The results folder (created if missing).
        executor: Where runs execute (:class:`SerialExecutor`, :class:`DaskExecutor`, ...).
            None starts a Dask executor (``scheduler`` address, or an embedded local
            cluster of ``workers`` processes) if any run is left to do.
        fresh: Discard what the folder holds and start over.
        progress: Show a progress bar (runs done, failures, ETA) on stderr.
        workers: Worker processes of the embedded local cluster (default: usable cores).
        scheduler: Address of a running Dask scheduler.
        run_fn: The function a worker calls per run (``execute_run``; tests swap it).

    Returns:
        A :class:`SweepSummary`; failed runs are recorded in ``failures.csv`` and are
        retried by the next call on the same folder.

    Raises:
        ScenarioError: a changed experiment for an existing folder (without
            ``fresh``), an invalid design point, or a folder locked by another sweep.
    """
    from tqdm import tqdm

    t0 = time.perf_counter()
    folder = ResultsFolder(out)
    design = build_design(exp)
    runs = plan_runs(exp, design)
    _check_points(exp, runs)
    with folder.locked():
        if folder.has_manifest():
            manifest = folder.read_manifest()
            if fresh:
                folder.clear()
            else:
                _refuse_changed(folder, manifest, exp)
        elif folder.done_keys():
            if not fresh:
                raise ScenarioError(
                    [
                        (
                            "runs/",
                            "a results folder with a manifest.json, or --fresh",
                            "part files without a manifest",
                        )
                    ],
                    str(folder.root),
                )
            folder.clear()
        if not folder.has_manifest():
            manifest = _new_manifest(exp, runs, design)
            folder.runs.mkdir(parents=True, exist_ok=True)
            points = design.points.copy()
            if design.unit is not None:
                for j, f in enumerate(exp.factors):
                    points[f"unit:{f.path}"] = design.unit[:, j]
            folder.write_design(points)
            folder.write_manifest(manifest)
        folder.remove_temporaries()

        planned = {r.run_id for r in runs}
        done_keys = folder.done_keys() & planned
        todo = [r for r in runs if r.run_id not in done_keys]
        skipped = len(runs) - len(todo)
        for earlier in manifest["sessions"]:
            if earlier.get("status") == "running":  # we hold the lock: that driver died
                earlier["status"] = "stopped (driver ended without closing the session)"
        fingerprint = engine_fingerprint()
        earlier_prints = {e.get("engine_sha256") for e in manifest["sessions"]} - {None}
        if earlier_prints and earlier_prints != {fingerprint} and todo:
            print(
                "warning: the engine's source (sim/) changed since this sweep started: "
                "runs done before and after this point come from different code; "
                "use --fresh to rerun them all",
                file=sys.stderr,
            )
        session = {
            "started": _now(),
            "engine_sha256": fingerprint,
            "finished": None,
            "executor": None,
            "skipped": skipped,
            "done": 0,
            "failed": 0,
            "status": "running",
        }
        manifest["sessions"].append(session)
        manifest["status"] = "running"
        manifest["finished"] = None

        own_executor = executor is None and bool(todo)
        if own_executor:
            executor = DaskExecutor(scheduler, workers)
        session["executor"] = (
            getattr(executor, "description", type(executor).__name__)
            if todo
            else "none (nothing left to run)"
        )
        folder.write_manifest(manifest)

        n_done = n_failed = 0
        last_write = time.monotonic()

        def save(status: str) -> None:
            missing = len(runs) - len(done_keys)
            session.update(done=n_done, failed=n_failed, status=status)
            manifest["counts"] = {
                "planned": len(runs),
                "done": len(done_keys),
                # runs whose last attempt failed: recorded in failures.csv, still without a part
                "failed": len(set(folder.read_failures()["run_id"]) - done_keys),
                "missing": missing,
            }
            if status != "running":
                session["finished"] = _now()
                manifest["finished"] = session["finished"]
                manifest["status"] = "complete" if missing == 0 else status
            folder.write_manifest(manifest)

        bar = tqdm(
            total=len(runs),
            initial=skipped,
            unit="run",
            desc=exp.name,
            file=sys.stderr,
            disable=not progress,
            dynamic_ncols=True,
            smoothing=0.1,
        )
        bar.set_postfix(failed=0)
        status = "interrupted"
        try:
            if todo:
                for item in executor.imap_unordered(run_fn, todo, RunJob.of(exp)):
                    spec: RunSpec = item.task
                    if item.error is None:
                        folder.write_part(spec.run_id, item.value)
                        done_keys.add(spec.run_id)
                        n_done += 1
                    else:
                        n_failed += 1
                        folder.append_failures(
                            [
                                {
                                    "run_id": spec.run_id,
                                    "point": spec.point,
                                    "replication": spec.replication,
                                    "seed": spec.seed,
                                    "error": item.error,
                                    "time": _now(),
                                }
                            ]
                        )
                        bar.set_postfix(failed=n_failed)
                    bar.update(1)
                    if time.monotonic() - last_write > MANIFEST_EVERY_S:
                        save("running")
                        last_write = time.monotonic()
            status = "incomplete" if n_failed else "complete"
        finally:
            bar.close()
            save(status)
            if own_executor:
                executor.close()
    return SweepSummary(
        folder=folder.root,
        planned=len(runs),
        skipped=skipped,
        done=n_done,
        failed=n_failed,
        missing=len(runs) - len(done_keys),
        wall_s=time.perf_counter() - t0,
    )
