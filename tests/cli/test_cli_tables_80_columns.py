"""At 80 columns the tables fold or wrap, never cut a figure with an ellipsis (``$66…``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coredge.formatting import usd
from coredge_testing import TINY_BASE, run_cli

GREEDY = TINY_BASE + "planning: {planner: greedy}\nsimulation: {enabled: false}\n"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tables")
    p = d / "tiny.yaml"
    p.write_text(GREEDY, encoding="utf-8")
    r = run_cli("run", str(p), "--out", str(d / "run"))
    assert r.returncode == 0, r.stderr
    return d / "run"


@pytest.mark.parametrize("args", [["finance"], ["run"]])
def test_no_figure_is_cut_at_80_columns(run_dir: Path, args: list[str]) -> None:
    if args == ["run"]:
        src = run_dir.parent / "tiny.yaml"
        r = run_cli("run", str(src), "--out", str(run_dir.parent / "run2"), env={"COLUMNS": "80"})
    else:
        r = run_cli(*args, str(run_dir), env={"COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    assert "…" not in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    # the portfolio's NPV, printed whole
    assert usd(summary["npv_usd"]) in r.stdout
