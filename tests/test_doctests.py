"""Every module's docstring examples run and give what they show.

The module list is discovered (``pkgutil.walk_packages`` over ``coredge``), so a new module's
examples run without being registered here.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import coredge


def _module_names() -> list[str]:
    """Every importable module of coredge except the ``python -m`` entry points."""
    names = [m.name for m in pkgutil.walk_packages(coredge.__path__, "coredge.")]
    return sorted(n for n in names if not n.endswith("__main__"))


MODULES = _module_names()


def test_discovery_finds_every_stage() -> None:
    stages = {"scenario", "inputs", "cflp", "plan", "finance", "sim", "training", "report",
              "studies", "cli"}
    assert stages <= {n.split(".")[1] for n in MODULES}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS,
                             report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_examples_exist_where_promised() -> None:
    # The modules whose examples were run by the former per-folder lists still have examples.
    for name in ("coredge.cflp.instance", "coredge.cflp.readers", "coredge.cflp.model",
                 "coredge.cflp.lagrangian", "coredge.cflp.heuristics", "coredge.cflp.solve",
                 "coredge.sim.hist", "coredge.sim.spec", "coredge.sim.traffic",
                 "coredge.sim.engine", "coredge.sim.batching", "coredge.sim.models",
                 "coredge.sim.faults", "coredge.training.jobs", "coredge.sim.bursts",
                 "coredge.sim.energy", "coredge.sim.from_plan"):
        tests = doctest.DocTestFinder().find(importlib.import_module(name))
        assert sum(len(t.examples) for t in tests) > 0, name
