"""solve-cflp CLI and the instance readers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from coredge.cflp import CflpInstance, read_orlib_cap, read_pmed, read_sscflp, solve_cflp
from coredge.cflp.model import AssignmentPairs, build_cflp_milp
from coredge.errors import InputError
from coredge_testing import EXACT_CFLP, run_cli, shared_file


def orlib(rel: str) -> Path:
    """An OR-Library file below shared/benchmarks/orlib/ (skips the test when absent)."""
    return shared_file(f"benchmarks/orlib/{rel}", "OR-Library instance for the readers and CLI")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("solve-cflp", *args)


def test_cli_json_last_line() -> None:
    out = _cli(str(orlib("cap/cap71.txt")), "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["objective"] == pytest.approx(932615.750, abs=1e-3)
    assert summary["status"] == "optimal"
    assert {"bound", "gap", "seconds"} <= summary.keys()


def test_cli_capacity_and_variants() -> None:
    out = _cli(str(orlib("cap/cap71.txt")), "--variant", "uncapacitated", "--json")
    assert json.loads(out.stdout.splitlines()[-1])["objective"] == pytest.approx(932615.75)
    out = _cli(
        str(orlib("sscflp_orlib_gs/p3")),
        "--format",
        "holmberg",
        "--variant",
        "single-source",
        "--json",
    )
    assert json.loads(out.stdout.splitlines()[-1])["objective"] == pytest.approx(
        1014099.61, abs=0.01
    )
    out = _cli(str(orlib("cap/cap41.txt")), "--variant", "single-source", "--json")
    res = json.loads(out.stdout.splitlines()[-1])
    assert res["status"] == "infeasible" and res["objective"] is None


@pytest.mark.parametrize(
    ("file", "args"),
    [
        ("/nonexistent/cap.txt", ()),
        ("cap/capa.txt", ()),  # needs --capacity
        ("cap/cap41.txt", ("--format", "xml")),
        ("cap/cap41.txt", ("--variant", "fractional")),
        ("cap/capa.txt", ("--format", "holmberg")),  # words in numbers
        ("sscflp_holmberg/p47", ("--format", "holmberg")),  # corrupt source
        ("README.md", ()),
        ("cap/cap41.txt", ("--time-limit", "0")),
    ],
)
def test_cli_bad_input_exit_2(file: str, args: tuple[str, ...]) -> None:
    path = file if file.startswith("/") else str(orlib(file))
    out = _cli(path, *args, "--json")
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    assert out.stdout.strip() == ""


def test_capacity_token_required_and_substituted() -> None:
    with pytest.raises(InputError):
        read_orlib_cap(orlib("cap/capa.txt"))
    inst = read_orlib_cap(orlib("cap/capa.txt"), capacity=8000)
    assert (inst.m, inst.n) == (100, 1000)
    assert np.all(inst.capacity == 8000)
    # capc file has 5750 filled in; overriding gives the other capc instances.
    assert np.all(read_orlib_cap(orlib("cap/capc_capacity5750_aimms.txt")).capacity == 5750)


def test_cap_and_single_source_layouts_agree() -> None:
    """sscflp_orlib_gs p1 is cap61 in the other layout (README)."""
    a = read_orlib_cap(orlib("cap/cap61.txt"))
    b = read_sscflp(orlib("sscflp_orlib_gs/p1"))
    np.testing.assert_array_equal(a.assign_cost_usd, b.assign_cost_usd)
    np.testing.assert_array_equal(a.demand, b.demand)
    np.testing.assert_array_equal(a.fixed_cost_usd, b.fixed_cost_usd)
    np.testing.assert_array_equal(a.capacity, b.capacity)


def test_wrapped_rows_and_nul_padding(tmp_path: Path) -> None:
    p = tmp_path / "tiny.txt"
    p.write_bytes(b"2 3\r\n5 10\n 7\n20\x00\x00\n 2 1 9\n 3 4\n 5 6 1\n 3\n")
    inst = read_orlib_cap(p)
    assert inst.capacity.tolist() == [5.0, 7.0] and inst.fixed_cost_usd.tolist() == [10.0, 20.0]
    assert inst.demand.tolist() == [2.0, 3.0, 6.0]
    assert inst.assign_cost_usd.tolist() == [[1.0, 4.0, 1.0], [9.0, 5.0, 3.0]]
    p.write_text("2 3\n5 10\n7 20\n2 1 9\n")
    with pytest.raises(InputError, match="tokens"):
        read_orlib_cap(p)


def test_pmed_reader_shortest_paths() -> None:
    pm = read_pmed(orlib("pmed/pmed1.txt"))
    assert pm.p == 5 and pm.distance.shape == (100, 100)
    np.testing.assert_array_equal(pm.distance, pm.distance.T)
    assert np.all(np.diag(pm.distance) == 0)
    # Triangle inequality holds for shortest paths.
    d = pm.distance
    assert np.all(d[:, None, :] <= d[:, :, None] + d[None, :, :].transpose(0, 2, 1) + 1e-9)


def test_sparse_pairs_model_and_solve() -> None:
    """Only reachable pairs get columns; the solution uses no forbidden pair."""
    inst = CflpInstance.from_pairs(
        [10.0, 10.0, 1.0],
        [10.0, 10.0, 10.0],
        [4.0, 4.0, 4.0],
        i=[0, 1, 0, 1, 2],
        j=[0, 0, 1, 2, 2],
        cost_usd=[1.0, 2.0, 1.0, 1.0, 30.0],
    )
    model, pairs = build_cflp_milp(inst)
    assert pairs.k == 5 and model.num_col == 3 + 5
    res = solve_cflp(inst, **EXACT_CFLP)
    assert res.status == "optimal"
    assert np.all(res.assignment[~inst.reachable] == 0)
    # Customers 0, 1 need facility 0; customer 2: facility 1 (10 + 1) beats facility 2 (1 + 30).
    assert res.objective == pytest.approx(10 + 1 + 1 + 10 + 1)
    with pytest.raises(InputError):
        AssignmentPairs.from_arrays([0, 5], [0, 0], [1.0, 1.0], m=2, n=1)
