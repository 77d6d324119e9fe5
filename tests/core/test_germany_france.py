"""The Germany + France scenario of issue 18 end to end: a map of Europe, no district points, a
loud warning about its unserved training, and `validate` rejecting what `run` rejects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coredge.pipeline import PLAN_AND_FINANCE, execute
from coredge.report.html import map_figure, map_view
from coredge.scenario.load import load_scenario
from coredge_testing import run_cli

SCENARIO = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "germany_france.yaml"
DISTRICTS = {"Wandsbek", "Altona", "Harburg", "Hamburg-Nord", "Hamburg-Mitte", "Eimsbüttel", "Marienthal",
             "Kreuzberg", "Neukölln", "Prenzlauer Berg", "Charlottenburg", "Paris 13 Gobelins",
             "Paris 13e Arrondissement", "Paris 15 Vaugirard", "Lyon 03", "Marseille 08"}


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return execute(load_scenario(SCENARIO, "quick"), "quick", compute=PLAN_AND_FINANCE)


def test_no_district_is_a_demand_point_or_a_site(result) -> None:  # type: ignore[no-untyped-def]
    names = set(result.inputs.demand["name"])
    assert {"Berlin", "Paris", "Hamburg", "Lyon", "Marseille"} <= names
    assert not names & DISTRICTS
    assert not set(result.plan.sites["name"]) & DISTRICTS


def test_the_map_is_of_europe(result) -> None:  # type: ignore[no-untyped-def]
    view = map_view(result)
    assert view.kind == "region"
    fig = map_figure(result)
    xr, yr = fig.layout.xaxis.range, fig.layout.yaxis.range
    assert xr[1] - xr[0] < 36.0 and yr[1] - yr[0] < 25.0  # a tenth of the world's width, or less
    x, y = view.project(result.inputs.demand["lat"].to_numpy(), result.inputs.demand["lon"].to_numpy())
    assert xr[0] < x.min() and x.max() < xr[1] and yr[0] < y.min() and y.max() < yr[1]


def test_the_run_warns_loudly_about_its_unserved_training(tmp_path: Path) -> None:
    res = run_cli("run", str(SCENARIO), "--scenario-variant", "quick", "--out", str(tmp_path / "run"))
    assert res.returncode == 0, res.stderr
    assert "warning: training:" in res.stderr and "cannot be hosted" in res.stderr  # before solving
    flat = " ".join(res.stdout.split())
    assert "warning: training:" in flat and "unserved" in flat  # in the summary
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    train = [w for w in summary["warnings"] if w.get("class") == "training"]
    assert train and train[0]["unmet_mw"] > 100.0


def test_greedy_opens_city_candidates_at_a_tier_that_fits_them() -> None:
    # outside the US the city candidates allow every tier on an edge-sized grid connection, too
    # small for one core module: the greedy planner opens them at the largest tier that fits one
    # module (before, it opened them as campuses of zero capacity and planned nothing)
    from coredge.plan.greedy import greedy_plan

    inputs = execute(load_scenario(SCENARIO, "quick"), "quick", compute=PLAN_AND_FINANCE).inputs
    plan = greedy_plan(inputs)
    assert len(plan.sites) > 0
    # every opened site holds capacity, and core campuses only where one core module fits
    assert bool((plan.it_mw_by_year[:, -1] > 0).all())
    core = plan.sites["tier"].astype(str) == "core"
    module = inputs.scenario.tiers["core"].module_it_mw
    assert bool((plan.sites.loc[core, "grid_available_mw"] / plan.sites.loc[core, "pue"] >= module - 1e-9).all())
    latency_bound = [k for k, b in enumerate(inputs.rtt_budget_ms) if b != float("inf")]
    assert not plan.assignments[plan.assignments["class_index"].isin(latency_bound)].empty
