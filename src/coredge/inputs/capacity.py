"""Serving capacity: the operating point each workload class is sized with, on the reference
accelerator (``hardware``) and on each tier's own (``hardware.tiers``).

`coredge.inputs.build` turns these into loads [MW] and the per-tier factors the planner sizes
each tier's sites with (docs/serving.md, "Hardware per tier").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from coredge.errors import InputError, Problem
from coredge.scenario.schema import TIER_IDS, Scenario


@dataclass(frozen=True)
class ClassCapacity:
    """What one GPU delivers for one workload class: the serving operating point the planner
    sizes GPUs with (`best_capacity_point`), kept whole so later stages (the simulator's pools
    and power model) use exactly that point instead of searching again.

    Attributes
    ----------
    output_tokens_per_s_per_gpu : float
        Sustainable output tokens per second per GPU meeting the class's TPOT target [tokens/s].
    gpus_per_request_per_s : float
        GPUs needed per request per second of peak load [GPU s/request].
    tp : int
        Tensor-parallel GPUs per replica at the operating point [GPUs].
    batch : int
        Sequences per replica (continuous-batching slots) [-].
    tpot_ms : float
        Effective time per output token: decode step plus the batch's prefill spread over the
        output tokens [ms] (`coredge.physics.serving.CapacityPoint.tpot_ms`).
    ttft_ms : float
        Prefill of one prompt at ``tp`` (time to first token in an idle slot) [ms].
    decode_step_ms : float
        One decode iteration at ``batch`` [ms].
    power_w_per_gpu : float
        Time-averaged board power per GPU at the operating point [W].
    joules_per_token : float
        Board energy per output token, prefill included [J/token].
    """

    output_tokens_per_s_per_gpu: float
    gpus_per_request_per_s: float
    tp: int
    batch: int
    tpot_ms: float
    ttft_ms: float
    decode_step_ms: float
    power_w_per_gpu: float
    joules_per_token: float


@dataclass(frozen=True)
class TierCapacity:
    """The accelerator one tier is sized with (``hardware.tiers.<tier>``, else ``hardware``) and
    what one of its GPUs delivers for each class the tier serves.

    Attributes
    ----------
    tier : str
        Tier id.
    gpu, engine : str
        Accelerator and serving engine ids.
    it_kw_per_gpu : float
        IT power per GPU incl. server overhead, at nameplate [kW].
    gpu_capex_usd : float
        All-in IT capex per GPU [USD].
    capacity : dict of str to ClassCapacity
        Serving operating point per class the tier serves (`best_capacity_point` on this GPU).
    mw_per_mw : dict of str to float
        IT MW this tier installs per MW of the class's load as `Inputs.load_mw` counts it (with
        the reference accelerator, ``hardware``): ``(GPUs per request/s x kW per GPU) here /
        (the same) for the reference`` [ratio]; exactly 1.0 where the tier uses the reference
        accelerator, and for classes the tier does not serve.
    """

    tier: str
    gpu: str
    engine: str
    it_kw_per_gpu: float
    gpu_capex_usd: float
    capacity: dict[str, ClassCapacity]
    mw_per_mw: dict[str, float]


TP_DEGREES: tuple[int, ...] = (1, 2, 4, 8)
"""Tensor-parallel degrees considered within one 8-GPU server (NVLink domain of HGX/DGX systems)."""


def best_capacity_point(
    model: str, gpu: str, tokens_in: int, tokens_out: int, tpot_ms: float, ttft_ms: float, dtype: str,
    engine: str = "trtllm",
) -> Any:
    """The operating point with the most output tokens/s per GPU over the TP degrees that hold the
    model (a `coredge.physics.serving.CapacityPoint`), or None when none meets the targets.

    A larger TP leaves more memory for KV cache (bigger batches) but spends more GPUs per replica;
    the planner takes whichever serves the most tokens per GPU within the latency targets.
    """
    from coredge.physics.serving import capacity_point

    best: Any = None
    for tp in TP_DEGREES:
        try:
            c = capacity_point(model, gpu, tokens_in, tokens_out, tpot_ms, ttft_ms, dtype, None, tp, engine)
        except InputError:
            continue  # the weights do not fit at this TP
        if c.tokens_per_s_per_gpu > 0 and (best is None or c.tokens_per_s_per_gpu > best.tokens_per_s_per_gpu):
            best = c
    return best


def best_capacity(
    model: str, gpu: str, tokens_in: int, tokens_out: int, tpot_ms: float, ttft_ms: float, dtype: str
) -> float:
    """Highest sustainable output tokens/s per GPU over the TP degrees (see `best_capacity_point`)
    [tokens/s]; 0 when the targets cannot be met."""
    c = best_capacity_point(model, gpu, tokens_in, tokens_out, tpot_ms, ttft_ms, dtype)
    return 0.0 if c is None else float(c.tokens_per_s_per_gpu)


def class_capacity(sc: Scenario) -> dict[str, ClassCapacity]:
    """GPU capacity per workload class from the serving profile of the scenario's (reference)
    accelerator, ``hardware``: the whole operating point of `best_capacity_point` (TP, batch,
    TPOT, TTFT, tokens/s, power).

    Raises
    ------
    InputError
        A class whose model, accelerator and dtype meet its targets at no TP degree.
    """
    out: dict[str, ClassCapacity] = {}
    problems: list[Problem] = []
    for wid, w in sc.active_workloads.items():
        point = _class_point(w, sc.hardware.gpu, sc.hardware.engine)
        if point is None:
            problems.append(Problem(
                f"workloads.{wid}",
                {"model": w.model, "dtype": w.dtype, "gpu": sc.hardware.gpu,
                 "tpot_target_ms": w.tpot_target_ms, "ttft_target_ms": w.ttft_target_ms},
                "a model/accelerator/dtype that fits one 8-GPU server and meets the class's "
                "TTFT and TPOT targets",
            ))
            continue
        out[wid] = _as_class_capacity(point, w.tokens_out)
    if problems:
        raise InputError(problems, "classes no accelerator operating point can serve")
    return out


def _class_point(w: Any, gpu: str, engine: str) -> Any:
    """`best_capacity_point` of one workload class on one accelerator; None when it cannot serve."""
    point = best_capacity_point(
        w.model,
        gpu,
        w.tokens_in,
        w.tokens_out,
        w.tpot_target_ms if w.tpot_target_ms is not None else math.inf,
        w.ttft_target_ms if w.ttft_target_ms is not None else math.inf,
        w.dtype,
        engine,
    )
    if point is None or not float(point.tokens_per_s_per_gpu) > 0:
        return None
    return point


def _as_class_capacity(point: Any, tokens_out: int) -> ClassCapacity:
    tok_s = float(point.tokens_per_s_per_gpu)
    return ClassCapacity(
        output_tokens_per_s_per_gpu=tok_s,
        gpus_per_request_per_s=tokens_out / tok_s,
        tp=int(point.tp),
        batch=int(point.batch),
        tpot_ms=float(point.tpot_ms),
        ttft_ms=float(point.ttft_ms),
        decode_step_ms=float(point.decode_step_ms),
        power_w_per_gpu=float(point.power_w_per_gpu),
        joules_per_token=float(point.joules_per_token),
    )


def tier_capacity(
    sc: Scenario, reference: dict[str, ClassCapacity], ref_kw_per_gpu: float, ref_capex_usd: float
) -> dict[str, TierCapacity]:
    """Each tier's accelerator (`coredge.scenario.schema.HardwareSpec.for_tier`), its price and
    power, and the serving operating point of every class the tier serves on it (the same
    search as `class_capacity`). A tier on the reference accelerator reuses `reference` with
    factors of exactly 1.0, so a scenario without per-tier hardware plans as before.

    Raises
    ------
    InputError
        Naming ``hardware.tiers.<tier>.gpu`` when a class the tier serves needs a dtype the GPU
        lacks or does not fit its memory at any TP degree (1-8)
        (`coredge.scenario.hardware.tier_hardware_problems`, also checked when the scenario is
        loaded), or misses its targets on it.
    """
    from coredge.scenario.hardware import tier_hardware_problems

    problems = tier_hardware_problems(sc)
    if problems:
        raise InputError(problems)
    base = sc.hardware.base
    out: dict[str, TierCapacity] = {}
    for tid in TIER_IDS:
        acc = sc.hardware.for_tier(tid)
        if acc == base:
            out[tid] = TierCapacity(tid, base.gpu, base.engine, ref_kw_per_gpu, ref_capex_usd, reference,
                                    {k: 1.0 for k in reference})
            continue
        field_name = f"hardware.tiers.{tid}.gpu"
        kw, capex = _gpu_figures(acc, field_name)
        spec = sc.tiers.get(tid)
        cap: dict[str, ClassCapacity] = {}
        factor: dict[str, float] = {}
        for wid, w in sc.active_workloads.items():
            factor[wid] = 1.0
            if spec is None or not spec.serves_class(wid, w.rtt_budget_ms is not None):
                continue
            what = f"{acc.gpu} for class {wid} ({w.model} in {w.dtype}) at the {tid} tier"
            point = _class_point(w, acc.gpu, acc.engine)
            if point is None:
                raise InputError.of(
                    field_name, acc.gpu,
                    f"a GPU on which {what} meets the class's TTFT and TPOT targets "
                    f"({w.ttft_target_ms} ms, {w.tpot_target_ms} ms), or tiers.{tid}.serves without {wid}",
                )
            c = _as_class_capacity(point, w.tokens_out)
            cap[wid] = c
            ref = reference[wid]
            factor[wid] = (c.gpus_per_request_per_s * kw) / (ref.gpus_per_request_per_s * ref_kw_per_gpu)
        out[tid] = TierCapacity(tid, acc.gpu, acc.engine, kw, capex, cap, factor)
    return out


def _gpu_figures(acc: Any, field_name: str) -> tuple[float, float]:
    """IT kW per GPU and capex per GPU of a resolved accelerator (its overrides, else the catalog)."""
    from coredge.catalog.accelerators import get_accelerator

    g = get_accelerator(acc.gpu, field=field_name)
    kw = acc.it_kw_per_gpu or (g.tdp_w + g.server_overhead_w) / 1000.0
    capex = acc.gpu_capex_usd or g.system_price_usd_per_gpu
    return float(kw), float(capex)
