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
* ``energy = GPU-hours x average power per GPU (board + host overhead) x PUE``. Default average
  power: the board at full load (the calibrated limit share of TDP; the measured H100
  forward+backward drew 695 W of 700 W) plus the server's host overhead per GPU at full load
  (`coredge.catalog.accelerators`). Meta's model cards instead count TDP only and no PUE;
  Patterson et al. count a measured average system power per chip and a PUE.
* ``CO2 = energy x grid intensity`` (location-based).

Defaults where a run publishes no MFU (assumptions, anchored on facts.md §2a):

============  ======  =========================================================================
accelerator   MFU     anchor
============  ======  =========================================================================
v100          0.20    GPT-3: 24.6 of 125 TFLOPS = 19.7% (Patterson et al. 2021)
a100          0.45    BLOOM 156 TFLOPS = 50% (GENCI 2022); OPT-175B 147 TFLOPS = 47% (2022)
h100, h200    0.35    below Llama 3 405B's 38-43% at 8-16k GPUs (Llama 3 paper 2024): H100 peak
                      grew 3.2x over A100, memory and network less, so typical MFU fell
b200, gb200   0.30    assumption (peak grows faster than memory and network again)
============  ======  =========================================================================

Default goodput 0.90 (assumption: Meta reports >95% effective training time for Llama 3 with
heavy automation; OPT-175B needed 100+ restarts).

Validation (tests/physics/test_physics_training.py; published figures in facts.md §2): Llama 2
7B/13B/70B on A100 (defaults) and Llama 3.1 70B (defaults) and 405B (MFU 0.40, the middle of the
reported 38-43%) land within +-25% of the model cards' GPU-hours; GPT-3 (MFU 0.197, goodput 1
because Patterson's 24.6 TFLOPS is a whole-run average, 330 W measured per chip, PUE 1.1,
0.429 kg/kWh) lands within +-25% of 1,287 MWh and 552 tCO2e.

Published figures we do **not** fit: the Llama 3 8B (1.3M GPU-h) and Llama 3.1 8B (1.46M GPU-h)
cards imply a whole-run utilisation of only ~14-16% (6 x 8.03e9 x 15e12 FLOPs over
1.3-1.46M H100-hours at 989 TFLOPS), less than half of what the same team reports for 405B;
no reasonable MFU explains it (the figure likely includes other work), so the estimator
under-predicts those cards by ~2x on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

from coredge.catalog.accelerators import Accelerator, get_accelerator
from coredge.errors import InputError
from coredge.physics.serving import ServingFit, board_power_w

DEFAULT_MFU: dict[str, float] = {
    "v100": 0.20,
    "a100": 0.45,
    "h100": 0.35,
    "h200": 0.35,
    "b200": 0.30,
    "gb200": 0.30,
}
"""Default MFU by accelerator id [fraction] (see the module docstring for anchors)."""

DEFAULT_GOODPUT: float = 0.90
"""Default share of wall time on useful steps [fraction] (assumption)."""


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
        Average power per GPU incl. host overhead, before PUE [W].
    gpus : int or None
        GPU count used for ``days``.
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
    fit: ServingFit | None = None,
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
        Step-level model-FLOPs utilisation [fraction]; default `DEFAULT_MFU` for the GPU.
    goodput : float, optional
        Share of wall time on useful steps [fraction]; default `DEFAULT_GOODPUT`.
    pue : float
        Facility PUE [ratio >= 1].
    grid_gco2_per_kwh : float, optional
        Grid intensity [g CO2/kWh]; no emissions without it.
    dtype : str
        ``bf16`` (default) or ``fp8`` training: selects the peak.
    avg_power_w_per_gpu : float, optional
        Average power per GPU incl. host share, before PUE [W]; default board power at full
        load + ``server_overhead_w``.
    layers, hidden, seq_len : int, optional
        Shape for the attention FLOPs term.
    fit : ServingFit, optional
        Power-model parameters (default: the shipped fit).

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
    mfu_ = _frac("--mfu", mfu if mfu is not None else DEFAULT_MFU[g.id])
    good = _frac("--goodput", goodput if goodput is not None else DEFAULT_GOODPUT)
    peak = g.peak_tflops(dtype)
    flops = training_flops(params, tokens, layers, hidden, seq_len)
    hours = gpu_hours(flops, peak, mfu_, good)
    if avg_power_w_per_gpu is None:
        avg_power_w_per_gpu = float(board_power_w(g, 1.0, fit)) + g.server_overhead_w
    elif not avg_power_w_per_gpu > 0:
        raise InputError.of("avg_power_w_per_gpu", avg_power_w_per_gpu, "a positive power in W")
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
    )
