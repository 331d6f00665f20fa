"""Preset discovery: the scenario files shipped in ``scenarios/``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Preset", "list_presets", "presets_dir", "resolve"]


def presets_dir() -> Path:
    """The folder holding preset scenario files (``EXLAB_SCENARIOS`` overrides it)."""
    env = os.environ.get("EXLAB_SCENARIOS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "scenarios"


@dataclass(frozen=True)
class Preset:
    """A preset: its name (file stem), path and the first line of its header comment."""

    name: str
    path: Path
    summary: str


def _summary(path: Path) -> str:
    """The first line of the header comment (read from the file's first 4 KiB only)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace").removeprefix("\ufeff")
    except OSError as exc:
        return f"(unreadable: {exc.strerror})"
    for line in head.splitlines():
        text = line.lstrip("#").strip()
        if line.startswith("#") and text:
            return text
        if line.strip() and not line.startswith("#"):
            break
    return ""


def list_presets() -> list[Preset]:
    """All presets, sorted by name."""
    folder = presets_dir()
    return [Preset(p.stem, p, _summary(p)) for p in sorted(folder.glob("*.toml"))]


def resolve(name_or_path: str | Path) -> Path:
    """A path as given if it exists, else the preset of that name."""
    p = Path(name_or_path)
    if p.exists() or p.suffix == ".toml":
        return p
    return presets_dir() / f"{name_or_path}.toml"
