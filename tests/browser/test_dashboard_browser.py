"""The dashboard in a real browser: run a scenario, run a second one, compare, screenshot.

Uses Debian's chromium (``make browser-deps`` installs it); Playwright's own
browser download is never used.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO / "artifacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: the browser test needs Debian's chromium. "
                    "Install it with `make browser-deps` (apt-get install chromium).")
    port = _free_port()
    streamlit = Path(sys.executable).with_name("streamlit")
    (REPO / "artifacts").mkdir(exist_ok=True)
    log = open(REPO / "artifacts" / "streamlit_browser_test.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(streamlit), "run", "dashboard/app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with code {proc.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail("streamlit did not answer on its health endpoint within 90 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_timeout(400)


def _wait_idle(page, timeout_s: float = 90) -> None:
    """Wait until Streamlit's script-running indicator is gone."""
    page.wait_for_timeout(500)
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if page.locator('[data-testid="stStatusWidget"]').count() == 0:
            return
        page.wait_for_timeout(250)
    raise AssertionError("the app kept running for more than 90 s")


def _shot(page, name: str) -> None:
    """Screenshot the whole page: Streamlit scrolls inside its own container, so grow the window."""
    height = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll("
        "'[data-testid=\"stMain\"], [data-testid=\"stAppViewContainer\"], section'))"
        ".map(e => e.scrollHeight), 1000)")
    page.set_viewport_size({"width": 1600, "height": min(int(height) + 40, 6000)})
    page.wait_for_timeout(1200)  # Vega re-renders at the new size
    page.screenshot(path=str(SHOTS / name), full_page=True)
    page.set_viewport_size({"width": 1600, "height": 1000})


def _metric_texts(page) -> list[str]:
    return [t.strip() for t in page.locator('[data-testid="stMetric"]').all_inner_texts()]


def test_run_compare_and_screenshot(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Scenario lab").wait_for(timeout=60_000)
    _wait_idle(page)
    _shot(page, "01_scenario_lab_start.png")

    _set_number(page, "Consumers (consumers)", 3000)
    _set_number(page, "Ticks (days)", 120)
    _wait_idle(page)
    page.get_by_role("button", name=re.compile("Run")).first.click()
    page.get_by_role("heading", name=re.compile(r"Run 1: default_bank")).wait_for(timeout=90_000)
    _wait_idle(page)
    metrics = _metric_texts(page)
    assert any(m.startswith("Trust") for m in metrics), metrics
    trust = next(m for m in metrics if m.startswith("Trust"))
    assert re.search(r"0\.\d{3}", trust), trust
    page.wait_for_timeout(1500)  # let the Vega charts draw
    _shot(page, "02_first_run.png")

    _set_number(page, "Advisors per 10k (advisors per 10,000 customers)", 30)
    _wait_idle(page)
    page.get_by_role("button", name=re.compile("Run")).first.click()
    page.get_by_role("heading", name="Kept runs side by side").wait_for(timeout=90_000)
    _wait_idle(page)
    page.wait_for_timeout(1500)
    body = page.locator("body").inner_text()
    assert "Run 2: default_bank" in body
    assert "advisors per 10k = 30.0" in body
    metrics = _metric_texts(page)
    # Run 2 changes a lever, so its trust card shows a change against the baseline.
    assert len(metrics) >= 8 + 8 + 8, metrics
    assert any(re.search(r"[+-]\d", m) for m in metrics if "Trust" in m), metrics
    assert page.locator("canvas, svg.marks").count() >= 6  # the Vega-Lite charts rendered
    _shot(page, "03_compare_two_runs.png")

    page.get_by_role("link", name="Classroom").click()
    page.get_by_role("heading", name="Classroom").wait_for(timeout=30_000)
    _wait_idle(page)
    page.get_by_role("button", name=re.compile("Step 7 days")).click()
    _wait_idle(page)
    page.wait_for_timeout(1500)
    assert any(m.startswith("Day") and "7" in m for m in _metric_texts(page)), _metric_texts(page)
    _shot(page, "04_classroom.png")

    page.get_by_role("link", name="Influence").click()
    page.get_by_role("heading", name="Influence").wait_for(timeout=30_000)
    _wait_idle(page)
    page.wait_for_timeout(1500)
    assert any(m.startswith("Influence edges kept") for m in _metric_texts(page))
    _shot(page, "05_influence.png")
    page.close()
