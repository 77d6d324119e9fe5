"""Market data files (demand_*.csv), the calibrated market and the summary's ``market`` block."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import coredge.data as cd
from coredge.errors import InputError
from coredge.inputs.market import (
    Anchor,
    band_point,
    bottom_up_ranges,
    curve_at,
    market_anchors,
    share_range,
    tokens_per_s,
    top_down_ranges,
)
from coredge.scenario.load import load_scenario


def test_every_demand_file_is_listed_with_source_and_date() -> None:
    names = {d.name: d for d in cd.DATASETS}
    for n in ("demand_tokens", "demand_forecasts", "demand_shares"):
        info = names[n]
        assert info.source and info.year and info.unit and info.licence
        assert cd.dataset_rows(n) > 0


@pytest.mark.parametrize(
    ("loader", "cols"),
    [
        (cd.load_demand_tokens, ["id", "value", "unit", "date", "set", "source", "url"]),
        (cd.load_demand_forecasts, ["id", "publisher", "published", "year", "low", "high", "unit", "set", "url"]),
        (cd.load_demand_shares, ["quantity", "year", "low", "high", "unit", "date", "source", "url"]),
    ],
)
def test_every_row_names_its_source_and_date(loader: object, cols: list[str]) -> None:
    df: pd.DataFrame = loader()  # type: ignore[operator]
    for c in cols:
        assert c in df.columns, c
        assert df[c].notna().all(), c
    assert (df["low"] <= df["high"]).all() if "low" in df.columns else True


def test_fit_and_held_out_split_by_publication_date() -> None:
    fc = cd.load_demand_forecasts()
    assert (fc.loc[fc["set"] == "fit", "published"] <= "2025-06").all()
    assert (fc.loc[fc["set"] == "held_out", "published"] > "2025-06").all()
    tok = cd.load_demand_tokens()
    g = tok[tok["id"].str.match(r"google-\d")]
    assert (g.loc[g["set"] == "fit", "date"] <= "2025-10").all()
    assert (g.loc[g["set"] == "held_out", "date"] > "2025-10").all()


def test_unit_conversions() -> None:
    assert tokens_per_s(86_400.0, "tokens_per_day") == pytest.approx(1.0)
    assert tokens_per_s(60.0, "tokens_per_minute") == pytest.approx(1.0)
    with pytest.raises(InputError):
        tokens_per_s(1.0, "tokens_per_fortnight")
    # a TWh forecast becomes GW through LBNL's own TWh / GW pairs
    lo, hi = share_range("load_factor", 2030)
    assert lo == pytest.approx(0.5) and hi == pytest.approx(0.5)


def test_ranges_follow_the_stated_arithmetic() -> None:
    td = top_down_ranges().set_index("id")
    inf_lo, inf_hi = share_range("inference_share_of_dc_power", 2028)
    pue_lo, pue_hi = share_range("pue", 2028)
    assert td.loc["lbnl-2028", "low"] == pytest.approx(74_000 * inf_lo / pue_hi)
    assert td.loc["lbnl-2028", "high"] == pytest.approx(132_000 * inf_hi / pue_lo)
    bu = bottom_up_ranges().set_index("id")
    world = 1.3e15 / (30.44 * 86_400)
    assert bu.loc["google-2025-10", "world"] == pytest.approx(world)
    assert bu.loc["google-2025-10", "low"] == pytest.approx(world / 0.79 * 0.13)
    assert bu.loc["google-2025-10", "high"] == pytest.approx(world / 0.40 * 0.38)


def test_curve_passes_through_its_anchors_and_is_log_linear() -> None:
    a = market_anchors(1e-6, "mid")
    assert [x.view for x in a] == ["bottom-up", "top-down", "top-down", "top-down"]
    got = curve_at(a, [x.t for x in a])
    np.testing.assert_allclose(got, [x.it_mw for x in a])
    mid = curve_at(a, [(a[1].t + a[2].t) / 2])[0]
    assert mid == pytest.approx(np.sqrt(a[1].it_mw * a[2].it_mw))
    # held-out figures never move the curve
    ids = {i for x in a for i in x.ids}
    assert not ids & {"bnef-2035", "gridstrategies-2030", "epri-2030-update", "google-2026-05"}
    # bands are ordered
    lo, hi = market_anchors(1e-6, "low"), market_anchors(1e-6, "high")
    assert all(x.it_mw <= y.it_mw <= z.it_mw for x, y, z in zip(lo, a, hi, strict=True))
    assert band_point(1.0, 4.0, "mid") == pytest.approx(2.0)
    assert curve_at([Anchor("x", 2025.0, 7.0, 7.0, 7.0, ())], [2030.0])[0] == pytest.approx(7.0)


@pytest.fixture(scope="module")
def us_inputs():  # type: ignore[no-untyped-def]
    from coredge.inputs.build import build_inputs

    return build_inputs(load_scenario("us"))


def test_default_market_in_tokens_and_mw_is_consistent(us_inputs) -> None:  # type: ignore[no-untyped-def]
    inp = us_inputs
    m = inp.market
    sc = inp.scenario
    assert m.volume == "market" and m.band == "mid"
    assert m.region.startswith("United States (contiguous")
    # the portfolio's busy-hour load is its share of the market's
    np.testing.assert_allclose(inp.load_mw.sum(axis=(0, 1)), sc.demand.market_share * m.it_mw, rtol=1e-9)
    # tokens and MW are tied through the serving capacity of each class, year by year
    act = sc.active_workloads
    tok_k = np.array([act[k].tokens_in + act[k].tokens_out for k in inp.classes], dtype=float)
    mean_req = inp.requests_per_s / sc.demand.peak_to_mean_ratio / sc.demand.market_share
    np.testing.assert_allclose(np.einsum("nky,k->y", mean_req, tok_k), m.tokens_per_s, rtol=1e-9)
    gpus = np.einsum("nky,k->y", inp.requests_per_s, [inp.capacity[k].gpus_per_request_per_s for k in inp.classes])
    np.testing.assert_allclose(gpus * inp.it_kw_per_gpu / 1000.0, inp.load_mw.sum(axis=(0, 1)), rtol=1e-9)
    # tens of GW of US inference by 2030, growing every year, faster than training
    assert np.all(np.diff(m.it_mw) > 0)
    assert 10_000 < m.it_mw[list(m.years).index(2030)] < 60_000
    inf_growth = m.it_mw[-1] / m.it_mw[0]
    train_growth = inp.training_mw[-1] / inp.training_mw[0]
    assert inf_growth > train_growth
    # latency-bound classes are no longer near-empty: well above the old 3 MW in the final year
    budgets = np.isfinite(inp.rtt_budget_ms)
    assert inp.load_mw[:, budgets & (np.array(inp.classes) != "consumer-assistant"), -1].sum() > 30.0


def test_default_grows_uniformly_so_the_planner_aggregates(us_inputs) -> None:  # type: ignore[no-untyped-def]
    from coredge.plan import model as sm

    load = us_inputs.load_mw.reshape(-1, us_inputs.load_mw.shape[-1])
    assert sm.growth_ratio(load).size == len(us_inputs.years)


def test_class_shares_move_to_their_end_values() -> None:
    from coredge.inputs.build import build_inputs

    inp = build_inputs(load_scenario(None, "shifting-mix"))
    act = inp.scenario.active_workloads
    per_class = inp.requests_per_s.sum(axis=0)
    share = per_class / per_class.sum(axis=0, keepdims=True)
    for k, c in enumerate(inp.classes):
        assert share[k, 0] == pytest.approx(act[c].demand_share)
        end = act[c].demand_share_end
        assert share[k, -1] == pytest.approx(act[c].demand_share if end is None else end)


def test_bands_and_per_capita_volume() -> None:
    from coredge.inputs.build import build_inputs

    hi = load_scenario(None, "high-growth")
    assert hi.demand.market_band == "high"
    sc = load_scenario("us")
    base = build_inputs(sc)
    high = build_inputs(hi)
    assert np.all(high.market.it_mw > base.market.it_mw)
    # per_capita: the points' population x requests per person per day x growth (unchanged rule)
    d = sc.demand.model_copy(update={"volume": "per_capita"})
    pc = build_inputs(sc.model_copy(update={"demand": d}))
    people = float(pc.demand["population"].sum())
    want = people * d.requests_per_capita_per_day / 86_400 * (1 + d.growth_rate) ** np.arange(10)
    np.testing.assert_allclose(pc.market.requests_per_s, want, rtol=1e-9)
    assert pc.market.volume == "per_capita"


def test_summary_market_block(us_inputs) -> None:  # type: ignore[no-untyped-def]
    from coredge.results import market_block

    blk = market_block(us_inputs)
    assert blk is not None
    years = [str(y) for y in range(2026, 2036)]
    for key in ("inference_tokens_per_s_by_year", "inference_it_mw_by_year",
                "portfolio_share_of_tokens_by_year", "portfolio_share_of_it_mw_by_year"):
        assert list(blk[key]) == years, key
    for y in years:
        assert blk["portfolio_share_of_it_mw_by_year"][y] == pytest.approx(0.2)
        assert blk["portfolio_share_of_tokens_by_year"][y] == pytest.approx(0.2)
    compared = [r for r in blk["published_ranges"] if r["value"] is not None]
    assert compared and all(r["inside"] for r in compared)
    assert {r["view"] for r in compared} == {"bottom-up", "top-down"}


def test_report_market_tables(us_inputs) -> None:  # type: ignore[no-untyped-def]
    from coredge.report.market import market_rows, range_rows
    from coredge.results import market_block

    blk = market_block(us_inputs)
    rows = market_rows(blk)
    assert [r["year"] for r in rows] == [str(y) for y in range(2026, 2036)]
    assert all(r["share_mw"] == "20.0%" for r in rows)
    ranges = range_rows(blk)
    assert {r["inside"] for r in ranges} <= {"yes", ""}
    assert any("LBNL" in r["source"] for r in ranges) and any("Google" in r["source"] for r in ranges)
    assert market_rows(None) == [] and range_rows(None) == []


@pytest.mark.parametrize("band", ["low", "mid", "high"])
def test_market_never_shrinks(band: str) -> None:
    a = market_anchors(1.5e-6, band)  # type: ignore[arg-type]
    assert all(x.it_mw <= y.it_mw for x, y in itertools.pairwise(a))
    v = curve_at(a, np.arange(2026, 2036) + 0.5)
    assert np.all(np.diff(v) >= 0)
