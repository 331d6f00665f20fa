"""The dashboard in a real browser, at a projector's 1024x768 and a laptop's 1440x900.

Every page is visited at both sizes: no KPI value or button label is cut off
(an element's scrollWidth never exceeds its clientWidth), Run stays reachable
and the results come into view, the phone lines' cards follow a staffing lever,
the Influence page's tables fit the page and its cascade chart draws its bars,
the Experiments chart draws its points, the Classroom steps and plays.
Screenshots of each page go to artifacts/screenshots/.

Uses Debian's chromium (``make browser-deps`` installs it); Playwright's own
browser download is never used.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO / "artifacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORTS = [(1440, 900), (1024, 768)]
POINT_RGB = (0, 114, 178)  # theme.SLOT_COLORS[0], the colour of the experiment chart's points
POSITIVE_RGB = (68, 170, 153)  # charts.VALENCE_COLORS["positive"], bars of positive posts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _results_folder(root: Path) -> None:
    """A small sweep over a dotted numeric parameter and a categorical one."""
    folder = root / "sweep" / "runs"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    rows = []
    for point, (kind, quality) in enumerate(
            (k, q) for k in ("watts_strogatz", "barabasi_albert") for q in (0.5, 0.7, 0.9)):
        for rep in range(3):
            rows.append({"run_id": f"p{point}-r{rep}", "point": point, "replication": rep,
                         "seed": 10 * point + rep, "network.kind": kind, "firms[*].quality": quality,
                         "tick": 30, "trust": 0.4 + 0.3 * quality + rng.normal(0, 0.01),
                         "churn": float(rng.integers(0, 3))})
    pd.DataFrame(rows).to_parquet(folder / "part-0.parquet")
    (root / "sweep" / "manifest.json").write_text(json.dumps({
        "experiment": {"name": "sweep", "text": 'description = "Does quality raise trust?"\n'},
        "design": {"kind": "full_factorial", "replications": 3, "points": 6, "parameters": [
            {"path": "network.kind", "values": ["watts_strogatz", "barabasi_albert"]},
            {"path": "firms[*].quality", "range": [0.5, 0.9], "steps": 3}]},
        "outcomes": {"names": ["trust", "churn"], "keep": "summary", "ticks": 30},
        "counts": {"planned": 18, "done": 18, "failed": 0, "missing": 0}, "status": "complete"}))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: the browser test needs Debian's chromium. "
                    "Install it with `make browser-deps` (apt-get install chromium).")
    results = tmp_path_factory.mktemp("results")
    _results_folder(results)
    port = _free_port()
    streamlit = Path(sys.executable).with_name("streamlit")
    (REPO / "artifacts").mkdir(exist_ok=True)
    log = open(REPO / "artifacts" / "streamlit_browser_test.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(streamlit), "run", "dashboard/app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "EXLAB_RESULTS_ROOT": str(results)})
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


def _wait_idle(page, timeout_s: float = 90) -> None:
    """Wait until Streamlit's script-running indicator is gone."""
    page.wait_for_timeout(500)
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if page.locator('[data-testid="stStatusWidget"]').count() == 0:
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the app kept running for more than {timeout_s:.0f} s")


def _shot(page, name: str, size: tuple[int, int]) -> None:
    page.wait_for_timeout(800)  # Vega draws after the script ends
    page.screenshot(path=str(SHOTS / f"{name}_{size[0]}x{size[1]}.png"))


#: Text that must never be cut: KPI labels, values, changes, their descriptions, button labels.
_CUT_JS = """
() => {
  const sel = ['[data-testid="stMetricLabel"] p', '[data-testid="stMetricValue"] p',
               '[data-testid="stMetricDelta"] p', '[data-testid="stMetricDeltaDescription"] p',
               '[data-testid="stMetricValue"]', '[data-testid="stMetricDeltaDescription"]',
               'button [data-testid="stMarkdownContainer"] p', 'button [data-testid="stMarkdownContainer"]'];
  const out = [];
  for (const el of document.querySelectorAll(sel.join(','))) {
    if (!el.offsetParent || el.closest('[data-testid="stSidebar"][aria-expanded="false"]')) continue;
    if (el.scrollWidth > el.clientWidth + 1)
      out.push(el.textContent.trim() + ' (' + el.scrollWidth + ' > ' + el.clientWidth + ')');
  }
  return out;
}
"""


def _assert_nothing_cut(page, where: str) -> None:
    cut = page.evaluate(_CUT_JS)
    assert not cut, f"{where}: text cut off: {cut}"


