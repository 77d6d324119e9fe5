"""The serving check: every statistic within its documented tolerance; the split is honoured."""

from __future__ import annotations

import pytest

from coredge.data import engine_throughput_table
from coredge.physics.throughput import engine_fits
from coredge.validation import load_checks
from coredge.validation.serving import TOLERANCES, serving_check


@pytest.fixture(scope="module")
def stats() -> list:  # type: ignore[type-arg]
    return serving_check()


def test_registered() -> None:
    assert "serving" in load_checks()


def test_every_stat_within_documented_tolerance(stats: list) -> None:  # type: ignore[type-arg]
    assert len(stats) == len(TOLERANCES)
    for s in stats:
        assert s.within_tolerance, s
        assert s.n >= 3 and s.source and s.date


def test_other_gpus_are_never_fitted() -> None:
    t = engine_throughput_table()
    assert set(t[t["split"] == "fit"]["gpu"]) == {"h100"}
    assert set(t[t["gpu"] != "h100"]["split"]) == {"validation"}
    fits = engine_fits()
    assert set(fits) == {"trtllm", "trtllm-0.12"}
    assert sum(f.meta["fit_rows"] for f in fits.values()) == int((t["split"] == "fit").sum())
    # each version's fit rows are its own: 0.17 for trtllm, 0.12 for trtllm-0.12
    fit = t[t["split"] == "fit"]
    assert set(fit["version"].astype(str)) == {"0.17", "0.12"}
    assert fits["trtllm-0.12"].meta["fit_rows"] == int((fit["version"].astype(str) == "0.12").sum())


def test_h100_held_out_close_to_fit(stats: list) -> None:  # type: ignore[type-arg]
    by = {(s.dataset, s.subset): s for s in stats}
    fit = by[("trtllm-0.17 H100", "fit")]
    held = by[("trtllm-0.17 H100", "held-out")]
    assert held.median_pct <= fit.median_pct + 5.0
