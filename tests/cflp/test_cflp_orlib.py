"""The engine against published OR-Library optima (shared/benchmarks/orlib/optima.csv).

The instances are read through `coredge_testing.shared_file` (vendored copies under
tests/data/shared/, else ../shared); a test whose file is in neither place is skipped.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import numpy as np
import pytest

from coredge.cflp import read_orlib_cap, read_pmed, read_sscflp, solve_cflp, solve_pmedian
from coredge.cflp.instance import CflpInstance
from coredge.cflp.solve import CflpResult
from coredge_testing import EXACT_CFLP, shared_file


def orlib(rel: str) -> Path:
    """An OR-Library file below shared/benchmarks/orlib/ (skips the test when absent)."""
    return shared_file(f"benchmarks/orlib/{rel}", "OR-Library instance with a published optimum")


@functools.cache
def _optima() -> list[dict[str, str]]:
    return list(csv.DictReader(orlib("optima.csv").read_text().splitlines()))

CAP_NAMES = [f"cap{a}{b}" for a in (4, 6, 7, 9, 10, 12, 13, 8, 11) for b in (1, 2, 3, 4)]
CAP_NAMES = sorted({*CAP_NAMES, "cap51"}, key=lambda s: (len(s), s))


def _optimum(instance: str, variant: str) -> float:
    rows = [r for r in _optima() if r["instance"] == instance and r["variant"] == variant]
    assert len(rows) == 1, (instance, variant)
    return float(rows[0]["published_optimum"])


def assert_feasible(inst: CflpInstance, res: CflpResult, capacitated: bool = True) -> None:
    """The reported solution serves every customer, respects capacities and costs `objective`."""
    x = res.assignment
    np.testing.assert_allclose(x.sum(axis=0), 1.0, atol=1e-6)
    assert np.all(x[~res.open] <= 1e-9), "served from a closed facility"
    assert np.all(x[~inst.reachable] == 0.0)
    if capacitated:
        load = x @ inst.demand
        assert np.all(load <= inst.capacity * res.open + 1e-6 * inst.capacity.max())
    cost = inst.fixed_cost_usd[res.open].sum() + np.nansum(
        np.where(x > 0, inst.assign_cost_usd, 0.0) * x
    )
    assert cost == pytest.approx(res.objective, rel=1e-7)
    assert res.bound <= res.objective + 1e-6 * abs(res.objective)


def test_all_37_cap_instances_listed() -> None:
    assert len(CAP_NAMES) == 37
    assert {r["instance"] for r in _optima() if r["variant"] == "MS-CFLP"} >= set(CAP_NAMES)


@pytest.mark.parametrize("name", CAP_NAMES)
def test_multi_source_cap_optimum(name: str) -> None:
    inst = read_orlib_cap(orlib(f"cap/{name}.txt"))
    res = solve_cflp(inst, "multi-source", **EXACT_CFLP)
    assert res.status == "optimal"
    # capopt prints 3 decimals (cap91: 796648.438 for 796648.4375).
    assert res.objective == pytest.approx(_optimum(name, "MS-CFLP"), abs=1e-3)
    assert res.gap <= 1e-9
    assert_feasible(inst, res)


UFLP_NAMES = [f"cap{a}{b}" for a in (7, 10, 13) for b in (1, 2, 3, 4)]


@pytest.mark.parametrize("name", UFLP_NAMES)
def test_uncapacitated_optimum(name: str) -> None:
    inst = read_orlib_cap(orlib(f"cap/{name}.txt"))
    res = solve_cflp(inst, "uncapacitated", **EXACT_CFLP)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(_optimum(name, "UFLP"), abs=1e-3)
    assert_feasible(inst, res, capacitated=False)
    # Every customer goes to its cheapest open facility.
    best = np.where(res.open[:, None], inst.assign_cost_usd, np.inf).min(axis=0)
    used = (res.assignment * inst.assign_cost_usd).sum(axis=0)
    np.testing.assert_allclose(used, best, rtol=1e-9)


# sscflp_orlib_gs p1..p24 are cap61-64, 71-74, 91-94, 101-104, 121-124, 131-134.
SS_SOURCES = [f"cap{a}{b}" for a in (6, 7, 9, 10, 12, 13) for b in (1, 2, 3, 4)]


@pytest.mark.parametrize("k", range(1, 25))
def test_single_source_orlib_gs_optimum(k: int) -> None:
    inst = read_sscflp(orlib(f"sscflp_orlib_gs/p{k}"))
    res = solve_cflp(inst, "single-source", **EXACT_CFLP)
    assert res.status == "optimal"
    # The "os" optima are printed with 2 decimals.
    assert res.objective == pytest.approx(_optimum(SS_SOURCES[k - 1], "SS-CFLP"), abs=0.011)
    assert_feasible(inst, res)
    assert set(np.unique(np.round(res.assignment, 9))) <= {0.0, 1.0}


def test_os_file_matches_optima_csv() -> None:
    os_vals = [float(t) for t in orlib("sscflp_orlib_gs/os").read_text().split()]
    for k, name in enumerate(SS_SOURCES, start=1):
        assert os_vals[k - 1] == pytest.approx(_optimum(name, "SS-CFLP"), abs=1e-6)


@pytest.mark.parametrize("name", ["cap41", "cap44", "cap51", "cap81", "cap111", "cap114"])
def test_single_source_infeasible(name: str) -> None:
    # One demand of 12912 exceeds every capacity (README).
    inst = read_orlib_cap(orlib(f"cap/{name}.txt"))
    assert inst.demand.max() > inst.capacity.max()
    res = solve_cflp(inst, "single-source")
    assert res.status == "infeasible"
    assert res.bound == np.inf and res.objective == np.inf
    # ... while the splittable version of the same file is feasible.
    assert solve_cflp(inst, "multi-source", **EXACT_CFLP).status == "optimal"


def _holmberg_os() -> list[float]:
    return [float(t) for t in orlib("sscflp_holmberg/os").read_text().split()]


@pytest.mark.parametrize("k", [1, 5, 9, 13, 17, 41, 50])
def test_single_source_holmberg_optimum(k: int) -> None:
    inst = read_sscflp(orlib(f"sscflp_holmberg/p{k}"))
    res = solve_cflp(inst, "single-source", **EXACT_CFLP)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(_holmberg_os()[k - 1], abs=1e-6)
    assert_feasible(inst, res)


@pytest.mark.parametrize("k", [1, 4, 5])
def test_pmedian_optimum(k: int) -> None:
    inst = read_pmed(orlib(f"pmed/pmed{k}.txt"))
    res = solve_pmedian(inst, **EXACT_CFLP)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(_optimum(f"pmed{k}", "p-median"), abs=1e-6)
    assert int(res.open.sum()) == inst.p
    # Every vertex is served by its nearest chosen median.
    assert inst.distance[res.open].min(axis=0).sum() == pytest.approx(res.objective)


def test_capb_at_capacity_8000_with_valid_bound_under_short_limit() -> None:
    """capb4 (the fastest of capa/capb/capc); the bound brackets the published optimum."""
    inst = read_orlib_cap(orlib("cap/capb.txt"), capacity=8000)
    opt = _optimum("capb4", "MS-CFLP")
    res = solve_cflp(inst, time_limit_s=2.0)
    assert res.bound <= opt + 1e-3
    assert res.objective >= opt - 1e-3
    if res.status == "optimal":
        assert res.objective == pytest.approx(opt, abs=1e-3)
    else:
        assert res.status == "time_limit" and res.gap > 0


@pytest.mark.parametrize("variant", ["multi-source", "single-source"])
def test_node_limit_stops_short_of_the_optimum_with_a_valid_bracket(variant: str) -> None:
    """The deterministic limit of `EXACT_CFLP` works: one node leaves a gap, reported as such."""
    if variant == "multi-source":  # needs 7 nodes
        inst, opt = read_orlib_cap(orlib("cap/cap114.txt")), _optimum("cap114", "MS-CFLP")
    else:  # Holmberg p50 needs 9 nodes
        inst, opt = read_sscflp(orlib("sscflp_holmberg/p50")), _holmberg_os()[49]
    res = solve_cflp(inst, variant, **{**EXACT_CFLP, "highs_options": {"mip_max_nodes": 1}})
    assert res.status == "time_limit" and res.gap > 0
    assert res.stats["milp_nodes"] == 1
    assert res.bound <= opt + 1e-3 <= res.objective + 2e-3
