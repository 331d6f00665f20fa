"""The environment variables ExchangeLab reads, each checked before it is used.

========================== ========================================================
``EXLAB_SCENARIOS``        folder of preset scenario files (default: ``scenarios/``)
``EXLAB_CACHE_DIR``        folder for the compiled passes (default: ``~/.cache/exchangelab``)
``EXLAB_RESULTS_ROOT``     the only tree the dashboard's Experiments page reads
                           (default: ``results/`` of the checkout)
``EXLAB_DASHBOARD_MEMORY_GIB``  memory one dashboard run may use, in GiB (default: 4)
``EXLAB_DASHBOARD_MAX_RUN_S``   longest run the dashboard starts, in seconds (default: 600)
``EXLAB_THREADS``          threads for the parallel passes (default: the usable cores; results do not depend on it)
========================== ========================================================

An unset or empty variable means its default. A set one that cannot work (a
folder that does not exist, a number that is not one) is refused as one line
``NAME: expected ..., got ...`` instead of failing later, or silently: an
unusable cache folder, for one, would make every run compile its passes again.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from sim.atomic import probe_writable
from sim.scenario.loader import ScenarioError

__all__ = ["VARIABLES", "check_environment", "dashboard_max_run_s", "dashboard_memory_gib", "results_root"]

DEFAULT_DASHBOARD_MEMORY_GIB = 4.0
DEFAULT_DASHBOARD_MAX_RUN_S = 600.0


def _path_text(value: str) -> str | None:
    if "\x00" in value:
        return "a path with a NUL character"
    return None


def _existing_folder(value: str) -> str | None:
    problem = _path_text(value)
    if problem:
        return problem
    p = Path(value).expanduser()
    if not p.exists():
        return f"{value} (no such folder)"
    if not p.is_dir():
        return f"{value} (not a folder)"
    if not os.access(p, os.R_OK | os.X_OK):
        return f"{value} (not readable)"
    return None


def _writable_folder(value: str) -> str | None:
    problem = _path_text(value)
    if problem:
        return problem
    p = Path(value).expanduser()
    existing = p
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{value} ({existing} is not a folder)"
    problem = probe_writable(existing)
    return f"{value} (cannot write in {existing}: {problem})" if problem else None


def _folder_if_present(value: str) -> str | None:
    problem = _path_text(value)
    if problem:
        return problem
    p = Path(value).expanduser()
    if p.exists() and not p.is_dir():
        return f"{value} (not a folder)"
    return None


def _whole_number(value: str) -> str | None:
    return None if value.isdigit() and int(value) >= 1 else repr(value)


def _positive_number(value: str) -> str | None:
    try:
        x = float(value)
    except ValueError:
        return repr(value)
    return None if math.isfinite(x) and x > 0 else repr(value)


#: name -> (what is expected, check returning the problem or None, used by)
VARIABLES: dict[str, tuple[str, Callable[[str], str | None], str]] = {
    "EXLAB_SCENARIOS": ("an existing folder of preset scenario files", _existing_folder, "cli"),
    "EXLAB_CACHE_DIR": ("a folder that exists or can be created, writable (compiled passes)",
                        _writable_folder, "cli"),
    "EXLAB_RESULTS_ROOT": ("a folder (the dashboard's results root)", _folder_if_present, "dashboard"),
    "EXLAB_DASHBOARD_MEMORY_GIB": ("a number of GiB above 0", _positive_number, "dashboard"),
    "EXLAB_DASHBOARD_MAX_RUN_S": ("a number of seconds above 0", _positive_number, "dashboard"),
    "EXLAB_THREADS": ("a whole number of threads, 1 or more", _whole_number, "cli"),
}


def check_environment(names: Iterable[str] | None = None) -> None:
    """Check the set variables among ``names`` (default: every variable of :data:`VARIABLES`).

    Raises:
        ScenarioError: one problem per bad variable, ``NAME: expected ..., got ...``.
    """
    problems = []
    for name in VARIABLES if names is None else names:
        value = os.environ.get(name)
        if not value:
            continue
        expected, check, _ = VARIABLES[name]
        problem = check(value)
        if problem:
            problems.append((name, expected, problem))
    if problems:
        raise ScenarioError(problems, "environment")


def results_root(default: Path) -> Path:
    """The results root: ``EXLAB_RESULTS_ROOT`` (checked) or ``default``, resolved."""
    check_environment(["EXLAB_RESULTS_ROOT"])
    env = os.environ.get("EXLAB_RESULTS_ROOT")
    return (Path(env) if env else default).expanduser().resolve()


def _number(name: str, default: float) -> float:
    check_environment([name])
    env = os.environ.get(name)
    return float(env) if env else default


def dashboard_memory_gib() -> float:
    """Memory one dashboard run may use: ``EXLAB_DASHBOARD_MEMORY_GIB`` (checked) or 4 GiB."""
    return _number("EXLAB_DASHBOARD_MEMORY_GIB", DEFAULT_DASHBOARD_MEMORY_GIB)


def dashboard_max_run_s() -> float:
    """Longest run the dashboard starts: ``EXLAB_DASHBOARD_MAX_RUN_S`` (checked) or 600 s."""
    return _number("EXLAB_DASHBOARD_MAX_RUN_S", DEFAULT_DASHBOARD_MAX_RUN_S)
