"""The one gate (`coredge.plan.preflight`): `coredge validate` runs every check `coredge run`
makes before solving, reports every problem at once, and warns about what the run goes ahead with."""

from __future__ import annotations

from pathlib import Path

import pytest

from coredge.plan.preflight import gate
from coredge.scenario.load import load_scenario
from coredge_testing import run_cli

DATA = Path(__file__).resolve().parents[1] / "data" / "scenarios"
GERMANY_FRANCE = DATA / "germany_france.yaml"

FOUR_MISTAKES = """
name: four-mistakes
demand: {source: cities, countries: [DE], min_population: 200000}
planning: {planner: simplex}
candidates: {core_regions: [atlantis]}
workloads:
  voice-agent: {tpot_target_ms: 0.01}
existing_sites:
  - {id: berlin-dc, tier: micro, lat: 52.52, lon: 13.40, it_mw: 1.0}
"""
"""A schema error (planner), a semantic one (unknown core region), a data one (no electricity
price for an existing site without a state, far from every US state) and a serving one (a TPOT
target no accelerator meets)."""


def _problems(text: str) -> list[str]:
    return sorted(" ".join(line.split()) for line in text.replace("│", " ").splitlines()
                  if line.strip().startswith("- "))


def test_four_mistakes_in_one_validate_call(tmp_path: Path) -> None:
    p = tmp_path / "four.yaml"
    p.write_text(FOUR_MISTAKES, encoding="utf-8")
    val = run_cli("validate", str(p))
    assert val.returncode == 2, val.stderr
    flat = " ".join(val.stderr.split())
    for field in ("planning.planner", "candidates.core_regions[0]", "workloads.voice-agent:",
                  "economics.electricity_price_usd_per_mwh"):
        assert field in flat, (field, val.stderr)
    assert "(4 problems)" in flat
    run = run_cli("run", str(p), "--out", str(tmp_path / "out"))
    assert run.returncode == 2
    assert _problems(run.stderr) == _problems(val.stderr)
    assert not (tmp_path / "out").exists()


def test_validate_rejects_a_missing_electricity_price(tmp_path: Path) -> None:
    """A site no built-in tariff covers (an existing site without a state, far from every US
    state): `run` has always rejected this; now `validate` does. German and French sites take
    their country's built-in price (`coredge.data.world`)."""
    text = GERMANY_FRANCE.read_text(encoding="utf-8").replace(
        "economics:\n  electricity_price_usd_per_mwh: 150.0\n", "")
    p = tmp_path / "country_prices.yaml"
    p.write_text(text, encoding="utf-8")
    assert run_cli("validate", str(p)).returncode == 0
    p = tmp_path / "noprice.yaml"
    p.write_text(text + "existing_sites:\n  - {id: berlin-dc, tier: micro, lat: 52.52, lon: 13.40, it_mw: 1.0}\n",
                 encoding="utf-8")
    val = run_cli("validate", str(p))
    assert val.returncode == 2
    flat = " ".join(val.stderr.split())
    assert "economics.electricity_price_usd_per_mwh" in flat and "not near any US state" in flat


def test_germany_france_validates_with_a_loud_training_warning() -> None:
    val = run_cli("validate", str(GERMANY_FRANCE), "--json")
    assert val.returncode == 0, val.stderr
    import json

    out = json.loads(val.stdout.strip().splitlines()[-1])
    assert out["valid"] is True
    train = [w for w in out["warnings"] if w["kind"] == "training_unhostable" and w["scenario"] == "base"]
    assert len(train) == 1
    sc = load_scenario(GERMANY_FRANCE)
    f = gate(sc)
    assert f.errors == [] and f.inputs is not None
    # the built-in Frankfurt and Paris regions host part of it: the worst year is the one with
    # the largest shortfall, no more than that year's training load
    worst = train[0]["worst_year"]
    assert worst in train[0]["years"]
    in_worst = float(f.inputs.training_mw[list(sc.horizon.years).index(worst)])
    assert 0 < train[0]["unserved_mw"] <= in_worst + 1e-9
    assert train[0]["unserved_mw"] == pytest.approx(in_worst - train[0]["hostable_mw"])
    assert f"{train[0]['unserved_mw']:,.0f} MW" in train[0]["message"]
    text = run_cli("validate", str(GERMANY_FRANCE))
    assert "warning:" in text.stdout and "training:" in text.stdout and "cannot be hosted" in text.stdout


def test_gate_passes_the_default_scenario_without_errors() -> None:
    """The US campuses host all training once they are online (before, lead times leave it unserved)."""
    sc = load_scenario("us")
    f = gate(sc)
    assert f.errors == [] and f.inputs is not None
    for w in f.warnings:
        if w["kind"] == "training_unhostable":
            assert sc.horizon.years[-1] not in w["years"]


def test_load_out_of_every_candidates_reach_is_a_warning(tmp_path: Path) -> None:
    """Classes with a budget served only by three core regions: part of their load is out of reach."""
    from coredge_testing import TINY_BASE

    p = tmp_path / "core_only.yaml"
    p.write_text(TINY_BASE + "tiers:\n  regional: {serves: [batch]}\n  micro: {serves: [batch]}\n",
                 encoding="utf-8")
    f = gate(load_scenario(p))
    assert f.errors == []
    out = {w["class"]: w for w in f.warnings if w["kind"] == "unreachable"}
    assert "financial" in out and 0.0 < out["financial"]["share_of_load"] < 1.0
    assert "10 ms budget" in out["financial"]["message"]
    train = [w for w in f.warnings if w["kind"] == "training_unhostable"]
    assert train and "comes online in" in train[0]["message"]
    val = run_cli("validate", str(p))
    assert val.returncode == 0 and "warning: financial:" in " ".join(val.stdout.split())


def test_a_check_behind_a_rejected_field_still_runs(tmp_path: Path) -> None:
    """The horizon's own check (end after start) runs only once its fields are valid: dropping the
    rejected planner lets it run, so both problems come in one message, and nothing more."""
    p = tmp_path / "two.yaml"
    p.write_text("name: two\nplanning: {planner: simplex}\nhorizon: {start_year: 2030, end_year: 2026}\n",
                 encoding="utf-8")
    val = run_cli("validate", str(p))
    assert val.returncode == 2
    flat = " ".join(val.stderr.split())
    assert "planning.planner" in flat and "horizon" in flat and "(2 problems)" in flat, val.stderr
