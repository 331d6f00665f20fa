"""The results folder of a sweep: a Parquet dataset, a manifest, the design and the failures.

Layout::

    FOLDER/
      manifest.json      experiment text and sha256, base scenario, versions, seeds, times, counts
      design.csv         one row per point: the parameter values (and the sampler's unit matrix)
      runs/              the dataset: one part file per run, named <run_id>.parquet
      failures.csv       one row per failed attempt (run key, seed, error), if any failed
      lock               held (flock) by the driver while it writes

``pd.read_parquet(FOLDER / "runs")`` (or polars / DuckDB on ``runs/*.parquet``)
reads the dataset as is. Every file is written to a temporary name in the same
folder and renamed into place, so a killed driver leaves either a whole part
file or none; temporary names start with a dot, which dataset readers skip.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from sim.scenario import ScenarioError

__all__ = ["ResultsFolder"]

PART_SUFFIX = ".parquet"
FAILURE_COLUMNS = ["run_id", "point", "replication", "seed", "error", "time"]
# Names this module creates; --fresh removes these and nothing else.
OWNED = ("manifest.json", "design.csv", "failures.csv", "sensitivity.csv", "summary.csv")
OWNED_DIRS = ("runs", "plots")


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class ResultsFolder:
    """Reads and writes one results folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.manifest_path = self.root / "manifest.json"
        self.design_path = self.root / "design.csv"
        self.failures_path = self.root / "failures.csv"
        self._lock_fh = None

    # ------------------------------------------------------------- locking
    @contextlib.contextmanager
    def locked(self):
        """Hold the folder's lock; refuse if another driver holds it.

        The lock is an ``flock``: the kernel releases it when its holder dies,
        even by ``kill -9``, so a crashed driver never leaves a stale lock.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.root / "lock", "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise ScenarioError(
                [
                    (
                        "(folder)",
                        "a results folder no other sweep is writing to",
                        "a folder locked by a running sweep",
                    )
                ],
                str(self.root),
            ) from None
        try:
            yield self
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()

    # ------------------------------------------------------------- manifest
    def has_manifest(self) -> bool:
        """Whether the folder holds a manifest (a sweep was started here)."""
        return self.manifest_path.exists()

    def read_manifest(self) -> dict:
        """The manifest, or a ScenarioError if it is missing or unreadable."""
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ScenarioError(
                [
                    (
                        "manifest.json",
                        "a results folder written by `exlab sweep`",
                        "no manifest.json",
                    )
                ],
                str(self.root),
            ) from None
        except (OSError, json.JSONDecodeError) as exc:
            raise ScenarioError(
                [("manifest.json", "a readable JSON manifest", str(exc))], str(self.root)
            ) from None

    def write_manifest(self, manifest: dict) -> None:
        """Replace the manifest atomically."""
        _atomic_write_bytes(
            self.manifest_path, json.dumps(manifest, indent=1, default=str).encode("utf-8")
        )

    # ------------------------------------------------------------- runs
    def part_path(self, run_id: str) -> Path:
        """Where the part file of ``run_id`` lives."""
        return self.runs / f"{run_id}{PART_SUFFIX}"

    def done_keys(self) -> set[str]:
        """Run keys that have a complete part file."""
        if not self.runs.is_dir():
            return set()
        return {
            p.name[: -len(PART_SUFFIX)]
            for p in self.runs.iterdir()
            if p.name.endswith(PART_SUFFIX) and not p.name.startswith(".")
        }

    def write_part(self, run_id: str, table: pd.DataFrame) -> Path:
        """Write a run's rows atomically (temporary file, then rename)."""
        from sim.run import write_table

        return write_table(table, self.part_path(run_id))

    def remove_temporaries(self) -> int:
        """Delete temporary files a killed driver left behind; return how many."""
        n = 0
        for folder in (self.root, self.runs):
            if folder.is_dir():
                for p in folder.iterdir():
                    if p.name.startswith(".") and p.name.endswith(".tmp"):
                        p.unlink(missing_ok=True)
                        n += 1
        return n

    def read_runs(self) -> pd.DataFrame:
        """The whole dataset (empty frame if no run is done)."""
        if not self.done_keys():
            return pd.DataFrame()
        return pd.read_parquet(self.runs)

    # ------------------------------------------------------------- design
    def write_design(self, points: pd.DataFrame) -> None:
        """Write the design table atomically."""
        _atomic_write_bytes(self.design_path, points.to_csv(index=False).encode("utf-8"))

    def read_design(self) -> pd.DataFrame:
        """The design table."""
        return pd.read_csv(self.design_path)

    # ------------------------------------------------------------- failures
    def read_failures(self) -> pd.DataFrame:
        """Every failed attempt recorded so far."""
        if not self.failures_path.exists():
            return pd.DataFrame(columns=FAILURE_COLUMNS)
        return pd.read_csv(self.failures_path)

    def append_failures(self, rows: list[dict[str, Any]]) -> None:
        """Add failure rows (rewrites the small table atomically)."""
        if not rows:
            return
        old = self.read_failures()
        new = pd.DataFrame(rows, columns=FAILURE_COLUMNS)
        table = new if old.empty else pd.concat([old, new], ignore_index=True)
        _atomic_write_bytes(self.failures_path, table.to_csv(index=False).encode("utf-8"))

    # ------------------------------------------------------------- fresh start
    def clear(self) -> None:
        """Remove what a sweep wrote here (and only that)."""
        import shutil

        for name in OWNED:
            (self.root / name).unlink(missing_ok=True)
        for name in OWNED_DIRS:
            d = self.root / name
            if d.is_dir():
                shutil.rmtree(d)
        self.remove_temporaries()
