"""Figures a person can read: resilience explained (what one site's loss costs, what is left
unprotected, where and why), coverage clipped and rounded, per-token cost only where tokens are
served, an edge premium that cannot mislead, and sites named for people."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coredge.plan.resilience import explain
from coredge.plan.result import single_site_failure_shortfall
from coredge.results import MIN_TOKEN_SHARE, RunResult, tier_table


def test_single_site_failure_says_what_is_lost_and_why(tiny_result: RunResult) -> None:
    res = tiny_result
    ssf = res.summary["single_site_failure"]
    pairs = {(int(p), int(k)) for p, k in res.plan.solver.get("unprotected_pairs") or []}
    assert pairs, "the tiny MILP plan serves Phoenix's 10 ms classes unprotected (docs/planner.md)"
    # survives: nothing lost but the listed unprotected load; survives_all: nothing lost at all
    exempt = single_site_failure_shortfall(res.inputs, res.plan, exempt=pairs)
    every = single_site_failure_shortfall(res.inputs, res.plan)
    assert ssf["survives"] == bool(exempt.max() <= 1e-6)
    assert ssf["survives_all"] == bool(every.max() <= 1e-6)
    assert ssf["worst_shortfall_mw"] == pytest.approx(float(exempt.max()))
    assert ssf["worst_shortfall_mw_all"] == pytest.approx(float(every.max()))
    assert "survives" in ssf["meaning"] and "survives_all" in ssf["meaning"]
    assert ssf["unprotected_pairs"] == len(pairs)
    assert ssf["unprotected_mw"] == pytest.approx(res.plan.solver["unprotected_mw"])
    d = res.inputs.demand
    a = res.plan.assignments
    listed = ssf["unprotected"]
    assert len(listed) == min(len(pairs), 20)
    for r in listed:
        p = int(np.flatnonzero(d["id"].astype(str).to_numpy() == r["point_id"])[0])
        k = res.inputs.classes.index(r["class_id"])
        assert (p, k) in pairs
        assert r["point"] == f"{d['name'].iat[p]}, {d['state'].iat[p]}"
        share = a.loc[(a["point_index"] == p) & (a["class_index"] == k), "share"].sum()
        assert r["load_mw"] == pytest.approx(res.inputs.load_mw[p, k, -1] * share)
        assert "budget" in r["reason"] and r["open_sites_within_budget"] >= 1
        if r["open_sites_within_budget"] == 1:
            assert r["reason"].startswith("only one")
    by_class = ssf["unprotected_by_class"]
    assert sum(c["points"] for c in by_class.values()) == len(pairs)
    lines = explain(ssf)
    text = " ".join(lines)
    assert "Unprotected" in text and all(c in text for c in by_class)
    assert listed[0]["point"] in text


def test_coverage_is_clipped_and_rounded(tiny_result: RunResult) -> None:
    for cid, v in tiny_result.summary["coverage_by_class"].items():
        c = v["coverage"]
        assert 0.0 <= c <= 1.0, cid
        assert c == round(c, 4), cid
    for v in tiny_result.coverage.values():
        assert 0.0 <= v["coverage"] <= 1.0


def test_per_token_cost_only_where_tokens_are_served(tiny_result: RunResult) -> None:
    fin = tiny_result.summary["finance"]
    s = tiny_result.plan.sites
    for tier, m in fin["tiers"].items():
        sel = s["tier"] == tier
        inf, tr = float(s.loc[sel, "inference_mw"].sum()), float(s.loc[sel, "training_mw"].sum())
        if inf + tr <= 0:
            continue
        assert m["inference_share"] == pytest.approx(inf / (inf + tr))
        if inf / (inf + tr) < MIN_TOKEN_SHARE:
            assert m["usd_per_mtok"] is None and m["cost_basis"] == "gpu_hour", tier
            assert math.isfinite(m["lcoc_usd_per_gpu_hour"])
        else:
            assert m["cost_basis"] == "token" and m["usd_per_mtok"] is not None
    # the tiny core campus mostly trains: no per-token cost for it
    assert fin["tiers"]["core"]["usd_per_mtok"] is None


def test_edge_premium_cannot_mislead(tiny_result: RunResult) -> None:
    fin = tiny_result.summary["finance"]
    ep = fin["edge_premium"]
    assert ep and "negative" in fin["edge_premium_meaning"]
    for cid, v in ep.items():
        if v["extra_cost_usd_per_year"] < 0:
            assert v["edge_cheaper"] and v["usd_per_ms_saved_per_year"] is None, cid
            assert v["edge_saving_usd_per_year"] == pytest.approx(-v["extra_cost_usd_per_year"])
        else:
            assert not v["edge_cheaper"] and v["usd_per_ms_saved_per_year"] >= 0, cid


def test_report_and_run_directory_name_sites_for_people(tiny_result: RunResult, tmp_path: Path) -> None:
    from coredge.report.html import write_report

    res = tiny_result
    assert res.finance is not None
    out = tmp_path / "report.html"
    write_report(out, res, tier_table(res.plan, res.costs, res.finance))
    page = out.read_text(encoding="utf-8")
    ssf = res.summary["single_site_failure"]
    assert 'id="resilience"' in page and "Unprotected" in page
    assert ssf["unprotected"][0]["point"] in page
    body = page.split("</script>")[-1]  # the text after the embedded plotly.js
    for sid in res.plan.sites["site_id"].astype(str):
        assert sid not in body.replace(f'"{sid}"', ""), sid  # shown by name, not by id
    if res.whatif is not None:
        assert res.whatif["site_name"] in page


def test_sites_csv_has_display_names(tiny_result: RunResult, tmp_path: Path) -> None:
    from coredge.pipeline import write_run

    run = write_run(tiny_result, tmp_path / "run")
    sites = pd.read_csv(run / "sites.csv")
    assert list(sites.columns[:2]) == ["site_id", "display_name"]
    for r in sites.itertuples(index=False):
        assert r.display_name == f"{r.name}, {r.state} ({r.tier})"


def test_terminal_summary_explains_resilience(tiny_result: RunResult, capsys: pytest.CaptureFixture[str]) -> None:
    from coredge.cli.run import print_summary

    print_summary({**tiny_result.summary, "run_dir": "runs/x", "report": "runs/x/report.html"})
    out = " ".join(capsys.readouterr().out.split())
    assert "Single-site failure" in out and "Unprotected" in out
    assert tiny_result.summary["single_site_failure"]["unprotected"][0]["point"] in out


def test_report_charts_legend_clear_of_toolbar_and_hover_with_units(tiny_result: RunResult) -> None:
    from coredge.report import html as rh

    figs = {"buildout": rh.buildout_figure(tiny_result), "unmet": rh.unmet_figure(tiny_result),
            "rtt": rh.rtt_histogram(tiny_result), "coverage": rh.coverage_figure(tiny_result)}
    if tiny_result.sim is not None:
        figs["cdf"] = rh.latency_cdf_figure(tiny_result)
        figs["slo"] = rh.slo_figure(tiny_result)
    for name in ("buildout", "unmet", "rtt"):
        leg = figs[name].layout.legend
        # a row under the plot, away from the toolbar at the top right
        assert leg.orientation == "h" and leg.y is not None and leg.y < 0, name
    units = ("MW", "%", " s", "ms")
    for name, fig in figs.items():
        for tr in fig.data:
            ht = tr.hovertemplate
            assert ht and any(u in ht for u in units), (name, tr.name)


def test_units_in_brackets_survive_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    """Table labels such as "CO2, final year [t]" (coredge compare) keep their unit."""
    from rich.table import Table

    from coredge.cli.app import console
    from coredge.report.compare import COLUMNS

    t = Table()
    t.add_column("")
    for _key, label, _kind in COLUMNS:
        t.add_row(label)
    console.print(t)
    out = capsys.readouterr().out
    assert "CO2, final year [t]" in out and "payback [years]" in out


def test_units_in_brackets_survive_the_help_text() -> None:
    from coredge_testing import run_cli

    out = run_cli("solve-cflp", "--help")
    assert out.returncode == 0
    assert "limit [s]" in " ".join(out.stdout.split())
