"""The report seen in a real browser: headless Chromium via Playwright, no network."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.browser]


def _browser():
    if not CHROMIUM:
        pytest.skip("headless Chromium not installed (Debian package 'chromium'; .ci/system-deps installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extras")
    return sync_api


def _open(report: Path, screenshot: Path | None = None):
    sync_api = _browser()
    console, requests, dialogs = [], [], []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: console.append((m.type, m.text)))
            page.on("pageerror", lambda exc: console.append(("pageerror", str(exc))))
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(report.resolve().as_uri())
            page.wait_for_load_state("load")
            text = page.text_content("body")  # includes closed <details> and SVG text
            title = page.title()
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot))
        finally:
            browser.close()
    return text, title, console, requests, dialogs


def test_report_opens_without_errors_or_requests_and_shows_the_summary(demo_run, demo_summary):
    shot = ROOT / "reports" / "screenshot_report_first_screen.png"
    text, title, console, requests, dialogs = _open(demo_run / "report.html", screenshot=shot)
    errors = [c for c in console if c[0] in ("error", "pageerror")]
    assert errors == []
    assert [r for r in requests if not r.startswith("file://")] == []
    assert len(requests) == 1  # the page itself, nothing else
    assert dialogs == []
    assert "Executive summary" in text
    for process, p in demo_summary["processes"].items():
        assert process in text
        assert p["target"]["name"] in text
        for fam in p["families"]:
            assert fam in text
        for unit in p["units"]:
            assert unit in text
    assert shot.stat().st_size > 10_000


def test_markup_in_activity_names_shows_as_text_and_never_runs(tmp_path):
    hostile = [
        "<script>document.title='pwned';alert(1)</script>",
        '<img src=x onerror="document.title=\'pwned\'">',
        'Quote "double" & \'single\' & ampersand',
        "Approve",
    ]
    rows = ["case_id,activity,timestamp,resource"]
    for unit_case in range(40):
        for i, act in enumerate(hostile):
            a = '"' + act.replace('"', '""') + '"'
            rows.append(f"c{unit_case},{a},2024-01-0{1 + i}T10:00:00Z,r{unit_case % 3}")
    logs = tmp_path / "logs"
    logs.mkdir()
    for unit in ("alpha", "beta"):
        (logs / f"{unit}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli("analyse", str(logs), "--out", str(out), "--quiet", "--bootstrap", "0")
    assert proc.returncode == 0, proc.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>document.title" not in html
    assert "<img src=x" not in html
    text, title, console, requests, dialogs = _open(out / "report.html")
    assert dialogs == []
    assert "pwned" not in title
    assert "<script>document.title='pwned';alert(1)</script>" in text
    assert 'Quote "double" & \'single\' & ampersand' in text
    assert [r for r in requests if not r.startswith("file://")] == []
    assert len(requests) == 1
