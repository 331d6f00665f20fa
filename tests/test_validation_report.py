"""docs/VALIDATION.md describes the current model, and the report writer renders, stamps and writes atomically.

The first test fails whenever a source that computes the model's numbers (or
a preset) changed after the report was made: regenerate it with
``make validate``. The others run the writer on small hand-made rows.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.experiments.engine import model_fingerprint
from sim.validation import cases, report
from sim.validation.cases import TheoryResult
from sim.validation.claims import ClaimResult

REPORT = Path(__file__).resolve().parents[1] / "docs" / "VALIDATION.md"


def test_the_validation_report_is_current():
    assert REPORT.is_file(), "docs/VALIDATION.md is missing: run make validate"
    header = report.parse_header(REPORT.read_text(encoding="utf-8"))
    stamp = header.get("Model fingerprint")
    assert stamp == model_fingerprint(), (
        f"docs/VALIDATION.md was made by other code or presets (stamp {stamp}, model {model_fingerprint()}): "
        "run make validate")
    assert header.get("Mode") == "full", "docs/VALIDATION.md holds a --quick report: run make validate"


# ------------------------------------------------------------------ the writer on hand-made rows


THEORY = [
    TheoryResult("Queue | waits", 0.53, 0.531, 0.025, True, "C(n, R) (Erlang 1917)", "ten agents"),
    TheoryResult("Broken case", 1.0, 2.0, 0.1, False, "x = 1", "a case\nthat fails"),
    TheoryResult("No estimate", 1.0, math.nan, 0.1, False, "x = 1", "nothing measured"),
]
CLAIMS = [
    ClaimResult("Delight raises expectations", "Rust & Oliver 2000", "gain fades", "A/B, 10 seeds", "satisfaction",
              0.25, 0.2, 0.3, 10, "supported", "The norms follow experience.\n\nSecond paragraph."),
    ClaimResult("Skewed", "Src", "h2", "d", "o", 0.5, 0.1, 0.6, 4, "not supported", "Because."),
    ClaimResult("Costly", "Src", "h", "d", "o", 1234.6, 1222.6, 1246.6, 4, "supported", "Because."),
]
STAMP = report.Stamp(fingerprint="ab" * 32, date="2030-01-02 03:04 UTC", machine="host | x86_64, 2 cores",
                     wall_s=754.0, command="python -m sim.validation.report --reps 10", mode="full", reps=10)


def _rows(text: str, cell: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith("| ") and f"| {cell}" in ln]


def test_render_gives_the_header_the_tables_and_the_explanations():
    text = report.render(STAMP, THEORY, CLAIMS)
    header = report.parse_header(text)
    assert header["Model fingerprint"] == "ab" * 32
    assert header["Date"] == "2030-01-02 03:04 UTC"
    assert header["Wall time"] == "12 min 34 s"
    assert header["Mode"] == "full" and header["Replications per claim"] == "10"
    assert header["Machine"] == "host \\| x86_64, 2 cores"  # a pipe cannot break the table
    assert "## Theory cases (1 of 3 pass)" in text
    (queue,) = _rows(text, "Queue \\| waits")
    assert queue.split(" | ")[1:5] == ["0.53", "0.531", "0.025", "yes"]
    (broken,) = _rows(text, "Broken case")
    assert "**no**" in broken
    assert "| nan |" in _rows(text, "No estimate")[0]
    assert "- **Broken case**: a case that fails" in text
    (claim,) = _rows(text, "Delight")
    assert claim.startswith("| 1 | Delight") and "| 0.25 ± 0.05 | 10 | supported |" in claim
    assert "| 0.5 [0.1, 0.6] | 4 | not supported |" in _rows(text, "Skewed")[0]
    assert "| 1,235 ± 12 |" in _rows(text, "Costly")[0]
    # one heading per claim, one paragraph per row
    assert text.count("#### Delight raises expectations") == 1 and text.count("#### Costly") == 1
    assert "**1.** gain fades *Outcome:* satisfaction. *Verdict:* supported." in text
    assert "**3.** h *Outcome:* o." in text and "Second paragraph." in text
    assert "## How to read this report" in text
    assert text.endswith("\n")


def test_a_report_without_claims_says_so():
    assert "No claim was run." in report.render(STAMP, THEORY, [])


def test_write_report_replaces_the_file_and_leaves_no_temporary(tmp_path):
    out = tmp_path / "VALIDATION.md"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o640)
    report.write_report(out, report.render(STAMP, THEORY, CLAIMS))
    assert [p.name for p in tmp_path.iterdir()] == ["VALIDATION.md"]
    assert report.parse_header(out.read_text(encoding="utf-8"))["Model fingerprint"] == "ab" * 32
    assert out.stat().st_mode & 0o777 == 0o640  # a replaced file keeps its permissions
    with pytest.raises(OSError, match="missing"):
        report.write_report(tmp_path / "missing" / "V.md", "x")


# ------------------------------------------------------------------ the command line
def _one_line_error(capsys, *words):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err
    assert all(w in err[0] for w in words), err
    assert "Traceback" not in err[0]


@pytest.mark.parametrize("argv, words", [
    (["--reps", "1"], ["--reps", "1"]),
    (["--reps", "many"], ["--reps", "many"]),
    (["--out", "report.txt"], ["--out", ".md"]),
    (["--out", "/nonexistent-folder/V.md"], ["--out"]),
    (["--fast"], ["--fast"]),
])
def test_bad_input_is_refused_in_one_line_with_status_2(capsys, argv, words):
    try:
        status = report.main(argv)
    except SystemExit as exc:
        status = exc.code
    assert status == report.EXIT_BAD_INPUT
    _one_line_error(capsys, *words)


def test_the_command_writes_a_stamped_report(tmp_path, monkeypatch, capsys):
    """The command on fake case and claim rows: stamped, written, progress on stderr."""
    calls = {}

    def fake_claims(reps, quick, progress):
        calls.update(reps=reps, quick=quick)
        progress("claim one")
        return CLAIMS

    def fake_theory(quick, progress=None):
        progress("theory: one")
        return THEORY

    monkeypatch.setattr(cases, "theory_rows", fake_theory)
    monkeypatch.setattr(report, "_claim_rows", lambda: fake_claims)
    out = tmp_path / "V.md"
    assert report.main(["--quick", "--reps", "3", "--out", str(out)]) == 0
    assert calls == {"reps": 3, "quick": True}
    header = report.parse_header(out.read_text(encoding="utf-8"))
    assert header["Model fingerprint"] == model_fingerprint()
    assert header["Mode"].startswith("quick") and header["Replications per claim"] == "3"
    assert header["Command"] == f"python -m sim.validation.report --quick --reps 3 --out {out}"
    err = capsys.readouterr().err
    assert "theory" in err and "claims" in err and f"wrote {out}" in err


def test_without_the_claims_module_nothing_is_written(tmp_path, monkeypatch, capsys):
    def missing():
        raise ImportError("No module named 'sim.validation.claims'")

    monkeypatch.setattr(report, "_claim_rows", missing)
    out = tmp_path / "V.md"
    assert report.main(["--out", str(out)]) == 1
    assert not out.exists()
    _one_line_error(capsys, "claims")
