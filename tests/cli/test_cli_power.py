"""``coredge headroom``: the table, --json, bad input exits 2."""

from __future__ import annotations

import json

import pytest

from coredge_testing import run_cli


def test_headroom_one_ba_one_limit_json() -> None:
    r = run_cli("headroom", "--ba", "PJM", "--limit", "0.005", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    (row,) = out["headroom"]
    assert row["ba"] == "PJM" and row["limit"] == 0.005
    assert row["published_gw"] == 17.8
    assert row["headroom_gw"] == pytest.approx(17.8, rel=0.05)


def test_headroom_table_prints_totals() -> None:
    r = run_cli("headroom", "--limit", "0.01")
    assert r.returncode == 0, r.stderr
    assert "total" in r.stdout and "PJM" in r.stdout and "PGE" in r.stdout


@pytest.mark.parametrize("args", [("--ba", "NOPE"), ("--limit", "1.5"), ("--limit", "0")])
def test_headroom_bad_input_exits_2(args: tuple[str, str]) -> None:
    r = run_cli("headroom", *args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and args[0] in r.stderr
