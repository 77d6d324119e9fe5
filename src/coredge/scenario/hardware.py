"""Checks of per-tier hardware (``hardware.tiers``) that need the catalogues: every class a tier
serves must run on the tier's accelerator (its dtype there, its weights within 8 GPUs).

One home for these checks: `coredge.scenario.load.semantic_problems` reports them when a scenario
is loaded or validated, and `coredge.inputs.capacity.tier_capacity` relies on them.
"""

from __future__ import annotations

from coredge.errors import InputError, Problem
from coredge.scenario.schema import TIER_IDS, Scenario


def tier_hardware_problems(sc: Scenario) -> list[Problem]:
    """Problems naming ``hardware.tiers.<tier>.gpu`` for each tier on its own accelerator.

    A class the tier serves (``tiers.<tier>.serves``) whose dtype the GPU lacks (FP8 on an A100)
    or whose weights in that dtype fit no tensor-parallel degree of one 8-GPU server
    (`coredge.physics.serving.min_tp`). Unknown GPU or model ids are reported elsewhere and
    skipped here.
    """
    from coredge.catalog.accelerators import ACCELERATORS
    from coredge.catalog.llm_models import MODELS
    from coredge.physics.serving import min_tp

    out: list[Problem] = []
    base = sc.hardware.base
    for tid in TIER_IDS:
        acc = sc.hardware.for_tier(tid)
        spec = sc.tiers.get(tid)
        if acc.gpu == base.gpu or acc.gpu not in ACCELERATORS or spec is None:
            continue  # the reference accelerator is checked through the workload classes
        g = ACCELERATORS[acc.gpu]
        field = f"hardware.tiers.{tid}.gpu"
        for wid, w in sc.active_workloads.items():
            if not spec.serves_class(wid, w.rtt_budget_ms is not None) or w.model not in MODELS:
                continue
            if w.dtype not in g.dtypes():
                out.append(Problem(
                    field, acc.gpu,
                    f"a GPU that runs {w.dtype} for class {wid} ({g.id} runs {', '.join(g.dtypes())}), "
                    f"another workloads.{wid}.dtype, or tiers.{tid}.serves without {wid}",
                ))  # fmt: skip
                continue
            try:
                min_tp(w.model, g, 1.0, w.dtype)
            except InputError:
                out.append(Problem(
                    field, acc.gpu,
                    f"a GPU whose memory holds {w.model} in {w.dtype} (class {wid}) at a TP degree of "
                    f"at most 8 (8 x {g.id} hold {8 * g.hbm_gb:.0f} GB), a smaller workloads.{wid}.dtype, "
                    f"or tiers.{tid}.serves without {wid}",
                ))  # fmt: skip
    return out
