"""Load what ``coredge simulate`` is given: a spec JSON file or a plan/run directory.

A directory is handed to ``coredge.sim.from_plan.spec_from_run_dir(path)`` (plan -> network
spec of the final plan year's busy hour).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from coredge.errors import InputError
from coredge.sim.spec import NetworkSpec, load_spec, validate_spec


def load_spec_or_plan(path: str | Path) -> NetworkSpec:
    """A validated spec from a JSON file or (when supported) a run directory.

    Parameters
    ----------
    path : str or Path
        Spec JSON file, or a run/plan directory.

    Raises
    ------
    InputError
        Missing path, invalid JSON or spec, or a directory while plan loading is unavailable.
    """
    p = Path(path)
    if p.is_dir():
        try:
            mod = importlib.import_module("coredge.sim.from_plan")
        except ModuleNotFoundError as exc:
            if exc.name != "coredge.sim.from_plan":
                raise
            raise InputError.of(
                "PLAN_DIR_OR_SPEC", str(path),
                "a network spec JSON file (simulating a plan directory is not yet supported)",
            ) from None
        spec = mod.spec_from_run_dir(p)
        if not isinstance(spec, NetworkSpec):
            raise TypeError("spec_from_run_dir must return a NetworkSpec")
        return validate_spec(spec)
    if not p.exists():
        raise InputError.of("PLAN_DIR_OR_SPEC", str(path), "an existing spec JSON file or plan directory")
    return load_spec(p)
