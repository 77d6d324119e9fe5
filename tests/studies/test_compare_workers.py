"""`compare_strategies` in worker processes gives the rows it gives planning in turn."""

from __future__ import annotations

import math

from coredge.scenario.load import build_scenario, deep_merge
from coredge.scenario.schema import Scenario
from coredge.studies.compare import compare_strategies, comparison_table


def test_workers_give_the_same_rows_as_planning_in_turn(tiny_scenario: Scenario) -> None:
    sc = build_scenario(deep_merge(tiny_scenario.model_dump(mode="json"), {"planning": {"planner": "greedy"}}), None)
    serial = comparison_table(compare_strategies(sc, workers=1))["strategies"]
    said: list[str] = []
    parallel = comparison_table(compare_strategies(sc, workers=2, progress=said.append))["strategies"]
    assert list(parallel) == list(serial) == ["all-core", "edge-heavy", "blended"]
    assert any("in 2 processes" in m for m in said)
    for name, row in serial.items():
        for key, v in row.items():
            w = parallel[name][key]
            if isinstance(v, float) and math.isnan(v):
                assert isinstance(w, float) and math.isnan(w), (name, key)
            else:
                assert w == v, (name, key)
        assert row["plan_reused"] is False
