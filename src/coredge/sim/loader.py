"""Load what ``coredge simulate`` is given as a spec: a network-spec JSON file.

Run directories are read by `coredge.store.read_run` and turned into a spec by
`coredge.sim.from_plan.plan_sim`; the CLI chooses between the two.
"""

from __future__ import annotations

from pathlib import Path

from coredge.errors import InputError
from coredge.sim.spec import NetworkSpec, load_spec


def load_spec_or_plan(path: str | Path) -> NetworkSpec:
    """A validated spec from a JSON file.

    Parameters
    ----------
    path : str or Path
        Spec JSON file.

    Raises
    ------
    InputError
        Missing path, a directory (a run directory goes through `coredge.store.read_run`),
        invalid JSON or spec.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError.of(
            "PLAN_DIR_OR_SPEC", str(path),
            "a network spec JSON file here; a run directory (with plan.json) is read by "
            "coredge.store.read_run (`coredge simulate RUN_DIR`)",
        )
    if not p.exists():
        raise InputError.of("PLAN_DIR_OR_SPEC", str(path), "an existing spec JSON file or plan directory")
    return load_spec(p)
