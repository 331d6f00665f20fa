"""Fingerprints of the source: which code made a run (engine) and which made the validation report (model)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["engine_fingerprint", "model_fingerprint"]


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


def model_fingerprint() -> str:
    """SHA-256 over the sources that compute the model's numbers: what a validation report was made from.

    Covers every ``sim/**/*.py`` except the parts that only run, store or
    print (``sim/experiments/``, ``sim/decisions/``, ``sim/calibration/``, ``sim/cli.py``, ``sim/__main__.py``,
    ``sim/validation/report.py``, the report's writer; ``sim/memory.py``,
    the memory estimate made before a run; ``sim/env.py``, the check of
    environment variables; ``sim/atomic.py``, file writing;
    ``sim/precompile.py``, compiling ahead), plus the preset
    scenarios ``scenarios/*.toml`` (the theory cases and the claims start
    from them). The validation cases (``sim/validation/*.py``) are covered:
    a changed case or tolerance changes the evidence. Each file enters as its
    path relative to its root, a NUL byte, its bytes and a NUL byte, in
    sorted path order, so a renamed or moved file changes the digest too.

    ``docs/VALIDATION.md`` is stamped with it: when the stamp differs, the
    evidence was made by other code (or other presets) and must be
    regenerated with ``make validate``; a change to the writer, the CLI or
    the batch runner alone does not make it stale.
    """
    import hashlib

    import sim

    package = Path(sim.__file__).resolve().parent
    skipped = {"cli.py", "__main__.py", "validation/report.py", "memory.py", "env.py", "atomic.py", "precompile.py"}
    files = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if rel.parts[0] in ("experiments", "decisions", "calibration") or rel.as_posix() in skipped:
            continue
        files.append((f"sim/{rel.as_posix()}", path))
    presets = package.parent / "scenarios"
    files += [(f"scenarios/{p.name}", p) for p in sorted(presets.glob("*.toml"))]
    h = hashlib.sha256()
    for name, path in files:
        h.update(name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()
