"""Network spec: the documented core is accepted as written; bad input names path, value, rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coredge.errors import InputError
from coredge.sim import load_spec, spec_from_arrays, spec_from_dict
from coredge.sim.loader import load_spec_or_plan
from coredge.sim.spec import rtt_matrix_ms, site_servers

CORE = """
{"sites": [{"id": "s0", "servers": 8, "queue_limit": 64}, {"id": "s1", "servers": 4, "queue_limit": 16}],
 "demand": [{"id": "d0", "rate_per_s": 12.5}, {"id": "d1", "rate_per_s": 30}],
 "rtt_ms": [[5.0, 12.0], [20.0, 3.0]],
 "service": {"distribution": "exponential", "mean_ms": 50.0},
 "routing": {"policy": "nearest-available", "max_hops": null}}
"""


def core() -> dict[str, Any]:
    return json.loads(CORE)


def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(InputError) as info:
        spec_from_dict(data)
    return [(p.field, p.allowed) for p in info.value.problems]


def test_minimal_core_is_accepted_exactly_as_written(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(CORE)
    spec = load_spec(path)
    assert [s.id for s in spec.sites] == ["s0", "s1"]
    assert spec.routing.policy == "nearest-available" and spec.routing.max_hops is None
    assert site_servers(spec).tolist() == [8, 4]
    np.testing.assert_array_equal(rtt_matrix_ms(spec), [[5.0, 12.0], [20.0, 3.0]])
    # round trip through the plain dict
    assert spec_from_dict(spec.to_dict()) == spec
    assert load_spec_or_plan(path) == spec


@pytest.mark.parametrize(
    ("edit", "field", "phrase"),
    [
        (lambda d: d["sites"][1].update(servers=0), "sites[1].servers", "greater than or equal to 1"),
        (lambda d: d["sites"][0].update(gpus=3), "sites[0].gpus", "allowed fields here: id, servers"),
        (lambda d: d.update(colour="red"), "colour", "allowed fields here: sites, demand"),
        (lambda d: d["demand"][0].update(rate_per_s=-1), "demand[0].rate_per_s", "greater than or equal to 0"),
        (lambda d: d["service"].update(distribution="gamma"), "service.distribution", "'exponential'"),
        (lambda d: d["service"].update(distribution="lognormal"), "service.sigma", "required for distribution 'lognormal'"),
        (lambda d: d["service"].update(sigma=0.5), "service.sigma", "not used by distribution 'exponential'"),
        (lambda d: d["routing"].update(policy="random"), "routing.policy", "one of: nearest-available"),
        (lambda d: d["rtt_ms"][1].append(4.0), "rtt_ms[1]", "one value per site (2)"),
        (lambda d: d["rtt_ms"].pop(), "rtt_ms", "one row per demand point (2)"),
        (lambda d: d["sites"][1].update(id="s0"), "sites[].id", "ids must be unique"),
        (lambda d: d.pop("service"), "service", "required unless classes are given"),
        (lambda d: d.pop("rtt_ms"), "rtt_ms", "required unless every site and demand point has lat and lon"),
        (lambda d: d.update(faults=[{"site": "zz", "at_s": 1, "for_s": 2}]), "faults[0].site", "the id of a site"),
        (lambda d: d["routing"].update(policy="tiered-spill"), "sites[0].tier", "tiered-spill needs a tier"),
        (lambda d: d["sites"][0].pop("servers"), "sites[0].servers", "required (or replicas and slots_per_replica)"),
        (lambda d: d.update(diurnal={"amplitude": 0.5}), "demand[0].utc_offset_h", "diurnal needs utc_offset_h or lon"),
    ],
)
def test_bad_specs_name_path_value_and_rule(edit: Any, field: str, phrase: str) -> None:
    data = core()
    edit(data)
    found = problems(data)
    assert any(f == field and phrase in allowed for f, allowed in found), found


def test_all_problems_reported_at_once() -> None:
    data = core()
    data["sites"][0]["servers"] = 0
    data["demand"][1]["rate_per_s"] = "lots"
    with pytest.raises(InputError) as info:
        spec_from_dict(data)
    fields = {p.field for p in info.value.problems}
    assert fields == {"sites[0].servers", "demand[1].rate_per_s"}
    assert "got 'lots'" in info.value.message()


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="an existing"):
        load_spec_or_plan(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="valid JSON"):
        load_spec(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(InputError, match="a JSON object"):
        load_spec(bad)
    # a directory goes to coredge.sim.from_plan (no plan.json -> clear input error)
    with pytest.raises(InputError, match=r"plan\.json"):
        load_spec_or_plan(tmp_path)


def test_python_constructor_matches_json() -> None:
    spec = spec_from_arrays(
        site_ids=["s0", "s1"], servers=np.array([8, 4]), queue_limit=np.array([64, 16]),
        demand_ids=["d0", "d1"], rate_per_s=np.array([12.5, 30.0]),
        rtt_ms=np.array([[5.0, 12.0], [20.0, 3.0]]),
        service={"distribution": "exponential", "mean_ms": 50.0},
        routing={"policy": "nearest-available", "max_hops": None},
    )
    assert spec == spec_from_dict(core())
    # NaN / inf = unreachable; scalars broadcast
    s2 = spec_from_arrays(site_ids=["a", "b"], servers=2, demand_ids=["x"], rate_per_s=[1.0],
                          rtt_ms=[[1.0, np.inf]], queue_limit=None,
                          service={"distribution": "deterministic", "mean_ms": 5.0})
    assert s2.rtt_ms == [[1.0, None]] and s2.sites[1].queue_limit is None
    assert np.isinf(rtt_matrix_ms(s2)[0, 1])
    with pytest.raises(InputError):
        spec_from_arrays(site_ids=["a"], servers=[0], demand_ids=["x"], rate_per_s=[1.0],
                         rtt_ms=[[1.0]], service={"distribution": "deterministic", "mean_ms": 5.0})


def test_rtt_from_coordinates_uses_the_fibre_model() -> None:
    """New York -> Los Angeles, 3936 km great circle (coredge.geo doctest). Calibrated model (the
    default): 2.0 ms + 2 x 3936 km x (1 + 1.161 / (1 + 3936 / 4382)) x 4.9 us/km = 64.1 ms; the
    fixed-inflation model: 2 x 3936 km x 2.1 (Bozkurt et al. 2018) x 4.9 us/km + 1 ms = 82.0 ms."""
    data = core()
    data.pop("rtt_ms")
    data["sites"] = [{"id": "ny", "servers": 1, "lat": 40.7128, "lon": -74.0060}]
    data["demand"] = [{"id": "la", "rate_per_s": 1.0, "lat": 34.0522, "lon": -118.2437}]
    rtt = rtt_matrix_ms(spec_from_dict(data))
    assert rtt[0, 0] == pytest.approx(2.0 + 2 * 3936 * (1 + 1.161 / (1 + 3936 / 4382)) * 4.9 / 1000, rel=2e-4)
    data["latency"] = {"model": "fixed-inflation"}
    rtt = rtt_matrix_ms(spec_from_dict(data))
    assert rtt[0, 0] == pytest.approx(2 * 3936 * 2.1 * 4.9 / 1000 + 1.0, rel=2e-4)
    data["latency"] = {"model": "fixed-inflation", "route_inflation": 1.0, "overhead_ms": 0.0, "access_rtt_ms": 10.0}
    rtt = rtt_matrix_ms(spec_from_dict(data))
    assert rtt[0, 0] == pytest.approx(10.0 + 2 * 3936 * 4.9 / 1000, rel=2e-4)


def test_slot_model_servers_are_replicas_times_slots() -> None:
    data = core()
    data["sites"][0] = {"id": "s0", "replicas": 3, "slots_per_replica": 16, "queue_limit": 10}
    assert site_servers(spec_from_dict(data)).tolist() == [48, 4]
