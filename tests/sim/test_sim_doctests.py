"""The usage examples in the simulator's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["coredge.sim.hist", "coredge.sim.spec", "coredge.sim.traffic", "coredge.sim.engine",
           "coredge.sim.batching", "coredge.sim.models", "coredge.sim.faults", "coredge.training.jobs",
           "coredge.sim.bursts", "coredge.sim.energy", "coredge.sim.from_plan"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
