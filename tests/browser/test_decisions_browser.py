"""The Decisions page in a real browser, at a projector's 1024x768 and a laptop's 1440x900.

At both sizes: no button label or KPI is cut off and nothing is wider than the page; a small
search bounded in time draws its Pareto front (the chart's points are drawn), a point picked
from the front opens in the Scenario lab with its lever value; a small discovery draws its
boxes in words, its peeling trajectory and its points. Screenshots go to
artifacts/screenshots/decisions_*.png.

Uses Debian's chromium (``make browser-deps`` installs it); Playwright's own browser
download is never used.
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

import numpy as np
import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO / "artifacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORTS = [(1440, 900), (1024, 768)]
POINT_RGB = (0, 114, 178)  # theme.SLOT_COLORS[0]: the front's points, box 1 of a discovery
SELECTED_RGB = (213, 94, 0)  # theme.SLOT_COLORS[1]: the point picked; cases of interest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: the browser test needs Debian's chromium. "
                    "Install it with `make browser-deps` (apt-get install chromium).")
    results = tmp_path_factory.mktemp("results")
    port = _free_port()
    streamlit = Path(sys.executable).with_name("streamlit")
    (REPO / "artifacts").mkdir(exist_ok=True)
    log = open(REPO / "artifacts" / "streamlit_decisions_browser_test.log", "w")  # noqa: SIM115
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
    page.screenshot(path=str(SHOTS / f"decisions_{name}_{size[0]}x{size[1]}.png"))


#: Text that must never be cut: KPI labels and values, button labels, the page's part switch.
_CUT_JS = """
() => {
  const sel = ['[data-testid="stMetricLabel"] p', '[data-testid="stMetricValue"] p',
               '[data-testid="stMetricValue"]', 'button [data-testid="stMarkdownContainer"] p',
               'button [data-testid="stMarkdownContainer"]', '[data-testid="stWidgetLabel"] p'];
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
    for _ in range(150):  # while a part is swapped for another, the old part's field can linger for a moment
        if box.count() == 1:
            break
        page.wait_for_timeout(200)
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_timeout(400)


def _scroll_to_heading(page, name: str | re.Pattern) -> None:
    """Bring a heading to the top of the page, just below Streamlit's fixed header."""
    page.get_by_role("heading", name=name).evaluate(
        "h => { h.scrollIntoView({block: 'start'});"
        " document.querySelector('[data-testid=\"stMain\"]').scrollBy(0, -70); }")
    page.wait_for_timeout(300)


def _pixels(chart, rgb: tuple[int, int, int]) -> int:
    """Pixels of one colour drawn in one chart (canvas or SVG, screenshotted)."""
    from io import BytesIO

    from PIL import Image

    img = np.asarray(Image.open(BytesIO(chart.screenshot())).convert("RGB")).astype(int)
    near = np.abs(img - np.array(rgb)).sum(axis=2) < 40
    return int(near.sum())


def _densest(chart, rgb: tuple[int, int, int], window: int = 9) -> tuple[float, float]:
    """Where in a chart the pixels of one colour are densest (a point's disc, not an error bar's line)."""
    from io import BytesIO

    from PIL import Image

    img = np.asarray(Image.open(BytesIO(chart.screenshot())).convert("RGB")).astype(int)
    mask = (np.abs(img - np.array(rgb)).sum(axis=2) < 40).astype(np.int64)
    c = np.pad(mask.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    w = window
    sums = c[w:, w:] - c[:-w, w:] - c[w:, :-w] + c[:-w, :-w]
    y, x = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return x + w / 2, y + w / 2


def _part(page, name: str) -> None:
    page.locator('[data-testid="stButtonGroup"] button', has_text=name).click()
    _wait_idle(page)


@pytest.mark.parametrize("size", VIEWPORTS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_decisions_page_at_two_sizes(server, browser, size):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{server}/decisions", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Decisions").wait_for(timeout=60_000)
    _wait_idle(page)
    _assert_title_clear(page, "Decisions")
    _assert_nothing_cut(page, "Decisions, search form")
    _assert_tables_fit(page, "Decisions, search form")
    _shot(page, "01_optimize_form", size)

    # ---- Optimize: a small search bounded in time draws its front
    for label, value in (("Consumers", 500), ("Days per run", 10), ("Replications", 1), ("Trials", 8),
                         ("Time bound (s)", 30)):
        _set_number(page, label, value)
    _wait_idle(page)
    page.get_by_role("button", name="Run the search").click()
    page.get_by_role("heading", name="Pareto front").wait_for(timeout=90_000)
    _wait_idle(page)
    body = page.locator("body").inner_text()
    assert re.search(r"\d+ of 8 trials", body), "the front does not say how many trials ran"
    _scroll_to_heading(page, "Pareto front")
    chart = page.locator(".st-key-dec_chart")
    page.wait_for_timeout(800)
    drawn = _pixels(chart, POINT_RGB) + _pixels(chart, SELECTED_RGB)
    assert drawn > 150, "the Pareto front chart draws no point"
    assert not [m for m in console if "Infinite extent" in m], console
    _assert_nothing_cut(page, "Decisions, Pareto front")
    _assert_tables_fit(page, "Decisions, Pareto front")
    _shot(page, "02_optimize_front", size)

    # ---- a click on a point of the chart picks it
    table = page.locator('[data-testid="stTable"]').first
    rows = table.locator("tbody tr")
    picked = page.locator(".st-key-dec_point input")
    assert rows.count() >= 2, "the small search gave one point: a click on the chart cannot be checked"
    before = picked.input_value()  # point 0 is picked (orange); click the densest blue disc, another point
    x, y = _densest(chart, POINT_RGB)
    box = chart.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    _wait_idle(page)
    page.wait_for_timeout(500)
    after = picked.input_value()
    assert after != before and re.match(r"Point [1-9]\d* ·", after), (before, after)

    # ---- pick the last point in the list and open it in the Scenario lab
    last = rows.count() - 1
    agents = rows.nth(last).locator("td").first.inner_text().strip()
    picked.click()
    page.keyboard.press("ArrowDown")  # opens the list
    page.get_by_role("option", name=re.compile(rf"^Point {last} ·")).click()
    _wait_idle(page)
    page.get_by_role("button", name="Open in Scenario lab").scroll_into_view_if_needed()
    _shot(page, "03_optimize_point", size)
    _assert_nothing_cut(page, "Decisions, the point's buttons")
    page.get_by_role("button", name="Open in Scenario lab").click()
    page.get_by_role("heading", name="Scenario lab").wait_for(timeout=30_000)
    _wait_idle(page)
    start = page.locator('[data-testid="stSidebar"]').inner_text()
    assert f"Uploaded: default_bank_search point {last}" in start, start[:400]
    field = page.get_by_label("Phone agents (people; 0 = staffed to the calls by the square-root rule)",
                              exact=True)
    assert field.input_value() == agents, (field.input_value(), agents)
    _shot(page, "04_lab_with_the_point", size)

    # ---- Discover: a small discovery draws its boxes, trajectory and points
    page.get_by_role("link", name="Decisions").click()
    page.get_by_role("heading", name="Decisions").wait_for(timeout=30_000)
    _wait_idle(page)
    _part(page, "Discover")
    for label, value in (("Points", 10), ("Consumers", 200), ("Days per run", 5), ("Time bound (s)", 30)):
        _set_number(page, label, value)
    _wait_idle(page)
    _assert_nothing_cut(page, "Decisions, discovery form")
    _shot(page, "05_discover_form", size)
    page.get_by_role("button", name="Run the discovery").click()
    page.get_by_role("heading", name="Where the outcome happens").wait_for(timeout=90_000)
    _wait_idle(page)
    _scroll_to_heading(page, "Where the outcome happens")
    body = page.locator("body").inner_text()
    assert "10 of 10" in body
    assert re.search(r"Box 1\. The outcome happens when ", body) or "No box:" in body
    _assert_nothing_cut(page, "Decisions, discovery")
    _assert_tables_fit(page, "Decisions, discovery")
    _shot(page, "06_discover_boxes", size)
    points = page.locator(".st-key-disc_samples_chart")
    points.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    assert _pixels(points, SELECTED_RGB) + _pixels(points, (158, 158, 158)) > 150, "the points are not drawn"
    _shot(page, "07_discover_points", size)
    _scroll_to_heading(page, "Robustness of the change")
    _shot(page, "08_discover_robustness", size)

    # ---- Calibrate: a small calibration on the sample KPIs draws the fit and opens in the lab
    _part(page, "Calibrate")
    page.get_by_role("heading", name="Decisions").scroll_into_view_if_needed()
    for label, value in (("Consumers in the model", 200), ("Generations", 1), ("Predictive runs", 2),
                         ("Time bound (s)", 20)):
        _set_number(page, label, value)
    _wait_idle(page)
    _assert_nothing_cut(page, "Decisions, calibration form")
    _assert_tables_fit(page, "Decisions, calibration form")
    _shot(page, "09_calibrate_form", size)
    page.get_by_role("button", name="Run the calibration").click()
    page.get_by_role("heading", name="Fit against the data").wait_for(timeout=90_000)
    _wait_idle(page)
    _scroll_to_heading(page, "Fit against the data")
    _assert_nothing_cut(page, "Decisions, calibration")
    _assert_tables_fit(page, "Decisions, calibration")
    fit = page.locator(".st-key-cal_fit_0")
    fit.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    assert _pixels(fit, (26, 26, 26)) > 100, "the fit chart draws no observed point"
    assert _pixels(fit, POINT_RGB) > 100, "the fit chart draws no model median"
    _shot(page, "10_calibrate_fit", size)
    _scroll_to_heading(page, "Posterior")
    _shot(page, "11_calibrate_posterior", size)
    page.get_by_role("button", name="Open in Scenario lab").click()
    page.get_by_role("heading", name="Scenario lab").wait_for(timeout=30_000)
    _wait_idle(page)
    start = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "Uploaded: bank_kpis_synthetic calibrated" in start, start[:400]
    assert page.get_by_label("Consumers", exact=True).input_value() == "200"
    _shot(page, "12_lab_with_the_calibrated_scenario", size)
    page.close()
