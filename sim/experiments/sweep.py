"""run_sweep(): experiment -> design -> runs -> executor -> results folder, resumable.

Resume is application-level, since no executor persists its state: every run
has a key, a finished run is a part file named by its key, and a sweep started
again on the same folder runs only the keys without a part file. The driver is
the only writer, and it writes each file atomically, so killing it at any
moment (even ``kill -9``) loses at most the runs in flight and never leaves a
half-written or duplicated run. Each part file found on resume is checked
(readable, its run's key, the run's number of rows); a damaged one, from a
machine lost while writing say, is run again. A folder made from a different
experiment file (or a base scenario that changed since) is refused unless
``fresh``, and a folder this tool did not make is refused whatever the options
(see :mod:`~sim.experiments.store`).
"""

from __future__ import annotations

import os
import shlex
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sim.atomic import check_output_folder
from sim.experiments.designs import build_design
from sim.experiments.engine import engine_fingerprint
from sim.experiments.executors import DaskExecutor
from sim.experiments.runs import RunJob, RunSpec, execute_run, plan_runs, run_rows
from sim.experiments.spec import Experiment
from sim.experiments.store import ResultsFolder, default_owned_files
from sim.scenario import ScenarioError, with_overrides

__all__ = ["SweepSummary", "run_sweep"]

MANIFEST_FORMAT = 2
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


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None where unknown.

    Recorded with a driver's pid so that a later process reusing the pid is not
    taken for the driver.
    """
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return None


def resume_command(exp: Experiment, folder: Path) -> list[str]:
    """The command that resumes this sweep (run from the driver's working directory)."""
    return ["exlab", "sweep", exp.source or f"{exp.name}.toml", "--out", str(folder)]


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
        # every file this tool writes here besides the part files of seeds.runs; --fresh removes
        # these and those, and nothing else
        "owned_files": default_owned_files(list(exp.outcomes.names)),
    }


def _refuse_changed(folder: ResultsFolder, manifest: dict, exp: Experiment) -> None:
    checks = (
        ("experiment file", manifest.get("experiment", {}).get("sha256", ""), exp.sha256,
         "the file these results were made from", "; give --fresh to discard them and start over, "
         "or a new folder with --out",
         f"{exp.source or 'a file'} with sha256 {exp.sha256[:12]}..."),
        ("base scenario", manifest.get("base_scenario", {}).get("sha256", ""), exp.base_sha256,
         "the scenario these results were made from", "; give --fresh to discard them, or a new "
         "folder with --out",
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
            ``fresh``), an invalid design point, a folder locked by another sweep,
            a folder this tool did not make (whatever ``fresh`` says), or workers
            whose engine differs from this one.
    """
    from tqdm import tqdm

    t0 = time.perf_counter()
    check_output_folder(out)
    folder = ResultsFolder(out)
    design = build_design(exp)
    runs = plan_runs(exp, design)
    _check_points(exp, runs)
    folder.check_ownership()  # before the lock file is made: a folder of the user's stays untouched
    with folder.locked():
        manifest = folder.check_ownership()
        if manifest is not None:
            if fresh:
                folder.clear(manifest)
                manifest = None
            else:
                _refuse_changed(folder, manifest, exp)
        if manifest is None:
            manifest = _new_manifest(exp, runs, design)
            folder.runs.mkdir(parents=True, exist_ok=True)
            points = design.points.copy()
            if design.unit is not None:
                for j, f in enumerate(exp.factors):
                    points[f"unit:{f.path}"] = design.unit[:, j]
            folder.write_design(points)
            folder.write_manifest(manifest)
        folder.remove_temporaries(manifest)

        job = RunJob.of(exp)
        numeric = ("point", "replication", "seed", "tick", *exp.outcomes.names)
        done_keys, damaged = folder.check_parts({r.run_id: run_rows(r, job) for r in runs}, numeric)
        if damaged:
            for key in damaged:
                folder.part_path(key).unlink(missing_ok=True)
            shown = "; ".join(f"runs/{k}.parquet: {why}" for k, why in list(damaged.items())[:3])
            more = f" and {len(damaged) - 3} more" if len(damaged) > 3 else ""
            print(f"warning: {len(damaged)} damaged part files are run again ({shown}{more})", file=sys.stderr)
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
        own_executor = executor is None and bool(todo)
        if own_executor:
            executor = DaskExecutor(scheduler, workers)
        try:
            check_engine = getattr(executor, "check_engine", None)
            if todo and check_engine is not None:
                check_engine(fingerprint)
        except BaseException:
            if own_executor:
                executor.close()
            raise
        session = {
            "started": _now(),
            "engine_sha256": fingerprint,
            "finished": None,
            "executor": None,
            "skipped": skipped,
            "rerun_damaged": len(damaged),
            "done": 0,
            "failed": 0,
            "status": "running",
            "driver": {"pid": os.getpid(), "host": socket.gethostname(), "started": process_start(os.getpid()),
                       "cwd": os.getcwd(), "command": shlex.join(resume_command(exp, folder.root))},
        }
        manifest["sessions"].append(session)
        manifest["status"] = "running"
        manifest["finished"] = None

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
                for item in executor.imap_unordered(run_fn, todo, job):
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
