"""The plan store: a scenario planned once is reused by studies, never across code or settings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from coredge.plan import cache

if TYPE_CHECKING:
    from coredge.plan.result import Plan
    from coredge.scenario.schema import Scenario


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "plans"
    monkeypatch.setenv(cache.ENV, str(d))
    return d


def test_round_trip_keeps_every_field(store: Path, tiny_scenario: Scenario, tiny_greedy: Plan) -> None:
    key = cache.plan_key(tiny_scenario, "greedy", None, None)
    assert cache.load_plan(key) is None
    assert cache.store_plan(key, tiny_greedy) is not None
    back = cache.load_plan(key)
    assert back is not None
    for name in ("years", "it_mw_by_year", "load_mw_by_year", "training_mw_by_year", "unmet_mw"):
        assert np.array_equal(getattr(back, name), getattr(tiny_greedy, name)), name
    pd.testing.assert_frame_equal(back.sites, tiny_greedy.sites)
    pd.testing.assert_frame_equal(back.assignments, tiny_greedy.assignments)
    assert back.method == tiny_greedy.method
    assert back.solver["cache"]["key"] == key
    assert {k: v for k, v in back.solver.items() if k != "cache"}.keys() == tiny_greedy.solver.keys()


def test_key_changes_with_scenario_settings_and_code(tiny_scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    from coredge.scenario.load import build_scenario, deep_merge

    base = cache.plan_key(tiny_scenario, "milp", None, None)
    assert base == cache.plan_key(tiny_scenario, "milp", None, None)
    assert base != cache.plan_key(tiny_scenario, "greedy", None, None)
    assert base != cache.plan_key(tiny_scenario, "milp", 10.0, None)
    assert base != cache.plan_key(tiny_scenario, "milp", None, 0.01)
    other = build_scenario(deep_merge(tiny_scenario.model_dump(mode="json"), {"seed": tiny_scenario.seed + 1}), None)
    assert base != cache.plan_key(other, "milp", None, None)
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "other code")
    assert base != cache.plan_key(tiny_scenario, "milp", None, None)


def test_store_off_and_unreadable_entries(store: Path, tiny_scenario: Scenario, tiny_greedy: Plan,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    key = cache.plan_key(tiny_scenario, "greedy", None, None)
    path = cache.store_plan(key, tiny_greedy)
    assert path is not None
    path.write_text("{not json", encoding="utf-8")
    assert cache.load_plan(key) is None  # damaged: absent, planned again
    monkeypatch.setenv(cache.ENV, "off")
    assert cache.cache_dir() is None
    assert cache.store_plan(key, tiny_greedy) is None and cache.load_plan(key) is None


def test_execute_reuses_a_stored_plan_and_says_so(store: Path, tiny_scenario: Scenario) -> None:
    from coredge.pipeline import PLAN_AND_FINANCE, execute

    said: list[str] = []
    first = execute(tiny_scenario, compute=PLAN_AND_FINANCE, planner="greedy", reuse_plan=True)
    assert first.summary["plan_source"]["reused"] is False
    again = execute(tiny_scenario, progress=said.append, compute=PLAN_AND_FINANCE, planner="greedy",
                    reuse_plan=True)
    assert again.summary["plan_source"]["reused"] is True
    assert any("reused from the plan store" in m for m in said)
    assert again.finance is not None and first.finance is not None
    assert again.finance.portfolio["npv_usd"] == first.finance.portfolio["npv_usd"]
    assert again.summary["capex_usd"] == first.summary["capex_usd"]
    # without reuse the plan is made again (and stored again)
    fresh = execute(tiny_scenario, compute=PLAN_AND_FINANCE, planner="greedy")
    assert fresh.summary["plan_source"]["reused"] is False
