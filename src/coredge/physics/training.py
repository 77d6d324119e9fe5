"""Training estimator: FLOPs, GPU-hours, wall days, energy and emissions of a training run.

Model
-----
* ``FLOPs = 6 N D`` (N parameters, D tokens; Kaplan et al. 2020), plus, when the shape is given,
  attention ``6 * layers * seq_len * hidden * D`` (Kaplan's ``2 n_layer n_ctx d_attn`` per token
  forward, times 3 for forward + backward). For Llama 3.1 405B at 8k context the attention term
  adds ~4%.
* ``GPU-hours = FLOPs / (peak x MFU x goodput) / 3600`` with peak the dense BF16 (or FP8) tensor
  peak, MFU the step-level model-FLOPs utilisation and goodput the share of wall time spent on
  useful steps (restarts, checkpoint stalls and failed steps excluded).
* ``days = GPU-hours / GPUs / 24``.
* ``energy = GPU-hours x average system power per GPU at training load x PUE``, and
  ``CO2 = energy x grid intensity`` (location-based): the method of Patterson et al. 2021.

Two powers per accelerator
--------------------------
* **Nameplate** (`nameplate_w`): TDP + the host's share of the server's maximum input rating
  (``tdp_w + server_overhead_w`` of `coredge.catalog.accelerators`, e.g. DGX H100 10.2 kW / 8 =
  1,275 W). It sizes facilities and grid connections (``Inputs.it_kw_per_gpu``) and is unchanged.
* **Average draw at training load** (`training_power_w`): what a GPU and its host share draw on
  average while training, from published measurements (``data/training_power.csv``, ``split =
  fit``): V100 336 W (mean of GPT-3's 330 W and XLM's 342 W, Patterson et al. 2021 Table 4),
  H100 969 W (76% of the 10.2 kW node rating under compute-intensive training, Newkirk et al.
  2025). Accelerators without a measurement get `draw_fraction()` x their nameplate, the mean
  measured draw/nameplate ratio of the measured ones (0.768 V100, 0.760 H100 -> 0.764); each
  predicts the other within 1.1% (the held-out check). Meta's model cards instead multiply
  GPU-hours by the TDP with no host and no PUE; that is a convention, not a measurement.

Default MFU (`default_mfu`)
---------------------------
Per accelerator generation, the median over the *fit* runs of ``data/training_runs.csv`` (one
value per run; a whole-run utilisation or one implied by published GPU-hours is divided by
`DEFAULT_GOODPUT` to make it step-level): V100 0.219 (GPT-3), A100 0.485 (OPT-175B 0.471, BLOOM
0.500), H100 0.344 (Llama 3 405B 0.404, the median of its three published configurations;
Llama 3.1 70B 0.283 implied by its card's 7.0M GPU-hours). Accelerators without a published run
(H200, B200, GB200, ...) take the H100 value (assumption: same software generation; their
FLOP-per-byte balance, 281-312, is close to H100's 295). A model-size term (non-matmul memory
traffic per FLOP falling as ``1 / hidden``) was tried and made the held-out runs worse (Llama 2
7B/13B on A100 show no size effect, H100 runs a strong one), so the default depends on the
accelerator only; docs/training.md gives the errors.

Default goodput 0.90 (assumption: Meta reports >90% effective training time for Llama 3 with
heavy automation; OPT-175B needed 100+ restarts).

Validation: `coredge.validation.training` (docs/training.md). Published figures we do **not**
fit: the Llama 3.1 8B card (1.46M GPU-h) implies a whole-run utilisation of only ~14% (6 x
8.03e9 x 15e12 FLOPs over 1.46M H100-hours at 989 TFLOPS), less than half of what the same team
reports for 405B; the figure likely includes other work, and the estimator under-predicts it by
about 2x.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from coredge.catalog.accelerators import Accelerator, get_accelerator
from coredge.errors import InputError

DEFAULT_GOODPUT: float = 0.90
"""Default share of wall time on useful steps [fraction] (assumption)."""

MFU_FALLBACK_GPU: str = "h100"
"""Accelerator whose fitted MFU an accelerator without a published run takes (assumption)."""


def nameplate_w(gpu: Accelerator | str) -> float:
    """Nameplate power per accelerator: TDP + host share of the server's max input [W].

    Sizes facilities and grid connections (the planner's ``it_kw_per_gpu``), never energy.

    Examples
    --------
    >>> nameplate_w("h100")
    1275.0
    """
    g = get_accelerator(gpu, "--gpu") if isinstance(gpu, str) else gpu
    return float(g.tdp_w + g.server_overhead_w)


@lru_cache(maxsize=1)
def _measured_power() -> dict[str, float]:
    """Mean measured average system power at training load per accelerator id, fit rows [W]."""
    from coredge.data import load_training_power

    df = load_training_power()
    fit = df[df["split"] == "fit"]
    return {str(k): float(v) for k, v in fit.groupby("accelerator")["avg_system_power_w"].mean().items()}


def draw_fraction() -> float:
    """Mean measured draw / nameplate over the accelerators with measurements [fraction].

    Examples
    --------
    >>> round(draw_fraction(), 3)
    0.764
    """
    m = _measured_power()
    return float(np.mean([w / nameplate_w(g) for g, w in sorted(m.items())]))


def training_power_w(gpu: Accelerator | str) -> tuple[float, str]:
    """Average system power per accelerator at training load, before PUE [W], and its source.

    Measured where ``data/training_power.csv`` has fit rows for the accelerator; otherwise
    `draw_fraction` x `nameplate_w` (derived, labelled so).

    Examples
    --------
    >>> training_power_w("v100")
    (336.0, 'measured: mean of 2 published training measurements (data/training_power.csv)')
    >>> w, src = training_power_w("b200"); round(w), src.split(":")[0]
    (1203, 'derived')
    """
    g = get_accelerator(gpu, "--gpu") if isinstance(gpu, str) else gpu
    from coredge.data import load_training_power

    m = _measured_power()
    if g.id in m:
        df = load_training_power()
        n = int(((df["split"] == "fit") & (df["accelerator"] == g.id)).sum())
        what = "published training measurement" + ("s" if n > 1 else "")
        lead = f"mean of {n} {what}" if n > 1 else f"1 {what}"
        return m[g.id], f"measured: {lead} (data/training_power.csv)"
    f = draw_fraction()
    return (
        f * nameplate_w(g),
        f"derived: {f:.3f} x nameplate {nameplate_w(g):,.0f} W (mean measured draw/nameplate "
        f"of {', '.join(sorted(m))})",
    )


def energy_draw_fraction(gpu: Accelerator | str, it_kw_per_gpu: float | None = None) -> float:
    """Average draw at training load over the nameplate the planner sizes with [fraction].

    ``training_power_w / (1000 x it_kw_per_gpu)`` (``it_kw_per_gpu`` defaults to the catalog
    nameplate), capped at 1: multiply busy nameplate MW by it to get average MW drawn.

    Examples
    --------
    >>> round(energy_draw_fraction("h100"), 3)
    0.76
    """
    w, _ = training_power_w(gpu)
    kw = nameplate_w(gpu) / 1000.0 if it_kw_per_gpu is None else float(it_kw_per_gpu)
    if not kw > 0:
        raise InputError.of("it_kw_per_gpu", it_kw_per_gpu, "a positive IT power per GPU [kW]")
    return min(1.0, w / (1000.0 * kw))


def _step_mfu(row: Mapping[Any, Any]) -> float:
    """Step-level MFU a fit row stands for (whole-run and GPU-hour figures / goodput)."""
    kind = str(row["mfu_kind"])
    mfu = float(row["mfu"])
    if kind == "step":
        return mfu
    if kind == "whole_run":
        return mfu / DEFAULT_GOODPUT
    raise ValueError(f"no MFU in row {row['run']}")


def run_flops(row: Mapping[Any, Any]) -> float:
    """Training FLOPs of a `load_training_runs` row: its ``flops`` or ``6 N D`` [FLOP]."""
    f = row.get("flops")
    if f is not None and not (isinstance(f, float) and math.isnan(f)):
        return float(f)
    return training_flops(float(row["params"]), float(row["tokens"]))


@lru_cache(maxsize=1)
def fitted_mfu() -> dict[str, float]:
    """Default step-level MFU per accelerator id from the fit runs [fraction].

    One value per run group (median of its configurations), then the median over runs.

    Examples
    --------
    >>> {k: round(v, 3) for k, v in sorted(fitted_mfu().items())}
    {'a100': 0.485, 'h100': 0.344, 'v100': 0.219}
    """
    from coredge.data import load_training_runs

    df = load_training_runs()
    per_run: dict[str, dict[str, list[float]]] = {}
    for row in df.to_dict(orient="records"):
        use = str(row["fit_use"])
        if use == "mfu":
            v = _step_mfu(row)
        elif use == "hours":
            g = get_accelerator(str(row["accelerator"]))
            v = implied_utilisation(run_flops(row), float(row["gpu_hours"]), g.bf16_tflops) / DEFAULT_GOODPUT
        else:
            continue
        per_run.setdefault(str(row["accelerator"]), {}).setdefault(str(row["group"]), []).append(v)
    return {
        gpu: float(np.median([np.median(v) for v in runs.values()])) for gpu, runs in per_run.items()
    }


def default_mfu(gpu: Accelerator | str) -> tuple[float, str]:
    """Default step-level MFU for an accelerator [fraction] and where it comes from.

    Examples
    --------
    >>> m, src = default_mfu("gb200"); round(m, 3), src.split(":")[0]
    (0.344, 'assumption')
    """
    g = get_accelerator(gpu, "--gpu") if isinstance(gpu, str) else gpu
    fit = fitted_mfu()
    if g.id in fit:
        return fit[g.id], f"fitted on published {g.id} runs (data/training_runs.csv)"
    return fit[MFU_FALLBACK_GPU], (
        f"assumption: no published {g.id} run; the {MFU_FALLBACK_GPU} value (same software generation)"
    )


@dataclass(frozen=True)
class TrainingEstimate:
    """Result of `estimate`.

    Attributes
    ----------
    flops : float
        Training compute [FLOP].
    gpu_hours : float
        Accelerator-hours of wall time [h].
    days : float or None
        Wall-clock days on ``gpus`` accelerators (None when no GPU count was given) [days].
    energy_mwh : float
        Facility energy incl. host overhead and PUE [MWh].
    co2_t : float or None
        Location-based emissions (None without a grid intensity) [t CO2].
    mfu, goodput, pue : float
        Inputs used [fraction, fraction, ratio].
    peak_tflops : float
        Dense peak used [TFLOP/s].
    avg_power_w_per_gpu : float
        Average system power per GPU at training load (board + host share), before PUE [W].
    gpus : int or None
        GPU count used for ``days``.
    nameplate_w_per_gpu : float
        TDP + host share at the server's max input: what facilities are sized for [W].
    power_source : str
        Where `avg_power_w_per_gpu` comes from (measured, derived, or ``--power-w``).
    mfu_source : str
        Where `mfu` comes from (fitted, assumption, or given).
    """

    flops: float
    gpu_hours: float
    days: float | None
    energy_mwh: float
    co2_t: float | None
    mfu: float
    goodput: float
    pue: float
    peak_tflops: float
    avg_power_w_per_gpu: float
    gpus: int | None
    nameplate_w_per_gpu: float = float("nan")
    power_source: str = ""
    mfu_source: str = ""


def training_flops(
    params: float,
    tokens: float,
    layers: int | None = None,
    hidden: int | None = None,
    seq_len: int | None = None,
) -> float:
    """Training compute ``6 N D`` (+ attention when the shape is given) [FLOP].

    Parameters
    ----------
    params : float
        Parameters N (active parameters for MoE) [count].
    tokens : float
        Training tokens D [count].
    layers, hidden, seq_len : int, optional
        Shape for the attention term ``6 * layers * seq_len * hidden * D``.

    Examples
    --------
    >>> f"{training_flops(175e9, 300e9):.3g}"
    '3.15e+23'
    """
    flops = 6.0 * params * tokens
    if layers is not None and hidden is not None and seq_len is not None:
        flops += 6.0 * layers * seq_len * hidden * tokens
    return flops


def gpu_hours(flops: float, peak_tflops: float, mfu: float, goodput: float) -> float:
    """GPU-hours for a FLOP budget at an MFU and goodput [h].

    Examples
    --------
    >>> round(gpu_hours(3.15e23, 125.0, 0.197, 1.0) / 1e6, 2)
    3.55
    """
    return flops / (peak_tflops * 1e12 * mfu * goodput) / 3600.0


def implied_utilisation(flops: float, gpu_hours_: float, peak_tflops: float) -> float:
    """Whole-run utilisation (MFU x goodput) implied by a published GPU-hour figure [fraction].

    Examples
    --------
    >>> round(implied_utilisation(6 * 8.03e9 * 15e12, 1.46e6, 989.0), 3)
    0.139
    """
    return flops / (gpu_hours_ * 3600.0 * peak_tflops * 1e12)


def _frac(name: str, x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    if not (lo < x <= hi):
        raise InputError.of(name, x, f"a number in ({lo}, {hi}]")
    return x


def estimate(
    params: float,
    tokens: float,
    gpu: Accelerator | str = "h100",
    gpus: int | None = None,
    mfu: float | None = None,
    goodput: float | None = None,
    pue: float = 1.1,
    grid_gco2_per_kwh: float | None = None,
    *,
    dtype: str = "bf16",
    avg_power_w_per_gpu: float | None = None,
    layers: int | None = None,
    hidden: int | None = None,
    seq_len: int | None = None,
) -> TrainingEstimate:
    """Estimate a training run's compute, time, energy and emissions.

    Parameters
    ----------
    params : float
        Parameters N [count] (active parameters for MoE).
    tokens : float
        Training tokens D [count].
    gpu : Accelerator or str
        Accelerator or id.
    gpus : int, optional
        Accelerators used, for wall days.
    mfu : float, optional
        Step-level model-FLOPs utilisation [fraction]; default `default_mfu` for the GPU.
    goodput : float, optional
        Share of wall time on useful steps [fraction]; default `DEFAULT_GOODPUT`.
    pue : float
        Facility PUE [ratio >= 1].
    grid_gco2_per_kwh : float, optional
        Grid intensity [g CO2/kWh]; no emissions without it.
    dtype : str
        ``bf16`` (default) or ``fp8`` training: selects the peak.
    avg_power_w_per_gpu : float, optional
        Average system power per GPU at training load incl. host share, before PUE [W];
        default `training_power_w` (measured, or derived from the nameplate).
    layers, hidden, seq_len : int, optional
        Shape for the attention FLOPs term.

    Returns
    -------
    TrainingEstimate

    Examples
    --------
    >>> e = estimate(405e9, 15.6e12, "h100", gpus=16384, mfu=0.40)
    >>> round(e.gpu_hours / 1e6, 1), round(e.days)
    (29.6, 75)
    """
    g = get_accelerator(gpu, "--gpu") if isinstance(gpu, str) else gpu
    if not params > 0:
        raise InputError.of("--params", params, "a positive parameter count (e.g. 405e9)")
    if not tokens > 0:
        raise InputError.of("--tokens", tokens, "a positive token count (e.g. 15.6e12)")
    if gpus is not None and gpus < 1:
        raise InputError.of("--gpus", gpus, "a positive number of GPUs")
    if not pue >= 1.0:
        raise InputError.of("--pue", pue, "a PUE >= 1.0")
    if grid_gco2_per_kwh is not None and grid_gco2_per_kwh < 0:
        raise InputError.of("--grid-gco2-per-kwh", grid_gco2_per_kwh, "a non-negative intensity")
    if mfu is None:
        mfu, mfu_src = default_mfu(g)
    else:
        mfu_src = "given"
    mfu_ = _frac("--mfu", mfu)
    good = _frac("--goodput", goodput if goodput is not None else DEFAULT_GOODPUT)
    peak = g.peak_tflops(dtype)
    flops = training_flops(params, tokens, layers, hidden, seq_len)
    hours = gpu_hours(flops, peak, mfu_, good)
    if avg_power_w_per_gpu is None:
        avg_power_w_per_gpu, power_src = training_power_w(g)
    elif not (avg_power_w_per_gpu > 0 and math.isfinite(avg_power_w_per_gpu)):
        raise InputError.of("--power-w", avg_power_w_per_gpu, "a positive power per GPU in W")
    else:
        power_src = "given (--power-w)"
    energy_mwh = hours * avg_power_w_per_gpu / 1e6 * pue
    co2 = None if grid_gco2_per_kwh is None else energy_mwh * grid_gco2_per_kwh / 1000.0
    return TrainingEstimate(
        flops=flops,
        gpu_hours=hours,
        days=None if gpus is None else hours / gpus / 24.0,
        energy_mwh=energy_mwh,
        co2_t=co2,
        mfu=mfu_,
        goodput=good,
        pue=pue,
        peak_tflops=peak,
        avg_power_w_per_gpu=avg_power_w_per_gpu,
        gpus=gpus,
        nameplate_w_per_gpu=nameplate_w(g),
        power_source=power_src,
        mfu_source=mfu_src,
    )
