"""Scenario files uploaded to the Scenario lab: read as data, bounded, explained in plain words.

The server refuses files over 1 MB before they reach the app
(``server.maxUploadSize`` in ``.streamlit/config.toml``, and the uploader's own
limit); here the size is checked again against the loader's limit, the
nesting of arrays and inline tables is bounded before the TOML parser sees
the text (a deeply nested file would exhaust Python's recursion), and every
failure becomes one sentence, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim import ScenarioError
from sim.scenario import scenario_from_toml
from sim.scenario.loader import MAX_TOML_BYTES

__all__ = ["MAX_NESTING", "MAX_UPLOAD_MB", "Upload", "nesting_depth", "read_upload"]

#: Megabytes the uploader accepts (the server's limit is the same, in config.toml).
MAX_UPLOAD_MB = 1
#: Deepest nesting of arrays and inline tables a scenario file may have (real ones use 2).
MAX_NESTING = 16


@dataclass(frozen=True)
class Upload:
    """The outcome of reading an uploaded file: ``ok`` with the scenario, or a message."""

    ok: bool
    file_name: str
    scenario_name: str = ""
    toml_text: str = ""
    message: str = ""


def nesting_depth(text: str, stop_at: int | None = None) -> int:
    """Deepest nesting of ``[`` and ``{`` in TOML values, outside strings and comments.

    Table headers (``[run]``, ``[[firms]]``) open no value and count once at
    most. A linear scan: no recursion, whatever the input. With ``stop_at``
    the scan ends as soon as that depth is reached.
    """
    depth = deepest = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c in "\"'":
            quote = text[i : i + 3] if text[i : i + 3] in ('"""', "'''") else c
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                i += 2 if (quote[0] == '"' and text[i] == "\\") else 1
                if len(quote) == 1 and i < n and text[i] == "\n":
                    break  # an unterminated one-line string: the parser will say so
            i += len(quote)
            continue
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if stop_at is not None and deepest >= stop_at:
                return deepest
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return deepest


def read_upload(file_name: str, size: int, data: bytes) -> Upload:
    """Check and parse an uploaded scenario file; every refusal says what to fix."""
    if size > MAX_TOML_BYTES or len(data) > MAX_TOML_BYTES:
        return Upload(
            False,
            file_name,
            message=f"{file_name} is {max(size, len(data)) / 1000:,.0f} kB; scenario files are "
            f"limited to {MAX_TOML_BYTES // 1000:,} kB.",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Upload(
            False, file_name, message=f"{file_name} is not a text file (it is not UTF-8 encoded TOML)."
        )
    if nesting_depth(text, stop_at=MAX_NESTING + 1) > MAX_NESTING:
        return Upload(
            False,
            file_name,
            message=f"{file_name} nests arrays or tables more than {MAX_NESTING} levels deep; "
            "a scenario file needs two or three. It was not read.",
        )
    try:
        sc = scenario_from_toml(text, "")
    except ScenarioError as exc:
        lines = "\n".join(f"- {line}" for line in str(exc).splitlines())
        return Upload(False, file_name, message=f"{file_name} is not a valid scenario. What to fix:\n\n{lines}")
    except RecursionError:
        return Upload(
            False, file_name, message=f"{file_name} is nested too deeply to be read as a scenario."
        )
    except (ValueError, TypeError, OverflowError) as exc:
        return Upload(
            False,
            file_name,
            message=f"{file_name} could not be read as a scenario ({type(exc).__name__}).",
        )
    return Upload(True, file_name, scenario_name=sc.name, toml_text=text)
