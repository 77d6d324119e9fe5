"""`coredge validate` / scenario loading: every bad input gets its message and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coredge.errors import InputError
from coredge.scenario.load import load_scenario, validate_file
from coredge_testing import TINY, run_cli


def _write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _tiny_with(tmp_path: Path, patch: dict) -> Path:
    from coredge.scenario.load import deep_merge

    raw = yaml.safe_load(TINY)
    return _write(tmp_path, yaml.safe_dump(deep_merge(raw, patch)))


def _problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as exc:
        validate_file(path)
    return [str(p) for p in exc.value.problems]


def test_builtin_default_is_valid() -> None:
    sc = load_scenario()
    assert sc.name == "us"
    assert set(sc.tiers) == {"core", "regional", "micro"}
    assert abs(sum(w.demand_share for w in sc.active_workloads.values()) - 1.0) < 1e-9
    for variant in ("high-growth", "power-crunch", "low-share"):
        v = load_scenario(None, variant)
        assert v.name == "us"
    # high-growth: the high edge of the published market ranges (docs/demand.md)
    assert load_scenario(None, "high-growth").demand.market_band == "high"
    assert load_scenario(None).demand.volume == "market"
    assert load_scenario(None, "power-crunch").grid.state_caps_mw == {"VA": 300.0}


def test_tiny_valid_via_cli(tiny_yaml: Path) -> None:
    r = run_cli("validate", str(tiny_yaml), "--json")
    assert r.returncode == 0, r.stderr
    assert '"valid":true' in r.stdout.splitlines()[-1]


def test_malformed_yaml(tmp_path: Path) -> None:
    p = _write(tmp_path, "name: x\ndemand: [unclosed\n  growth_rate: 0.3\n")
    r = run_cli("validate", str(p))
    assert r.returncode == 2
    assert "malformed YAML" in r.stderr and "line" in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_key_did_you_mean(tmp_path: Path) -> None:
    p = _tiny_with(tmp_path, {"demand": {"growth_rat": 0.3}})
    msgs = _problems(p)
    assert any("demand.growth_rat" in m and "did you mean 'growth_rate'" in m for m in msgs), msgs
    p2 = _tiny_with(tmp_path, {"horizn": {"start_year": 2026}})
    msgs2 = _problems(p2)
    assert any("horizn" in m and "did you mean 'horizon'" in m for m in msgs2), msgs2


def test_wrong_type(tmp_path: Path) -> None:
    p = _tiny_with(tmp_path, {"demand": {"min_population": "lots"}})
    msgs = _problems(p)
    assert any("demand.min_population" in m and "'lots'" in m and "integer" in m for m in msgs), msgs


def test_latitude_out_of_range(tmp_path: Path) -> None:
    p = _tiny_with(
        tmp_path,
        {"existing_sites": [{"id": "x", "tier": "micro", "lat": 95.0, "lon": -75.0, "it_mw": 0.5}]},
    )
    msgs = _problems(p)
    assert any("existing_sites[0].lat" in m and "95.0" in m and "90" in m for m in msgs), msgs


def test_latitude_out_of_range_in_points_csv(tmp_path: Path) -> None:
    csv = tmp_path / "pts.csv"
    csv.write_text("id,lat,lon,population\na,40.7,-74.0,1000\nb,123.0,-75.0,500\n", encoding="utf-8")
    p = _tiny_with(tmp_path, {"demand": {"source": "csv", "points_csv": "pts.csv"}})
    r = run_cli("validate", str(p))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "lat" in r.stderr and "123" in r.stderr


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"tiers": {"regional": {"it_mw_max": -5}}}, "tiers.regional.it_mw_max"),
        ({"tiers": {"micro": {"module_it_mw": 0}}}, "tiers.micro.module_it_mw"),
        ({"economics": {"electricity_price_usd_per_mwh": -40}}, "economics.electricity_price_usd_per_mwh"),
        ({"economics": {"discount_rate": 0}}, "economics.discount_rate"),
        ({"demand": {"requests_per_capita_per_day": 0}}, "demand.requests_per_capita_per_day"),
        ({"grid": {"state_caps_mw": {"TX": -100}}}, "grid.state_caps_mw.TX"),
    ],
)
def test_negative_or_zero_values(tmp_path: Path, patch: dict, path: str) -> None:
    msgs = _problems(_tiny_with(tmp_path, patch))
    assert any(m.startswith(path + ":") and "greater than" in m for m in msgs), msgs


def test_slo_zero_ms(tmp_path: Path) -> None:
    msgs = _problems(_tiny_with(tmp_path, {"workloads": {"gaming-xr": {"rtt_budget_ms": 0}}}))
    assert any("workloads.gaming-xr.rtt_budget_ms" in m and "greater than 0" in m for m in msgs), msgs


def test_empty_demand(tmp_path: Path) -> None:
    p = _tiny_with(tmp_path, {"demand": {"min_population": 50_000_000}})
    r = run_cli("validate", str(p))
    assert r.returncode == 2
    assert "empty demand" in r.stderr and "demand.min_population" in r.stderr


def test_class_no_tier_serves(tmp_path: Path) -> None:
    patch = {
        "tiers": {
            "core": {"serves": ["batch"]},
            "regional": {"serves": ["batch"]},
            "micro": {"serves": ["consumer-assistant"]},
        }
    }
    msgs = _problems(_tiny_with(tmp_path, patch))
    assert any(m.startswith("workloads.gaming-xr:") and "tier" in m for m in msgs), msgs


def test_override_names_missing_field(tmp_path: Path) -> None:
    p = _tiny_with(tmp_path, {"variants": {"oops": {"demand": {"groth_rate": 0.9}}}})
    msgs = _problems(p)
    assert any("variants.oops.demand.groth_rate" in m and "growth_rate" in m for m in msgs), msgs
    with pytest.raises(InputError):
        load_scenario(p, "oops")


def test_unknown_variant_name(tiny_yaml: Path) -> None:
    with pytest.raises(InputError) as exc:
        load_scenario(tiny_yaml, "nope")
    assert "bigger" in str(exc.value)


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    p = _tiny_with(
        tmp_path,
        {"demand": {"growth_rat": 0.3, "min_population": -1}, "economics": {"discount_rate": 2}},
    )
    msgs = _problems(p)
    assert len(msgs) >= 3, msgs


def test_bad_run_leaves_nothing_behind(tmp_path: Path) -> None:
    p = _tiny_with(tmp_path, {"workloads": {"gaming-xr": {"rtt_budget_ms": 0}}})
    out = tmp_path / "runs" / "should-not-exist"
    r = run_cli("run", str(p), "--out", str(out))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert not out.exists()
    assert not list((tmp_path / "runs").glob("*")) if (tmp_path / "runs").exists() else True


def test_every_scenario_field_is_documented() -> None:
    """Every field of the schema, nested sections included, carries a description."""
    from coredge.scenario.schema import TierSpec, WorkloadClass, describe

    rows = describe() + describe(TierSpec) + describe(WorkloadClass)
    missing = [path for path, _typ, desc in rows if not desc.strip()]
    assert len(rows) > 60
    assert missing == [], missing
