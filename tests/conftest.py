"""Root conftest: loading it puts ``tests/`` on ``sys.path`` (pytest's prepend import mode), so
every test folder can import the shared helpers in `coredge_testing`.

It also holds the session-scoped plans of the tiny scenario (`coredge_testing.TINY_BASE`): each is
computed once per test session and shared by every module that reads it. Tests must not mutate
what these fixtures return (plans and inputs hold numpy arrays and DataFrames); a test that needs
a changed copy builds its own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from coredge_testing import TINY_BASE, tiny_path

if TYPE_CHECKING:
    from coredge.inputs.build import Inputs
    from coredge.plan.result import Plan
    from coredge.results import RunResult
    from coredge.scenario.schema import Scenario

# the plan store (coredge.plan.cache) stays off in tests (and their subprocesses): every test
# plans what it reads; tests of the store turn it on in a temporary folder
os.environ["COREDGE_PLAN_CACHE"] = "off"

TINY_MILP_TIME_LIMIT_S = 30.0
"""HiGHS limit of the shared MILP plan [s] (what the planner tests used per module)."""
TINY_MILP_GAP = 1e-4
"""Relative gap requested of the shared MILP plan [fraction]."""


@pytest.fixture()
def tiny_yaml(tmp_path: Path) -> Path:
    """The tiny scenario (`coredge_testing.TINY`) written to a fresh file."""
    return tiny_path(tmp_path)


@pytest.fixture(scope="session")
def tiny_scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The tiny scenario's base (`TINY_BASE`), loaded and validated."""
    from coredge.scenario.load import load_scenario

    p = tmp_path_factory.mktemp("tiny-session") / "tiny.yaml"
    p.write_text(TINY_BASE, encoding="utf-8")
    return load_scenario(p)


@pytest.fixture(scope="session")
def tiny_inputs(tiny_scenario: Scenario) -> Inputs:
    """Stage 1 of the tiny scenario (demand points, candidates, capacity)."""
    from coredge.inputs.build import build_inputs

    return build_inputs(tiny_scenario)


@pytest.fixture(scope="session")
def tiny_greedy(tiny_inputs: Inputs) -> Plan:
    """The greedy plan of the tiny scenario."""
    from coredge.plan.greedy import greedy_plan

    return greedy_plan(tiny_inputs)


@pytest.fixture(scope="session")
def tiny_milp(tiny_inputs: Inputs) -> Plan:
    """The MILP plan of the tiny scenario at `TINY_MILP_GAP` under `TINY_MILP_TIME_LIMIT_S`.

    The limit may stop HiGHS before the gap is reached: tests may assert what every feasible
    plan satisfies and what the solver certifies (objective = costing, bound <= objective), not
    the optimum.
    """
    from coredge.plan.milp import milp_plan

    return milp_plan(tiny_inputs, time_limit_s=TINY_MILP_TIME_LIMIT_S, mip_rel_gap=TINY_MILP_GAP)


@pytest.fixture(scope="session")
def tiny_result(tiny_scenario: Scenario) -> RunResult:
    """`coredge.pipeline.execute` on the tiny scenario with its default planner."""
    from coredge.pipeline import execute

    return execute(tiny_scenario)
