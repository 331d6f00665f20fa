"""The fingerprint of the engine's source: which code made a run, compared across sessions and workers."""

from __future__ import annotations

from pathlib import Path

__all__ = ["engine_fingerprint"]


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
