"""The built-in `world` scenario: every city of 100,000 people or more, candidate core regions on
every continent, every candidate priced, the world market scaled from the calibrated US one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coredge.data.world import CONTINENTS, continent_of, country_price_usd_per_mwh
from coredge.inputs.build import build_inputs
from coredge.inputs.world import is_world, us_share_of_world_tokens, world_population
from coredge.scenario.load import builtin_scenarios, load_scenario
from coredge_testing import run_cli


@pytest.fixture(scope="module")
def inputs():  # type: ignore[no-untyped-def]
    return build_inputs(load_scenario("world"))


def test_world_is_a_builtin_that_validates() -> None:
    assert "world" in builtin_scenarios()
    val = run_cli("validate", "world")
    assert val.returncode == 0, val.stderr


def test_every_city_of_100k_is_a_demand_point(inputs) -> None:  # type: ignore[no-untyped-def]
    d = inputs.demand
    assert inputs.n_points > 5000  # several thousand
    assert int(d["population"].min()) >= 100_000
    assert d["country"].nunique() > 150
    assert {"US", "CN", "IN", "BR", "NG", "DE", "AU"} <= set(d["country"])
    assert d["weight"].sum() == pytest.approx(1.0)


def test_core_candidates_on_every_continent(inputs) -> None:  # type: ignore[no-untyped-def]
    core = inputs.candidates[inputs.candidates["allow_core"]]
    continents = {continent_of(c) for c in core["country"]}
    assert continents == set(CONTINENTS)
    assert not core["region_id"].eq("").any()  # the built-in regions, not cities


def test_every_candidate_priced_and_carbon_rated(inputs) -> None:  # type: ignore[no-untyped-def]
    c = inputs.candidates
    assert np.isfinite(c["price_usd_per_mwh"]).all() and (c["price_usd_per_mwh"] > 0).all()
    assert np.isfinite(c["gco2_per_kwh"]).all() and (c["gco2_per_kwh"] >= 0).all()
    de = c[c["country"] == "DE"]
    assert (de["price_usd_per_mwh"] == country_price_usd_per_mwh("DE").price_usd_per_mwh).all()


def test_world_market_is_the_us_market_over_the_us_share(inputs) -> None:  # type: ignore[no-untyped-def]
    sc = inputs.scenario
    assert is_world(sc)
    share = us_share_of_world_tokens()
    assert 0.13 <= share <= 0.38
    assert inputs.market.us_factor == pytest.approx(1.0 / share)
    assert inputs.market.population == pytest.approx(world_population())
    # the market scales the US curve: the same classes, hardware and band on the US give 1/factor of it
    us = sc.model_copy(update={"demand": sc.demand.model_copy(update={"countries": ["US"], "contiguous_us": False})})
    us_market = build_inputs(us).market
    np.testing.assert_allclose(inputs.market.it_mw * us_market.us_factor / inputs.market.us_factor,
                               us_market.it_mw, rtol=1e-9)


def test_a_reduced_world_runs_end_to_end_with_the_greedy_planner(tmp_path: Path) -> None:
    res = run_cli("run", "world", "--scenario-variant", "quick", "--out", str(tmp_path / "run"))
    assert res.returncode == 0, res.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert (summary["scenario"], summary["variant"], summary["planner"]) == ("world", "quick", "greedy")
    assert summary["demand_points"] > 100 and summary["sites_by_tier"]["core"] > 0
    sites = pd.read_csv(tmp_path / "run" / "sites.csv")
    # sites on several continents, each priced by its own country's tariff
    assert len({continent_of(c) for c in sites["country"]}) >= 4
    assert np.isfinite(sites["price_usd_per_mwh"]).all() and (sites["price_usd_per_mwh"] > 0).all()
    abroad = sites[sites["country"] != "US"]
    assert len(abroad) > 0
    for cc, price in zip(abroad["country"], abroad["price_usd_per_mwh"], strict=True):
        assert price == pytest.approx(country_price_usd_per_mwh(cc).price_usd_per_mwh), cc