#: Static tables (and the page itself) wider than the room they have, so scrolled or cut.
_WIDE_JS = """
() => {
  const out = [];
  const els = document.querySelectorAll('[data-testid="stTable"], [data-testid="stTable"] *, [data-testid="stMain"]');
  for (const el of els) {
    if (!el.offsetParent && el.getAttribute('data-testid') !== 'stMain') continue;
    if (el.scrollWidth > el.clientWidth + 1)
      out.push((el.getAttribute('data-testid') || el.tagName) + ' "' + el.textContent.trim().slice(0, 40)
               + '" (' + el.scrollWidth + ' > ' + el.clientWidth + ')');
  }
  return out;
}
"""


def _assert_tables_fit(page, where: str) -> None:
    wide = page.evaluate(_WIDE_JS)
    assert not wide, f"{where}: wider than the page: {wide}"


def _in_view(page, locator) -> bool:
    """Wholly visible: inside the window and below Streamlit's fixed header."""
    box = locator.bounding_box()
    header = page.locator('[data-testid="stHeader"]').bounding_box()
    top = header["y"] + header["height"] if header else 0
    vp = page.viewport_size
    return bool(box) and box["y"] >= top - 2 and box["y"] + box["height"] <= vp["height"] + 1


_TITLE_TOP_JS = """
(title) => {
  const h = Array.from(document.querySelectorAll('h1')).find(e => e.textContent.trim() === title);
  if (!h) return null;
  const r = document.createRange();
  r.selectNodeContents(h);
  const header = document.querySelector('[data-testid="stHeader"]');
  return [r.getBoundingClientRect().top, header ? header.getBoundingClientRect().bottom : 0];
}
"""


def _assert_title_clear(page, title: str) -> None:
    """The page title's text is drawn below Streamlit's fixed header, not under it."""
    top, header_bottom = page.evaluate(_TITLE_TOP_JS, title)
    assert top >= header_bottom - 2, f"the title '{title}' is under the header ({top} < {header_bottom})"


def _set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_timeout(400)


def _scroll_main(page, to: str) -> None:
    page.evaluate(f"() => {{ const m = document.querySelector('[data-testid=\"stMain\"]');"
                  f" m.scrollTo(0, {'m.scrollHeight' if to == 'bottom' else 0}); }}")
    page.wait_for_timeout(300)


def _scroll_to_heading(page, name: str | re.Pattern) -> None:
    """Bring a heading to the top of the page, just below Streamlit's fixed header."""
    page.get_by_role("heading", name=name).evaluate(
        "h => { h.scrollIntoView({block: 'start'});"
        " document.querySelector('[data-testid=\"stMain\"]').scrollBy(0, -70); }")
    page.wait_for_timeout(300)


def _point_pixels(page, chart, rgb: tuple[int, int, int] = POINT_RGB) -> int:
    """Pixels of one colour drawn in one chart (canvas or SVG, screenshotted)."""
    from io import BytesIO

    from PIL import Image

    img = np.asarray(Image.open(BytesIO(chart.screenshot())).convert("RGB")).astype(int)
    near = np.abs(img - np.array(rgb)).sum(axis=2) < 40
    return int(near.sum())


