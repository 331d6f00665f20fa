"""Output files written atomically and durably, and destinations checked before any work.

Every file ExchangeLab writes (tables, results folders, reports, plots)
goes through :func:`atomic_write`: the content goes to a temporary file next
to the destination (named ``.<name>.<random>.tmp``, which dataset readers
skip), is flushed to disk (``fsync``), takes the permissions the user would
expect, and is renamed over the destination; the folder's entry is flushed
too. A reader sees the old file or the new one, never half of one, and a
crash or power loss after the call returns cannot undo it. On any error the
temporary file is removed and the error names the destination, not the
temporary.

:func:`check_output_file` and :func:`check_output_folder` look at a
destination before a long run starts, so a typo costs seconds, not the run.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.scenario.loader import ScenarioError

__all__ = [
    "TEMP_SUFFIX",
    "atomic_write",
    "check_output_file",
    "check_output_folder",
    "fsync_folder",
    "is_temporary_of",
    "new_file_mode",
    "probe_writable",
    "temporary_target",
]

TEMP_SUFFIX = ".tmp"


def new_file_mode() -> int:
    """Permissions of a newly created file under the current umask (``0o666 & ~umask``).

    Read from ``/proc/self/status`` where it is available, because setting and
    restoring the umask to read it is not safe while other threads create files.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename into it, a new file) to disk, where the platform allows."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder; the rename still happened
        pass
    finally:
        os.close(fd)


def temporary_target(name: str) -> str | None:
    """The file a temporary named ``name`` was made for by :func:`atomic_write`, or None.

    Temporaries are named ``.<target>.<random>.tmp``; the random part has no dot.
    """
    if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)):
        return None
    target, dot, rand = name[1 : -len(TEMP_SUFFIX)].rpartition(".")
    return target if dot and target and rand else None


def is_temporary_of(name: str, target: str) -> bool:
    """Whether ``name`` is a temporary file :func:`atomic_write` made for a file named ``target``."""
    return temporary_target(name) == target


def atomic_write(path: str | Path, content: bytes | Callable[[Path], object]) -> Path:
    """Write a file atomically and durably; return its path.

    Args:
        path: The destination. Its folder must exist.
        content: The bytes to write, or a function that writes the file at the
            path it is given (``lambda p: df.to_parquet(p)``).

    The file gets the mode of the file it replaces, else the usual mode of a
    new file (``0o666`` less the umask).

    Raises:
        OSError: naming ``path`` (never the temporary file), after removing the
            temporary file.
    """
    path = Path(path)
    mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else new_file_mode()
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    tmp = Path(tmp_name)
    try:
        if isinstance(content, (bytes, bytearray, memoryview)):
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            os.close(fd)
            content(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    finally:
        tmp.unlink(missing_ok=True)
    fsync_folder(path.parent)
    return path


def _blocker(path: Path) -> tuple[Path, str] | None:
    """The first ancestor of ``path`` that is missing or not a folder, with what is wrong."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent, "a regular file, not a folder"
        if not parent.exists():
            return parent, "missing"
    return None


def probe_writable(folder: str | Path) -> str | None:
    """Why no file can be created in ``folder``, or None when one can.

    Creates and removes a file there: permission bits do not tell (they do not
    bind root, and a read-only file system or a full quota ignores them).
    """
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".exlab-probe.", suffix=TEMP_SUFFIX)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    os.close(fd)
    os.unlink(name)
    return None


def check_output_file(path: str | Path, suffixes: tuple[str, ...], option: str = "--out") -> Path:
    """Check that a file can be written at ``path`` (before the work that produces it).

    Refuses an unknown suffix, a folder, a path below a regular file, a missing
    folder and a folder that cannot be written to, each as one line.

    Raises:
        ScenarioError: naming ``option``, the path and the problem.
    """
    p = Path(path)
    expected = f"a file name ending in {' or '.join(suffixes)} in a folder you can write to"

    def refuse(given: str) -> ScenarioError:
        return ScenarioError([(option, expected, given)])

    if p.suffix not in suffixes:
        raise refuse(f"{path} (suffix {p.suffix or 'none'!r})")
    if p.is_dir():
        raise refuse(f"{path} (a folder)")
    blocked = _blocker(p)
    if blocked is not None:
        where, what = blocked
        raise refuse(f"{path} ({where} is {what})")
    problem = probe_writable(p.parent)
    if problem:
        raise refuse(f"{path} (cannot write in {p.parent}: {problem})")
    return p


def check_output_folder(path: str | Path, option: str = "--out") -> Path:
    """Check that ``path`` is, or can be created as, a folder to write into.

    Raises:
        ScenarioError: ``path`` is an existing file, lies below a regular file,
            or its nearest existing folder cannot be written to.
    """
    p = Path(path)
    expected = "a folder (new, or one you can write to)"
    if p.exists() and not p.is_dir():
        raise ScenarioError([(option, expected, f"{path} (an existing file)")])
    blocked = _blocker(p / "x")
    if blocked is not None and blocked[1] != "missing":
        raise ScenarioError([(option, expected, f"{path} ({blocked[0]} is {blocked[1]})")])
    existing = p
    while not existing.exists():
        existing = existing.parent
    problem = probe_writable(existing)
    if problem:
        raise ScenarioError([(option, expected, f"{path} (cannot write in {existing}: {problem})")])
    return p
