"""Parameters of the roofline serving model fitted on the measured H100 profile, and board power.

`ServingFit` holds them (``serving_fit.json``, fitted by ``scripts/fit_serving_profile.py`` on
``shared/calibration/h100_sxm_profile.json``); `activity_frac` and `board_power_w` turn memory
and tensor-core utilisation into board power. Used by `coredge.physics.serving` (which re-exports
these names) and by the engine model `coredge.physics.throughput`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from coredge.catalog.accelerators import Accelerator, get_accelerator

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | int | FloatArray


@dataclass(frozen=True)
class ServingFit:
    """Fitted (and assumed) parameters of the serving model.

    Attributes
    ----------
    bw_eff : float
        Achieved share of datasheet HBM bandwidth when streaming weights and KV cache [fraction].
    compute_eff_decode, compute_eff_prefill : float
        Achieved share of dense tensor peak in decode / prefill GEMMs [fraction].
    layer_overhead_ms : float
        Fixed time per layer per forward pass (kernel latency, norms, small ops) [ms].
    step_overhead_ms : float
        Fixed time per forward pass [ms].
    idle_power_frac, limit_power_frac : float
        Idle board power and highest sustained board power, as shares of TDP [fraction].
    power_bw_weight, power_compute_weight : float
        Weights of memory and tensor-core utilisation in the activity that sets dynamic power.
    allreduce_latency_ms : float
        Fixed latency of one all-reduce over NVLink [ms] (assumption).
    nvlink_eff : float
        Achieved share of one-way NVLink bandwidth in all-reduce [fraction] (assumption).
    usable_memory_frac : float
        Share of HBM usable for weights + KV cache (rest: activations, runtime) [fraction]
        (assumption: vLLM's default ``gpu_memory_utilization=0.9``).
    meta : dict
        Provenance: data file, device, fit date, residuals.
    """

    bw_eff: float
    compute_eff_decode: float
    compute_eff_prefill: float
    layer_overhead_ms: float
    step_overhead_ms: float
    idle_power_frac: float
    limit_power_frac: float
    power_bw_weight: float
    power_compute_weight: float
    allreduce_latency_ms: float = 0.010
    nvlink_eff: float = 0.80
    usable_memory_frac: float = 0.90
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_json_dict(self) -> dict[str, Any]:
        """Plain dict for ``serving_fit.json``."""
        return asdict(self)

    def __hash__(self) -> int:
        d = asdict(self)
        d.pop("meta")
        return hash(tuple(sorted(d.items())))


FIT_FILE = "serving_fit.json"


@functools.cache
def default_fit() -> ServingFit:
    """The fit shipped with coredge (``coredge/physics/serving_fit.json``)."""
    text = resources.files("coredge.physics").joinpath(FIT_FILE).read_text(encoding="utf-8")
    raw = json.loads(text)
    return ServingFit(**raw)


def activity_frac(
    gpu: Accelerator | str,
    bytes_per_s: ArrayLike,
    flops_per_s: ArrayLike,
    dtype: str = "bf16",
    fit: ServingFit | None = None,
) -> FloatArray:
    """Load fraction (0..1) that sets dynamic board power, from memory and compute utilisation.

    Parameters
    ----------
    bytes_per_s : float or ndarray
        HBM traffic per GPU [bytes/s].
    flops_per_s : float or ndarray
        Tensor FLOP rate per GPU [FLOP/s].

    Examples
    --------
    >>> float(activity_frac("h100", 0.0, 0.0))
    0.0
    """
    g = get_accelerator(gpu) if isinstance(gpu, str) else gpu
    f = fit if fit is not None else default_fit()
    u_bw = np.asarray(bytes_per_s, dtype=np.float64) / (g.hbm_gb_s * 1e9)
    u_c = np.asarray(flops_per_s, dtype=np.float64) / (g.peak_tflops(dtype) * 1e12)
    return np.asarray(np.clip(f.power_bw_weight * u_bw + f.power_compute_weight * u_c, 0.0, 1.0))


def board_power_w(
    gpu: Accelerator | str, load_frac: ArrayLike, fit: ServingFit | None = None
) -> FloatArray:
    """Board power of one GPU at a load fraction between idle (0) and full load (1) [W].

    ``tdp * min(limit_frac, idle_frac + (1 - idle_frac) * load_frac)``.

    Parameters
    ----------
    gpu : Accelerator or str
        Accelerator or id.
    load_frac : float or ndarray
        Load [fraction, clipped to 0..1]; see `activity_frac`.

    Examples
    --------
    >>> round(float(board_power_w("h100", 0.0)))
    129
    """
    g = get_accelerator(gpu) if isinstance(gpu, str) else gpu
    f = fit if fit is not None else default_fit()
    x = np.clip(np.asarray(load_frac, dtype=np.float64), 0.0, 1.0)
    share = np.minimum(f.limit_power_frac, f.idle_power_frac + (1.0 - f.idle_power_frac) * x)
    return np.asarray(g.tdp_w * share)