@pytest.mark.parametrize("size", VIEWPORTS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_page_at_two_sizes(server, browser, size):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Scenario lab").wait_for(timeout=60_000)
    _wait_idle(page)
    _assert_title_clear(page, "Scenario lab")
    _shot(page, "01_scenario_lab_start", size)

    # ---- Scenario lab: a run, then a second one with a lever changed
    _set_number(page, "Consumers", 3000)
    _set_number(page, "Days to simulate", 60)
    _wait_idle(page)
    run = page.get_by_role("button", name="Run", exact=True)
    assert _in_view(page, run)
    run.click()
    heading = page.get_by_role("heading", name=re.compile(r"Run 1: default_bank"))
    heading.wait_for(timeout=90_000)
    _wait_idle(page)
    assert _in_view(page, heading), "the results are not in view after the run"
    metrics = page.locator('[data-testid="stMetric"]').all_inner_texts()
    trust = next(m for m in metrics if m.startswith("Trust"))
    assert re.search(r"0\.\d{3}", trust), trust
    _assert_nothing_cut(page, "Scenario lab, first run")
    _shot(page, "02_scenario_lab_run", size)

    _set_number(page, "Advisors (per 10,000 customers)", 30)
    _set_number(page, "Phone agents (people; 0 = staffed to the calls by the square-root rule)", 3)
    _wait_idle(page)
    _scroll_main(page, "bottom")
    assert _in_view(page, run), "Run is not reachable at the bottom of the page"
    run.click()
    page.get_by_role("heading", name="Kept runs side by side").wait_for(timeout=90_000)
    _wait_idle(page)
    heading2 = page.get_by_role("heading", name=re.compile(r"Run 2: default_bank"))
    assert _in_view(page, heading2), "the new results are not in view after the run"
    body = page.locator("body").inner_text()
    assert re.search(r"advisors: [\d.]+ → 30", body) and "Reference run (A)" in body
    assert "phone agents: 0 → 3" in body and "Bank: 3 agents set" in body
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1  # the B − A table
    _assert_nothing_cut(page, "Scenario lab, two runs")
    assert page.locator("canvas, svg.marks").count() >= 6  # the Vega-Lite charts rendered
    _shot(page, "03_scenario_lab_two_runs", size)
    _scroll_to_heading(page, re.compile(r"^Phone lines$"))
    agents = page.locator('[data-testid="stMetric"]').filter(has_text="Phone agents (at the end)")
    assert agents.locator('[data-testid="stMetricValue"]').inner_text().strip() == "3"
    _assert_nothing_cut(page, "Scenario lab, phone lines")
    _shot(page, "03b_scenario_lab_phone_lines", size)
    _scroll_main(page, "bottom")
    _shot(page, "04_scenario_lab_compare", size)

    # ---- Classroom: step, play, pause
    page.get_by_role("link", name="Classroom").click()
    page.get_by_role("heading", name="Classroom").wait_for(timeout=30_000)
    _wait_idle(page)
    _assert_title_clear(page, "Classroom")
    page.get_by_role("button", name=re.compile("Step 1 day")).click()
    _wait_idle(page)
    page.get_by_role("button", name=re.compile("Step 7 days")).click()
    _wait_idle(page)
    assert "Day 8." in page.locator(".st-key-cls_bar").inner_text()
    _assert_nothing_cut(page, "Classroom")
    main_w = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()["width"]
    net = page.locator(".st-key-cls_network").bounding_box()
    assert net["width"] >= 0.85 * (main_w - 60), (net, main_w)
    assert net["y"] < size[1], "the network starts below the fold"
    page.get_by_role("button", name=re.compile("^.*Play$")).click()
    page.wait_for_timeout(3500)
    page.get_by_role("button", name=re.compile("^.*Pause$")).click()
    _wait_idle(page)
    day = int(re.search(r"Day (\d+)\.", page.locator(".st-key-cls_bar").inner_text()).group(1))
    assert day >= 10, f"play advanced only to day {day}"
    _scroll_main(page, "top")
    _shot(page, "05_classroom", size)

    # ---- Lever settings survive the visit to another page
    page.get_by_role("link", name="Scenario lab").click()
    page.get_by_role("heading", name="Scenario lab").wait_for(timeout=30_000)
    _wait_idle(page)
    assert page.get_by_label("Advisors (per 10,000 customers)", exact=True).input_value() == "30.00"

    # ---- Influence: cards and tables whole, the cascade sizes drawn, screenshots of each part
    page.get_by_role("link", name="Influence").click()
    page.get_by_role("heading", name="Who influences").wait_for(timeout=60_000)
    _wait_idle(page)
    _assert_title_clear(page, "Influence")
    _assert_nothing_cut(page, "Influence")
    _assert_tables_fit(page, "Influence")
    assert page.locator('[data-testid="stTable"]').count() == 2  # influencers, largest cascades
    _shot(page, "06_influence_top", size)
    parts = (("who", r"^Who influences$"), ("influencers", r"^The \d+ strongest influencers$"),
             ("cascades", r"^Cascades of public posts$"), ("control", r"^Control share$"))
    for i, (name, title) in enumerate(parts):
        _scroll_to_heading(page, re.compile(title))
        _shot(page, f"06{'bcde'[i]}_influence_{name}", size)
    sizes = page.locator(".st-key-infl_sizes")
    sizes.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    assert _point_pixels(page, sizes, POSITIVE_RGB) > 200, "the cascade sizes chart draws no bar"

    # ---- Experiments: the confidence-interval charts draw their points
    console.clear()
    page.get_by_role("link", name="Experiments").click()
    page.get_by_role("heading", name="Experiments").wait_for(timeout=30_000)
    _wait_idle(page)
    page.wait_for_timeout(1500)
    _assert_title_clear(page, "Experiments")
    _shot(page, "07_experiments_top", size)
    assert "Does quality raise trust?" in page.locator("body").inner_text()
    charts = page.locator(".st-key-exp_ci_0")
    charts.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    assert _point_pixels(page, charts) > 200, "the confidence-interval chart draws no point"
    assert not [m for m in console if "Infinite extent" in m], console
    _shot(page, "08_experiments_charts", size)
    page.close()
