"""The results folder of a sweep: a Parquet dataset, a manifest, the design and the failures.

Layout::

    FOLDER/
      manifest.json      experiment text and sha256, base scenario, versions, seeds, times, counts,
                         the files this tool writes here
      design.csv         one row per point: the parameter values (and the sampler's unit matrix)
      runs/              the dataset: one part file per run, named <run_id>.parquet
      failures.csv       one row per failed attempt (run key, seed, error), if any failed
      summary.csv, sensitivity.csv, plots/   written by ``exlab report``
      lock               held (flock) by the driver while it writes

``pd.read_parquet(FOLDER / "runs")`` (or polars / DuckDB on ``runs/*.parquet``)
reads the dataset as is. Every file is written by :func:`sim.atomic.atomic_write`
(a temporary name in the same folder, fsync, rename, fsync of the folder), so
a killed driver or a lost machine leaves either a whole part file or none;
temporary names start with a dot, which dataset readers skip.

Ownership: a sweep writes only into a new or empty folder, or into a folder
whose manifest it wrote. The manifest lists the files this tool writes there
(``owned_files``) and the runs whose part files it writes (``seeds.runs``);
``--fresh`` removes those and nothing else, so a file of the user's is never
deleted, and a folder of the user's is refused rather than emptied.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from sim.atomic import atomic_write, is_temporary_of, temporary_target
from sim.scenario import ScenarioError

__all__ = ["ResultsFolder", "default_owned_files", "manifest_problems"]

PART_SUFFIX = ".parquet"
FAILURE_COLUMNS = ["run_id", "point", "replication", "seed", "error", "time"]
LOCK_NAME = "lock"
MANIFEST_NAME = "manifest.json"
#: Files of a results folder outside runs/ and plots/.
FIXED_FILES = (MANIFEST_NAME, "design.csv", "failures.csv", "summary.csv", "sensitivity.csv", LOCK_NAME)
#: What a name in a manifest's ``owned_files`` may be (never a path that leaves the folder).
_OWNED_NAME = re.compile(r"(manifest\.json|design\.csv|failures\.csv|summary\.csv|sensitivity\.csv|lock"
                         r"|plots/[A-Za-z0-9_]+\.png)")
#: A run key (``runs.run_key``): also a safe file name.
_RUN_ID = re.compile(r"p\d{6,}-r\d{3,}-[0-9a-f]{8}")
#: Fields every manifest has, by dotted path, with their types.
_MANIFEST_FIELDS: dict[str, type] = {
    "format": int,
    "experiment": dict, "experiment.name": str, "experiment.sha256": str, "experiment.text": str,
    "base_scenario": dict, "base_scenario.ref": str, "base_scenario.sha256": str,
    "versions": dict,
    "design": dict, "design.kind": str, "design.points": int, "design.replications": int,
    "design.seed": int, "design.levels": int, "design.second_order": bool, "design.parameters": list,
    "outcomes": dict, "outcomes.names": list, "outcomes.keep": str, "outcomes.ticks": int,
    "seeds": dict, "seeds.rule": str, "seeds.root": int, "seeds.runs": list,
    "counts": dict, "counts.planned": int,
    "status": str,
    "sessions": list,
}
#: Fields a manifest may have, with their types (None allowed).
_OPTIONAL_FIELDS: dict[str, type] = {
    "experiment.source": str, "outcomes.at_ticks": list, "owned_files": list,
}
#: Fields a session may have, with their types (None allowed).
_SESSION_FIELDS: dict[str, type] = {
    "engine_sha256": str, "done": int, "failed": int, "skipped": int, "status": str, "driver": dict,
    "driver.pid": int, "driver.host": str, "driver.started": str, "driver.cwd": str, "driver.command": str,
}


_KIND_NAMES = {int: "an integer", str: "text", dict: "an object", list: "a list", bool: "true or false"}


def _is(value: Any, kind: type) -> bool:
    return isinstance(value, kind) and not (isinstance(value, bool) and kind is int)


def _optional_problems(data: dict, fields: dict, where: str) -> list[str]:
    problems = []
    for dotted, kind in fields.items():
        try:
            value = _get(data, dotted)
        except KeyError:
            continue
        if value is not None and not _is(value, kind):
            problems.append(f"{where}{dotted} is not {_KIND_NAMES[kind]}")
    return problems


def default_owned_files(outcomes: list[str]) -> list[str]:
    """The files this tool writes in a results folder of these outcomes (part files aside)."""
    plots = [f"plots/{name}{tail}.png" for name in outcomes for tail in ("", "_series")]
    return [*FIXED_FILES, *plots]


def _get(data: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(data, dict) or key not in data:
            raise KeyError(dotted)
        data = data[key]
    return data


def manifest_problems(m: Any) -> list[str]:
    """What keeps ``m`` from being a manifest written by ``exlab sweep`` (empty: nothing).

    Checks the type of every field that is read back, and that the fields agree
    (known outcomes and design kind, run keys that are file names, run points
    within the design), so a damaged manifest is refused in one line rather
    than failing somewhere later.
    """
    from sim.experiments.spec import DESIGNS, KEEP, OUTCOME_NAMES

    if not isinstance(m, dict):
        return [f"a JSON object, got {type(m).__name__}"]
    problems = []
    for dotted, kind in _MANIFEST_FIELDS.items():
        try:
            value = _get(m, dotted)
        except KeyError:
            problems.append(f"no {dotted}")
            continue
        if not _is(value, kind):
            problems.append(f"{dotted} is not {_KIND_NAMES[kind]}")
    problems += _optional_problems(m, _OPTIONAL_FIELDS, "")
    if problems:
        return problems
    design, outcomes = m["design"], m["outcomes"]
    if design["kind"] not in DESIGNS:
        problems.append(f"design.kind {design['kind']!r} is not a design")
    if outcomes["keep"] not in KEEP:
        problems.append(f"outcomes.keep {outcomes['keep']!r} is not one of {', '.join(KEEP)}")
    if not outcomes["names"] or not all(n in OUTCOME_NAMES for n in outcomes["names"]):
        problems.append("outcomes.names are not all outcome names")
    if not all(_is(t, int) for t in outcomes.get("at_ticks") or []):
        problems.append("outcomes.at_ticks are not all ticks")
    if outcomes["ticks"] < 1 or design["replications"] < 1 or design["levels"] < 2:
        problems.append("outcomes.ticks, design.replications or design.levels out of range")
    if design["points"] * design["replications"] != len(m["seeds"]["runs"]):
        problems.append("design.points x design.replications is not the number of seeds.runs")
    for i, p in enumerate(design["parameters"]):
        if not isinstance(p, dict) or not isinstance(p.get("path"), str):
            problems.append(f"design.parameters[{i}] has no path")
            break
    for i, r in enumerate(m["seeds"]["runs"]):
        if not (isinstance(r, list) and len(r) == 4 and isinstance(r[0], str) and _RUN_ID.fullmatch(r[0])
                and all(_is(x, int) for x in r[1:]) and 0 <= r[1] < design["points"] and r[2] >= 0):
            problems.append(f"seeds.runs[{i}] is not [run key, point, replication, seed] of this design")
            break
    if not all(isinstance(n, str) and _OWNED_NAME.fullmatch(n) for n in m.get("owned_files") or []):
        problems.append("owned_files names a file outside the results layout")
    for i, session in enumerate(m["sessions"]):
        found = (_optional_problems(session, _SESSION_FIELDS, f"sessions[{i}].") if isinstance(session, dict)
                 else [f"sessions[{i}] is not an object"])
        if found:
            problems += found
            break
    return problems


def _refusal(folder: Path, given: str) -> ScenarioError:
    """A folder this tool did not make: refused, with a new folder to use instead."""
    n = 2
    while folder.with_name(f"{folder.name}_{n}").exists():
        n += 1
    return ScenarioError(
        [("(folder)", f"a new or empty folder, or a results folder of `exlab sweep`; give a new folder "
          f"with --out (e.g. --out {folder.with_name(f'{folder.name}_{n}')})", given)],
        str(folder))


class ResultsFolder:
    """Reads and writes one results folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.manifest_path = self.root / MANIFEST_NAME
        self.design_path = self.root / "design.csv"
        self.failures_path = self.root / "failures.csv"
        self.lock_path = self.root / LOCK_NAME

    # ------------------------------------------------------------- ownership
    def foreign_entries(self) -> list[str]:
        """Entries of a folder without a manifest that this tool did not write (sorted).

        A lock file and temporaries of this tool's file names are its own (a
        sweep stopped before its first manifest leaves them).
        """
        if not self.root.is_dir():
            return []
        own = [n for n in FIXED_FILES if "/" not in n]
        out = []
        for p in self.root.iterdir():
            if p.name == LOCK_NAME and p.is_file() and p.stat().st_size == 0:
                continue
            if p.is_file() and any(is_temporary_of(p.name, n) for n in own):
                continue
            out.append(p.name + ("/" if p.is_dir() else ""))
        return sorted(out)

    def check_ownership(self) -> dict | None:
        """The manifest of a folder this tool may write into, or None for a new or empty folder.

        Raises:
            ScenarioError: the path is a file, the folder holds files of someone
                else's (no manifest), or its manifest was not written by ``exlab
                sweep`` or is damaged; the message suggests a new folder.
        """
        if self.root.exists() and not self.root.is_dir():
            raise ScenarioError([("--out", "a folder", f"{self.root} (an existing file)")])
        if self.manifest_path.exists() or self.manifest_path.is_symlink():
            try:
                return self.read_manifest()
            except ScenarioError as exc:
                raise _refusal(self.root, f"a folder whose manifest.json is not one of `exlab sweep` "
                                          f"({exc.problems[0][2]}); nothing in it was changed") from None
        foreign = self.foreign_entries()
        if foreign:
            shown = ", ".join(foreign[:4]) + (f" and {len(foreign) - 4} more" if len(foreign) > 4 else "")
            raise _refusal(self.root, f"a folder holding files not written by `exlab sweep` ({shown}); "
                                      "nothing in it was changed")
        return None

    # ------------------------------------------------------------- locking
    @contextlib.contextmanager
    def locked(self):
        """Hold the folder's lock; refuse if another driver holds it.

        The lock is an ``flock``: the kernel releases it when its holder dies,
        even by ``kill -9``, so a crashed driver never leaves a stale lock.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.lock_path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise ScenarioError(
                [("(folder)", "a results folder no other sweep is writing to",
                  "a folder locked by a running sweep")],
                str(self.root),
            ) from None
        try:
            yield self
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()

    def lock_is_held(self) -> bool:
        """Whether a driver holds the lock right now (never creates the lock file)."""
        try:
            fh = open(self.lock_path, "rb")
        except OSError:
            return False
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            except OSError:
                return False
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False

    # ------------------------------------------------------------- manifest
    def has_manifest(self) -> bool:
        """Whether the folder holds a manifest (a sweep was started here)."""
        return self.manifest_path.exists()

    def read_manifest(self, check: bool = True) -> Any:
        """The manifest, checked to be one written by ``exlab sweep`` (unless not ``check``).

        Raises:
            ScenarioError: missing, unreadable, not JSON, or (when checked) not
                shaped like a manifest of ``exlab sweep``.
        """
        def refuse(given: str) -> ScenarioError:
            return ScenarioError([("manifest.json", "a manifest written by `exlab sweep`", given)],
                                 str(self.root))

        try:
            raw = self.manifest_path.read_bytes()
        except FileNotFoundError:
            raise ScenarioError([("manifest.json", "a results folder written by `exlab sweep`",
                                  "no manifest.json")], str(self.root)) from None
        except OSError as exc:
            raise refuse(f"an unreadable file ({exc.strerror})") from None
        try:
            m = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise refuse("a binary file") from None
        except (json.JSONDecodeError, RecursionError) as exc:
            raise refuse(f"invalid or truncated JSON ({getattr(exc, 'msg', 'nested too deep')})") from None
        problems = manifest_problems(m) if check else []
        if problems:
            raise refuse("; ".join(problems[:3]))
        return m

    def write_manifest(self, manifest: dict) -> None:
        """Replace the manifest atomically."""
        atomic_write(self.manifest_path, json.dumps(manifest, indent=1, default=str).encode("utf-8"))

    # ------------------------------------------------------------- runs
    def part_path(self, run_id: str) -> Path:
        """Where the part file of ``run_id`` lives."""
        return self.runs / f"{run_id}{PART_SUFFIX}"

    def done_keys(self) -> set[str]:
        """Run keys that have a part file (not checked; see :meth:`check_parts`)."""
        if not self.runs.is_dir():
            return set()
        return {
            p.name[: -len(PART_SUFFIX)]
            for p in self.runs.iterdir()
            if p.name.endswith(PART_SUFFIX) and not p.name.startswith(".")
        }

    def check_part(self, run_id: str, rows: int, numeric: tuple[str, ...] = ()) -> str | None:
        """Why the part file of ``run_id`` is not a whole run of ``rows`` rows, or None if it is.

        The file must be a readable Parquet file whose ``run_id`` column holds
        only this key, with the expected number of rows and a numeric column
        for each name in ``numeric`` (the tick, the outcomes).
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.part_path(run_id)
        try:
            schema = pq.read_schema(path)
            table = pq.read_table(path, columns=["run_id"])
        except (OSError, pa.ArrowException, KeyError, ValueError) as exc:
            text = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            return f"not a readable Parquet file ({text})"
        keys = set(table.column("run_id").to_pylist())
        if keys != {run_id}:
            return f"holds rows of another run ({', '.join(sorted(map(str, keys))[:2])})"
        if table.num_rows != rows:
            return f"{table.num_rows} rows instead of {rows}"
        bad = [c for c in numeric if c not in schema.names
               or not (pa.types.is_integer(schema.field(c).type) or pa.types.is_floating(schema.field(c).type))]
        if bad:
            return f"no numeric column {bad[0]}"
        return None

    def check_parts(
        self, expected_rows: dict[str, int], numeric: tuple[str, ...] = ()
    ) -> tuple[set[str], dict[str, str]]:
        """Check every part file of the planned runs: ``(whole runs, {damaged run: why})``.

        ``expected_rows`` maps each planned run key to its number of rows;
        ``numeric`` names the columns every part must hold as numbers. Runs
        without a part file are in neither result.
        """
        present = [k for k in sorted(self.done_keys()) if k in expected_rows]
        with ThreadPoolExecutor(max_workers=8) as pool:
            verdicts = list(pool.map(lambda k: self.check_part(k, expected_rows[k], numeric), present))
        good = {k for k, why in zip(present, verdicts, strict=True) if why is None}
        damaged = {k: why for k, why in zip(present, verdicts, strict=True) if why is not None}
        return good, damaged

    def write_part(self, run_id: str, table: pd.DataFrame) -> Path:
        """Write a run's rows atomically and durably."""
        from sim.run import write_table

        return write_table(table, self.part_path(run_id))

    def remove_temporaries(self, manifest: dict) -> int:
        """Delete temporary files a killed driver left of this folder's own files; return how many."""
        targets: dict[Path, set[str]] = {}
        for name in self.owned_files(manifest):
            where = self.root / name
            targets.setdefault(where.parent, set()).add(where.name)
        targets.setdefault(self.runs, set()).update(f"{r[0]}{PART_SUFFIX}" for r in manifest["seeds"]["runs"])
        n = 0
        for folder, names in targets.items():
            if not folder.is_dir():
                continue
            for p in folder.iterdir():
                if temporary_target(p.name) in names and p.is_file():
                    p.unlink(missing_ok=True)
                    n += 1
        return n

    # ------------------------------------------------------------- design
    def write_design(self, points: pd.DataFrame) -> None:
        """Write the design table atomically."""
        atomic_write(self.design_path, points.to_csv(index=False).encode("utf-8"))

    def read_design(self) -> pd.DataFrame:
        """The design table."""
        return self._read_csv(self.design_path, None)

    # ------------------------------------------------------------- failures
    def read_failures(self) -> pd.DataFrame:
        """Every failed attempt recorded so far."""
        if not self.failures_path.exists():
            return pd.DataFrame(columns=FAILURE_COLUMNS)
        return self._read_csv(self.failures_path, FAILURE_COLUMNS)

    def append_failures(self, rows: list[dict[str, Any]]) -> None:
        """Add failure rows (rewrites the small table atomically)."""
        if not rows:
            return
        old = self.read_failures()
        new = pd.DataFrame(rows, columns=FAILURE_COLUMNS)
        table = new if old.empty else pd.concat([old, new], ignore_index=True)
        atomic_write(self.failures_path, table.to_csv(index=False).encode("utf-8"))

    def _read_csv(self, path: Path, columns: list[str] | None) -> pd.DataFrame:
        try:
            df = pd.read_csv(path)
        except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ScenarioError([(path.name, "a CSV table written by `exlab sweep`",
                                  str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__)],
                                str(self.root)) from None
        if columns is not None and not set(columns) <= set(df.columns):
            raise ScenarioError([(path.name, f"the columns {', '.join(columns)}",
                                  ", ".join(map(str, df.columns))[:120])], str(self.root))
        return df

    # ------------------------------------------------------------- fresh start
    def owned_files(self, manifest: dict) -> list[str]:
        """The files (part files aside) the manifest says this tool writes here."""
        owned = manifest.get("owned_files")
        if owned is None:  # a manifest from before owned_files was recorded
            owned = default_owned_files(list(manifest["outcomes"]["names"]))
        return list(owned)

    def clear(self, manifest: dict) -> int:
        """Remove what the manifest says this tool wrote here, and nothing else; return how many files.

        The part files of the manifest's runs, its owned files (the lock file
        stays: it is held), their temporaries; ``runs/`` and ``plots/`` only
        if that leaves them empty.
        """
        n = self.remove_temporaries(manifest)
        targets = [self.root / name for name in self.owned_files(manifest) if name != LOCK_NAME]
        targets += [self.part_path(r[0]) for r in manifest["seeds"]["runs"]]
        for p in targets:
            if p.is_file() or p.is_symlink():
                p.unlink()
                n += 1
        for d in (self.runs, self.root / "plots"):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
        return n
