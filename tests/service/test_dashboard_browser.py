"""End to end in headless Chromium (the system's, driven by Playwright; nothing is downloaded):
start the server, edit a scenario and see a validation message, run it and watch it finish, open
the run with its report, compare two runs. No console errors; no request leaves the machine.

Screenshots are kept under ``$COREDGE_TEST_ARTEFACTS`` (default: the test's temporary folder).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from service_helpers import AUTH, FAST, TOKEN, wait_final

from coredge_testing import TINY

pytestmark = pytest.mark.browser

SAFETY_MS = 600_000
"""Longest wait for a page state [ms] (a hang, not a slow machine)."""


def _chromium() -> str:
    import shutil

    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("needs chromium (scripts/test.sh installs the Debian package)")


@pytest.fixture()
def served(store: Any) -> Iterator[tuple[str, Any]]:
    from live_server import live_server

    from coredge.service.app import create_app

    app = create_app(store, TOKEN, workers=2, queue_limit=4)
    with live_server(app) as url:
        yield url, app


@pytest.fixture()
def artefacts(tmp_path: Path) -> Path:
    d = Path(os.environ.get("COREDGE_TEST_ARTEFACTS") or tmp_path) / "dashboard"
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_dashboard_end_to_end(served: tuple[str, Any], artefacts: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = _chromium()
    url, _app = served
    errors: list[str] = []
    outside: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu",
                                                                "--disable-background-networking"])
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})

        def guard(route: Any) -> None:
            host = urlparse(route.request.url).hostname
            if host not in ("127.0.0.1",):
                outside.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        ctx.route("**/*", guard)
        page = ctx.new_page()
        page.set_default_timeout(SAFETY_MS)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        # the editor: the token comes in the link, a bad edit shows the problem, a good one is valid
        page.goto(f"{url}/#token={TOKEN}")
        assert "#token" not in page.url  # taken out of the address bar
        page.fill("#editor", TINY.replace("end_year: 2030", "end_year: 1990"))
        page.wait_for_selector("#validation.bad")
        assert "horizon.end_year" in page.inner_text("#validation")
        assert page.is_disabled("#start")
        page.screenshot(path=str(artefacts / "editor-problem.png"), full_page=True)
        page.fill("#editor", TINY)
        page.wait_for_selector("#validation.ok")
        assert "valid" in page.inner_text("#validation")
        page.select_option("#planner", "greedy")
        page.uncheck("#training")
        page.screenshot(path=str(artefacts / "editor.png"), full_page=True)
        page.click("#start")

        # the run page: progress, then the headline figures and the run's own report
        page.wait_for_url(re.compile(r".*/runs/[0-9a-f]{16}$"))
        run_id = page.url.rsplit("/", 1)[-1]
        page.wait_for_selector("#status.status-done")
        page.wait_for_selector("#headline .card")
        assert "capex" in page.inner_text("#headline")
        frame = page.frame_locator("#report")
        frame.locator(".js-plotly-plot").first.wait_for(timeout=SAFETY_MS)
        page.wait_for_timeout(500)
        page.screenshot(path=str(artefacts / "run.png"), full_page=False)

        # a second run (through the API), then compare both from the runs page
        import httpx

        r = httpx.post(f"{url}/api/runs", json={"scenario": TINY, "variant": "bigger", "options": FAST},
                       headers=AUTH)
        second = r.json()["id"]

        class _Client:
            def get(self, path: str) -> Any:
                return httpx.get(url + path)

        assert wait_final(_Client(), second)["status"] == "done"
        page.goto(f"{url}/runs")
        page.wait_for_selector(f"tr[data-run-id='{second}'] input.pick")
        page.check(f"tr[data-run-id='{run_id}'] input.pick")
        page.check(f"tr[data-run-id='{second}'] input.pick")
        page.screenshot(path=str(artefacts / "runs.png"), full_page=True)
        page.click("#compare-selected")
        page.wait_for_selector("#compare-table tbody tr")
        page.wait_for_selector("#fig-money .main-svg")
        page.wait_for_selector("#fig-coverage .main-svg")
        text = page.inner_text("#compare-table")
        assert "NPV, landlord view" in text and "coverage: " in text and "(bigger)" in text
        page.screenshot(path=str(artefacts / "compare.png"), full_page=True)
        browser.close()
    # Chromium logs every non-2xx fetch; the 422s of the live validation are expected
    assert [e for e in errors if "status of 422" not in e] == []
    assert outside == []
    assert sorted(f.name for f in artefacts.iterdir()) == [
        "compare.png", "editor-problem.png", "editor.png", "run.png", "runs.png"]
