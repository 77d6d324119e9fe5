"""The serving check: every statistic within its documented tolerance; the split is honoured."""

from __future__ import annotations

import pytest

from coredge.data import engine_throughput_table
from coredge.physics.throughput import default_engine_fit
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
    assert default_engine_fit().meta["fit_rows"] == int((t["split"] == "fit").sum())


def test_h100_held_out_close_to_fit(stats: list) -> None:  # type: ignore[type-arg]
    by = {(s.dataset, s.subset): s for s in stats}
    fit = by[("trtllm-0.17 H100", "fit")]
    held = by[("trtllm-0.17 H100", "held-out")]
    assert held.median_pct <= fit.median_pct + 5.0
