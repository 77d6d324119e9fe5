"""Dask sweep: Parquet per chunk, DuckDB catalogue, resume after a killed worker or a failed chunk."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coredge.errors import InputError
from coredge.studies.sweep import (
    chunk_id,
    grid_from_vary,
    query_catalogue,
    run_sweep,
    with_mc_chunks,
)


def make_task(calls_dir: Path, kill_x: int | None = None, fail_flag: Path | None = None) -> Any:
    """A task (a closure, so cloudpickle ships it by value) that records every call.

    With ``kill_x`` the first attempt at that chunk SIGKILLs its own worker process; with
    ``fail_flag`` the chunk x == 2 raises while the flag file exists.
    """
    calls = str(calls_dir)
    flag = None if fail_flag is None else str(fail_flag)

    def task(params: dict[str, Any]) -> pd.DataFrame:
        import os
        import signal
        import uuid
        from pathlib import Path

        import numpy as np
        import pandas as pd

        x = int(params["x"])
        Path(calls, f"{x}-{uuid.uuid4().hex}").touch()
        if kill_x is not None and x == kill_x:
            marker = Path(calls, "killed.marker")
            if not marker.exists():
                marker.touch()
                os.kill(os.getpid(), signal.SIGKILL)
        if flag is not None and x == 2 and Path(flag).exists():
            raise RuntimeError("chunk 2 fails while the flag exists")
        rng = np.random.default_rng([int(params.get("seed", 0)), x])
        return pd.DataFrame({"trial": np.arange(3), "npv_usd": rng.normal(size=3) + x})

    return task


def call_counts(calls_dir: Path) -> Counter[int]:
    return Counter(int(p.name.split("-")[0]) for p in calls_dir.iterdir() if p.name[0].isdigit())


def test_chunk_ids_grid_and_mc_chunks() -> None:
    assert chunk_id({"a": 1, "b": [1, 2]}) == chunk_id({"b": [1, 2], "a": 1})
    assert chunk_id({"a": 1}) != chunk_id({"a": 1.5})
    grid = grid_from_vary({"seed": 3}, ["rate=0.06,0.08", "tier=core,micro", "tax=true"])
    assert len(grid) == 4 and grid[0] == {"seed": 3, "rate": 0.06, "tier": "core", "tax": True}
    chunks = with_mc_chunks(grid, 3, 500)
    assert len(chunks) == 12 and len({chunk_id(c) for c in chunks}) == 12
    with pytest.raises(InputError, match="--vary"):
        grid_from_vary({}, ["rate"])
    with pytest.raises(InputError, match="grid entry"):
        chunk_id({"a": float("nan")})


def test_sweep_survives_a_killed_worker_and_rerun_computes_nothing(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    out = tmp_path / "sweep"
    grid = [{"x": x, "seed": 1} for x in range(6)] + [{"seed": 1, "x": 4}]  # one duplicate
    task = make_task(calls, kill_x=3)
    res = run_sweep(task, grid, out, n_workers=2, progress=False)
    assert res.ok, res.failed
    assert (calls / "killed.marker").exists()  # the worker really died once
    assert sorted(res.computed) == sorted(set(res.chunk_ids)) and len(set(res.chunk_ids)) == 6
    counts = call_counts(calls)
    assert counts[3] == 2 and all(counts[x] == 1 for x in (0, 1, 2, 4, 5))
    files = sorted((out / "chunks").glob("*.parquet"))
    assert len(files) == 6
    assert not list(out.rglob("*.tmp"))
    # the catalogue sees every chunk once
    n = query_catalogue(out, "SELECT count(*) AS n, count(DISTINCT chunk_id) AS c FROM results")
    assert (int(n["n"][0]), int(n["c"][0])) == (18, 6)
    per_x = res.sql("SELECT param_x, count(*) AS n FROM results GROUP BY param_x ORDER BY param_x")
    assert per_x["param_x"].tolist() == list(range(6)) and set(per_x["n"]) == {3}
    # rerun of the finished sweep: nothing computed, no cluster work, same results
    before = res.read().sort_values(["param_x", "trial"]).reset_index(drop=True)
    again = run_sweep(task, grid, out, n_workers=2, progress=False)
    assert again.computed == [] and sorted(again.skipped) == sorted(set(res.chunk_ids))
    assert call_counts(calls) == counts
    after = again.read().sort_values(["param_x", "trial"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)


def test_interrupted_sweep_resumes_only_missing_chunks(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    out = tmp_path / "sweep"
    flag = tmp_path / "fail.flag"
    flag.touch()
    grid = [{"x": x} for x in range(5)]
    task = make_task(calls, fail_flag=flag)
    first = run_sweep(task, grid, out, n_workers=2, progress=False)
    assert not first.ok and list(first.failed) == [chunk_id({"x": 2})]
    assert "RuntimeError" in first.failed[chunk_id({"x": 2})]
    assert len(list((out / "chunks").glob("*.parquet"))) == 4
    # a stale temporary file from a crashed writer is cleaned up, never catalogued
    (out / "chunks" / ".deadbeef.0.tmp").write_bytes(b"partial")
    flag.unlink()
    grid2 = [*grid, {"x": 7}]
    second = run_sweep(task, grid2, out, n_workers=2, progress=False)
    assert second.ok
    assert sorted(second.computed) == sorted([chunk_id({"x": 2}), chunk_id({"x": 7})])
    counts = call_counts(calls)
    assert counts == Counter({0: 1, 1: 1, 2: 2, 3: 1, 4: 1, 7: 1})
    assert not list(out.rglob("*.tmp"))
    rows = query_catalogue(out, "SELECT param_x, count(*) AS n FROM results GROUP BY 1 ORDER BY 1")
    assert rows["param_x"].tolist() == [0, 1, 2, 3, 4, 7] and set(rows["n"]) == {3}
    chunks = query_catalogue(out, "SELECT count(*) AS n, sum(n_rows) AS r FROM chunks")
    assert (int(chunks["n"][0]), int(chunks["r"][0])) == (6, 18)


def test_monte_carlo_sweep_end_to_end(tmp_path: Path) -> None:
    from coredge.studies.sweep import with_mc_chunks
    from coredge.studies.sweep_task import monte_carlo_chunk

    table = pd.DataFrame(
        {
            "site_id": ["c", "r", "m"],
            "tier": ["core", "regional", "micro"],
            "build_start_year": [2026, 2026, 2027],
            "online_year": [2028, 2027, 2027],
            "it_mw": [100.0, 5.0, 0.5],
            "gpus": [77_000, 3_800, 380],
            "pue": [1.18, 1.35, 1.5],
            "capex_facility_usd": [2e9, 6e7, 5e6],
            "capex_it_usd": [77_000 * 30e3, 3_800 * 30e3, 380 * 30e3],
            "energy_price_usd_per_mwh": [66.0, 89.5, 107.0],
            "utilisation_frac": [0.75, 0.6, 0.5],
        }
    )
    path = tmp_path / "sites.parquet"
    table.to_parquet(path)
    risk = {"variables": {"power_price": {"dist": "lognormal", "params": [0.0, 0.2]}}}
    base = {"site_table_path": str(path), "seed": 11, "risk": risk}
    grid = with_mc_chunks(grid_from_vary(base, ["finance.discount_rate=0.06,0.1"]), 2, 300)
    # reproducible chunk by chunk, independent across chunks
    a = monte_carlo_chunk(grid[0])
    pd.testing.assert_frame_equal(a, monte_carlo_chunk(grid[0]))
    assert not np.allclose(a["npv_usd"], monte_carlo_chunk(grid[1])["npv_usd"])
    res = run_sweep(monte_carlo_chunk, grid, tmp_path / "mc", n_workers=2, progress=False)
    assert res.ok and len(res.computed) == 4
    q = res.sql(
        'SELECT "param_finance.discount_rate" AS r, count(*) AS n, avg(npv_usd) AS npv '
        "FROM results GROUP BY 1 ORDER BY 1"
    )
    assert q["n"].tolist() == [600, 600]
    # the swept discount rate reaches the model: mean NPV per rate = mean over its chunks
    for rate, mean in zip(q["r"], q["npv"], strict=True):
        chunks = [monte_carlo_chunk(g) for g in grid if g["finance.discount_rate"] == rate]
        assert mean == pytest.approx(pd.concat(chunks)["npv_usd"].mean(), rel=1e-9)
    assert q["npv"][0] != pytest.approx(q["npv"][1], rel=1e-3)
