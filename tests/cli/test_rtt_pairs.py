"""`coredge rtt --pairs PAIRS.csv --out OUT.csv`: many pairs at once, with the --out rule."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from coredge.cli.run import read_rtt_pairs
from coredge.errors import InputError
from coredge.latency import access_rtt_ms, pair_rtt_ms
from coredge.scenario.schema import NetworkSpec
from coredge_testing import run_cli

PAIRS = (
    "name,a_lat,a_lon,b_lat,b_lon,note\n"
    "sydney-melbourne,-33.87,151.21,-37.81,144.96,south\n"
    "ny-london,40.71,-74.01,51.51,-0.13,atlantic\n"
    "same,10,20,10,20,zero\n"
)


def test_pairs_end_to_end_and_out_rule(tmp_path: Path) -> None:
    src = tmp_path / "pairs.csv"
    src.write_text(PAIRS)
    out = tmp_path / "out.csv"
    r = run_cli("rtt", "--pairs", str(src), "--out", str(out), "--access", "cable", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["pairs"] == 3
    got = pd.read_csv(out)
    # every input column passed through, in order, then the three computed ones
    assert list(got.columns) == ["name", "a_lat", "a_lon", "b_lat", "b_lon", "note",
                                 "distance_km", "rtt_ms", "user_rtt_ms"]
    assert got["note"].tolist() == ["south", "atlantic", "zero"]
    d, rtt = pair_rtt_ms(NetworkSpec(), got["a_lat"], got["a_lon"], got["b_lat"], got["b_lon"])
    assert got["distance_km"].to_numpy() == pytest.approx(d)
    assert got["rtt_ms"].to_numpy() == pytest.approx(rtt)
    assert (got["user_rtt_ms"] - got["rtt_ms"]).to_numpy() == pytest.approx(access_rtt_ms("cable"))
    # an existing file is never replaced without --overwrite
    before = out.read_text()
    again = run_cli("rtt", "--pairs", str(src), "--out", str(out), "--model", "fixed-inflation")
    assert again.returncode == 2 and "--overwrite" in again.stderr
    assert out.read_text() == before
    forced = run_cli("rtt", "--pairs", str(src), "--out", str(out), "--model", "fixed-inflation", "--overwrite")
    assert forced.returncode == 0, forced.stderr
    assert pd.read_csv(out)["rtt_ms"].iloc[2] == pytest.approx(1.0)  # fixed-inflation overhead at 0 km
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_pairs_needs_out_and_refuses_places(tmp_path: Path) -> None:
    src = tmp_path / "pairs.csv"
    src.write_text(PAIRS)
    r = run_cli("rtt", "--pairs", str(src))
    assert r.returncode == 2 and "--out" in r.stderr and "Traceback" not in r.stderr
    r2 = run_cli("rtt", "--pairs", str(src), "--out", str(tmp_path))  # a folder
    assert r2.returncode == 2 and "--out" in r2.stderr


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("a_lat,a_lon,b_lat\n1,2,3\n", "b_lon", "missing"),
        ("a_lat,a_lon,b_lat,b_lon\n1,2,3,4\n1,x,3,4\n", "a_lon, row 2", "longitude"),
        ("a_lat,a_lon,b_lat,b_lon\n1,2,3,4\n1,2,3,4\n91,2,3,4\n", "a_lat, row 3", "latitude"),
        ("a_lat,a_lon,b_lat,b_lon\n1,2,3,\n", "b_lon, row 1", "longitude"),
        ("a_lat,a_lon,b_lat,b_lon,rtt_ms\n1,2,3,4,5\n", "rtt_ms", "coredge writes"),
    ],
)
def test_bad_pairs_name_column_and_row(tmp_path: Path, text: str, where: str, what: str) -> None:
    src = tmp_path / "p.csv"
    src.write_text(text)
    with pytest.raises(InputError) as exc:
        read_rtt_pairs(src)
    msg = str(exc.value)
    assert where in msg and what in msg


def test_missing_pairs_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="existing CSV"):
        read_rtt_pairs(tmp_path / "nope.csv")
