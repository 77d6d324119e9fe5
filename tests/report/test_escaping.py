"""User-supplied names and ids are escaped in every HTML page (report, comparison, risk,
validation) and in the terminal's rich markup; ids used in file names are sanitised."""

from __future__ import annotations

from pathlib import Path

import pytest

from coredge_testing import run_cli

NAME = "[/bold] <script>alert(1)</script>"
"""A scenario name that is both an HTML script tag and unbalanced rich console markup."""

PAYLOADS = ("<script>alert(1)", "<script>site1", "<script>pt1", "<img src=x", "<b onmouseover")

HOSTILE = f"""
name: '{NAME}'
description: "<b onmouseover=alert(3)>desc</b>"
horizon: {{start_year: 2026, end_year: 2028}}
demand: {{source: csv, points_csv: pts.csv}}
candidates:
  core_regions: [dallas-fort-worth, northern-virginia]
  regional_min_population: 1500000
  micro_min_population: 1500000
workloads:
  batch: {{dtype: fp8}}
training: {{it_mw_start: 50.0}}
planning: {{planner: greedy}}
existing_sites:
  - {{id: "<script>site1</script>", tier: micro, lat: 40.7, lon: -74.0, it_mw: 0.5, state: NY}}
"""

POINTS = """id,lat,lon,population
<script>pt1</script>,40.71,-74.0,8000000
"<img src=x onerror=alert(2)>",34.05,-118.24,4000000
d3,41.88,-87.63,2700000
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    (d / "s.yaml").write_text(HOSTILE, encoding="utf-8")
    (d / "pts.csv").write_text(POINTS, encoding="utf-8")
    return d


def _clean(page: str) -> None:
    for p in PAYLOADS:
        assert p not in page, p


def test_run_report_escapes_names_ids_and_description(hostile: Path) -> None:
    out = hostile / "run"
    res = run_cli("run", str(hostile / "s.yaml"), "--out", str(out))
    assert res.returncode == 0, res.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    _clean(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, escaped once
    assert "&amp;lt;" not in page  # not twice
    assert "&lt;b onmouseover" in page and "&lt;script&gt;site1" in page
    # the terminal table's title went through rich escaping (no MarkupError, exit 0)
    assert "alert(1)" in res.stdout


def test_compare_and_risk_pages_escape_names(hostile: Path) -> None:
    res = run_cli("compare", str(hostile / "s.yaml"), "--out", str(hostile / "cmp"))
    assert res.returncode == 0, res.stderr
    _clean((hostile / "cmp" / "compare.html").read_text(encoding="utf-8"))
    if not (hostile / "run").exists():
        assert run_cli("run", str(hostile / "s.yaml"), "--out", str(hostile / "run")).returncode == 0
    res = run_cli("risk", str(hostile / "run"), "--trials", "200", "--out", str(hostile / "risk"))
    assert res.returncode == 0, res.stderr
    _clean((hostile / "risk" / "risk.html").read_text(encoding="utf-8"))


def test_validation_page_escapes_every_text_field() -> None:
    from coredge.validation import ErrorStat
    from coredge.validation.report import render_html

    bad = "<script>x</script>"
    stat = ErrorStat(model=bad, dataset=bad, subset=bad, n=1, median_pct=1.0, p90_pct=2.0,
                     bias_pct=0.5, source=bad, date=bad, max_median_pct=5.0, max_p90_pct=10.0)
    page = render_html([stat], title=bad)
    assert bad not in page and "&lt;script&gt;x&lt;/script&gt;" in page


@pytest.mark.parametrize("name", ["../../etc", "..", ".hidden", "a/b\\c", "<x>|*?", "é" * 300])
def test_default_run_dir_stays_inside_runs(name: str, tmp_path: Path) -> None:
    from coredge.store import default_run_dir

    d = default_run_dir(name, "v/../w", root=tmp_path)
    assert d.parent == tmp_path / "runs"
    assert not d.name.startswith(".") and "/" not in d.name and "\\" not in d.name
    assert len(d.name) < 120 and d.name.isascii()
