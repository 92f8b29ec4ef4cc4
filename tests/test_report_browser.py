"""The report in a real browser: Debian's chromium, headless, driven by Playwright. The page must
load with no network, log no console error, draw every chart, and look right in a screenshot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from synth.cli import cli

pytestmark = pytest.mark.slow  # a headless browser

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    """Debian's chromium; installed here when missing and we may (root with apt-get), as .ci/run does."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found and os.geteuid() == 0 and shutil.which("apt-get") and os.environ.get("SYNTH_NO_APT") != "1":
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, capture_output=True, timeout=1200)
        found = shutil.which("chromium")
    if not found:
        if os.environ.get("SYNTH_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed and could not be installed (apt-get install chromium)")
        pytest.skip("no chromium (apt-get install chromium, or run .ci/run)")
    return found


def test_the_report_draws_every_chart_in_a_headless_browser(brief_store, tmp_path):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    browser_path = chromium()
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli, ["--store", str(brief_store), "--offline", "report", "--since", "2026-09-01", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[: result.output.rindex("}") + 1])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        console, requests = [], []
        page.on("console", lambda m: console.append((m.type, m.text)))
        page.on("pageerror", lambda e: console.append(("pageerror", str(e))))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(out.as_uri())
        page.wait_for_function("document.body.dataset.chartsDrawn !== undefined", timeout=15000)
        drawn = page.evaluate("""Array.from(document.querySelectorAll('[data-chart]')).map(e => ({
            id: e.dataset.chart, marks: Number(e.dataset.marks), svg: e.querySelectorAll('svg .mark').length,
            width: e.querySelector('svg') ? e.querySelector('svg').getBoundingClientRect().width : 0,
            tooltips: e.querySelectorAll('svg .mark title').length}))""")
        tables = page.evaluate("Array.from(document.querySelectorAll('section table')).map(t => t.rows.length)")
        shot = Path(os.environ.get("SYNTH_SCREENSHOT_DIR", tmp_path)) / "report.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert [c for c in console if c[0] in ("error", "pageerror", "warning")] == []
    assert requests == [out.as_uri()]  # the page alone: no script, font or image from anywhere
    assert [d["id"] for d in drawn] == [c["id"] for c in data["charts"]]
    for chart, d in zip(data["charts"], drawn):
        nonzero = sum(1 for s in chart["series"] for v in s["values"] if v)
        expected = len(chart["x"]) * len(chart["series"]) if chart["kind"] == "heatmap" else nonzero
        assert d["marks"] == d["svg"] == d["tooltips"] == expected > 0, (chart["id"], d)
        assert d["width"] > 500
    assert tables == [len(c["series"]) + 1 if c["kind"] != "hbar" else len(c["x"]) + 1 for c in data["charts"]]
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
