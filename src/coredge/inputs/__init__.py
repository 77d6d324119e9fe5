"""Stage 1, the inputs: demand points, candidate sites, loads per class and year, the serving
operating point per class, tariffs and hardware, all derived from a validated `Scenario`.

`build_inputs` (in `coredge.inputs.build`) is the stage's one entry point; `coredge.inputs.demand`
turns places or a user CSV into demand points.
"""

from __future__ import annotations

from coredge.inputs.build import Inputs, build_inputs

__all__ = ["Inputs", "build_inputs"]
