"""The report opens offline in headless Chromium: no console errors, no network, the map, the
investor views' cash-flow charts and tornados and the strategy comparison are drawn."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_util import chromium_binary, probe_page

from coredge_testing import run_cli, tiny_path

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_binary() is None, reason="headless Chromium not installed (scripts/test.sh installs it)"),
]


def test_report_offline_in_chromium(tmp_path: Path) -> None:
    out = tmp_path / "run"
    r = run_cli("run", str(tiny_path(tmp_path)), "--out", str(out), "--json", "--compare")
    assert r.returncode == 0, r.stderr
    verdict = probe_page(out / "report.html")
    assert verdict["errors"] == [], verdict["errors"]
    assert verdict["resources"] == [], f"the page fetched: {verdict['resources']}"
    plots = verdict["plots"]
    assert set(plots) >= {"map", "coverage", "rtt", "buildout", "unmet", "latency_cdf", "slo"}, plots
    # both investor views: yearly cash flows per tier and portfolio, NPV tornados, comparison
    investor = {f"cf_{v}_{t}" for v in ("landlord", "operator") for t in ("core", "portfolio")}
    investor |= {"tornado_landlord", "tornado_operator", "compare_0", "compare_1"}
    assert investor <= set(plots), sorted(plots)
    for name in investor:
        assert plots[name]["svg"] >= 1 and plots[name]["traces"] >= 2, (name, plots[name])
    assert (out / "compare.json").is_file() and (out / "model.xlsx").is_file()
    assert 'id="break_even"' in (out / "report.html").read_text(encoding="utf-8")
    m = plots["map"]
    # Outline lines, demand points and at least one site trace are drawn as SVG.
    assert m["svg"] >= 1 and m["lines"] >= 1, m
    assert m["points"] >= 5, m
    assert m["traces"] >= 3, m


def test_site_table_sorts_in_chromium(tmp_path: Path) -> None:
    """The per-site table's inline script sorts by a column when its header is clicked."""
    from coredge.report.finance_sections import SORT_JS

    page = tmp_path / "sort.html"
    page.write_text(
        "<html><head></head><body><table class='sortable' id='t'><thead><tr><th>site</th><th>npv</th></tr></thead>"
        "<tbody><tr><td data-v='a'>a</td><td data-v='5.0'>5</td></tr><tr><td data-v='b'>b</td><td data-v='-20.0'>-20</td></tr>"
        "<tr><td data-v='c'>c</td><td data-v='100.0'>100</td></tr></tbody></table>" + SORT_JS
        + "<script>document.querySelectorAll('#t th')[1].click();"
        "document.body.dataset.order = Array.from(document.querySelectorAll('#t tbody tr')).map(r => r.cells[0].textContent).join('');"
        "if (document.body.dataset.order !== 'bac') console.error('sorted ' + document.body.dataset.order);</script></body></html>",
        encoding="utf-8",
    )
    verdict = probe_page(page)
    assert verdict["errors"] == [], verdict["errors"]


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
