"""The docstring examples of the CFLP engine modules run and are right."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "coredge.plan.instance",
    "coredge.plan.readers",
    "coredge.plan.model",
    "coredge.plan.lagrangian",
    "coredge.plan.heuristics",
    "coredge.plan.solve",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
