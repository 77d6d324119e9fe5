"""The report opens offline in headless Chromium: no console errors, no network, the map is drawn."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_util import probe_page

from coredge_testing import run_cli, tiny_path

pytestmark = pytest.mark.browser


def test_report_offline_in_chromium(tmp_path: Path) -> None:
    out = tmp_path / "run"
    r = run_cli("run", str(tiny_path(tmp_path)), "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    verdict = probe_page(out / "report.html")
    assert verdict["errors"] == [], verdict["errors"]
    assert verdict["resources"] == [], f"the page fetched: {verdict['resources']}"
    plots = verdict["plots"]
    assert set(plots) >= {"map", "coverage", "rtt", "buildout", "unmet", "latency_cdf", "slo"}, plots
    m = plots["map"]
    # Outline lines, demand points and at least one site trace are drawn as SVG.
    assert m["svg"] >= 1 and m["lines"] >= 1, m
    assert m["points"] >= 5, m
    assert m["traces"] >= 3, m


def test_probe_detects_errors_and_fetches(tmp_path: Path) -> None:
    """The probe itself can fail: a page with a script error and a fetch is flagged."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<html><head></head><body><img src='http://127.0.0.1:9/x.png'>"
        "<script>console.error('boom'); undefinedFunction();</script></body></html>",
        encoding="utf-8",
    )
    verdict = probe_page(page)
    assert any("boom" in e for e in verdict["errors"])
    assert any("undefinedFunction" in e for e in verdict["errors"])
    assert any("127.0.0.1:9" in u for u in verdict["resources"])


def test_risk_and_compare_pages_offline(tmp_path: Path) -> None:
    """`coredge risk --out` and `coredge compare` pages: no errors, no fetches, charts drawn."""
    scen = tiny_path(tmp_path)
    r = run_cli("risk", str(scen), "--trials", "2000", "--out", str(tmp_path / "risk"), "--json")
    assert r.returncode == 0, r.stderr
    v = probe_page(tmp_path / "risk" / "risk.html")
    assert v["errors"] == [] and v["resources"] == [], v
    assert {"npv_hist", "tornado"} <= set(v["plots"]), v["plots"]
    assert v["plots"]["tornado"]["traces"] >= 2
    c = run_cli("compare", str(scen), "--out", str(tmp_path / "cmp"), "--json")
    assert c.returncode == 0, c.stderr
    v2 = probe_page(tmp_path / "cmp" / "compare.html")
    assert v2["errors"] == [] and v2["resources"] == [], v2
    assert v2["plots"] and all(p["svg"] >= 1 for p in v2["plots"].values()), v2["plots"]
