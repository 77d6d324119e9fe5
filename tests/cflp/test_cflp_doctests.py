"""The docstring examples of the CFLP engine modules run and are right."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "coredge.cflp.instance",
    "coredge.cflp.readers",
    "coredge.cflp.model",
    "coredge.cflp.lagrangian",
    "coredge.cflp.heuristics",
    "coredge.cflp.solve",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
