"""LLM serving profile: decode step time, prefill time, memory fit, board power, J/token.

The model (a roofline with fixed costs), per GPU of a tensor-parallel group of ``tp`` GPUs:

* **decode step** for ``batch`` sequences at ``context`` tokens of KV cache::

      bytes  = weight bytes read (dense: all; MoE: experts hit by the batch) / tp
               + batch * context * KV bytes per token / tp
      flops  = 2 * N_active * batch / tp + 4 * layers * batch * context * hidden / tp
      step   = max(bytes / (bw_eff * HBM GB/s), flops / (compute_eff_decode * peak))
               + layers * layer_overhead_ms + step_overhead_ms + all-reduce(tp)

* **prefill** of ``prompt_tokens`` (batch of prompts): the same with
  ``flops = 2 * N_active_no_head * S + 2 * layers * S**2 * hidden`` (causal attention)
  ``+ 2 * vocab * hidden`` per prompt (LM head on the last token), ``compute_eff_prefill``.
* **all-reduce** (tp > 1): two per layer (after attention and after the FFN), ring algorithm:
  ``2 (tp-1)/tp * batch * hidden * 2 bytes / (nvlink_eff * NVLink one-way GB/s)``
  ``+ allreduce_latency_ms``.
* **board power**: ``tdp * min(limit_frac, idle_frac + (1 - idle_frac) * activity)`` with
  ``activity = w_bw * (bytes/s / HBM GB/s) + w_compute * (FLOP/s / peak)``: draw rises with the
  share of the memory system and of the tensor cores kept busy.

Every fitted parameter is a fraction of a datasheet figure (bandwidth, peak FLOP/s, TDP) or a
fixed time, so the fit on the measured H100 (``shared/calibration/h100_sxm_profile.json``,
fitted by ``scripts/fit_serving_profile.py`` into ``serving_fit.json`` next to this module)
transfers to other accelerators through their datasheets alone. The all-reduce latency and
NVLink efficiency are **assumptions** (the calibration has one GPU).

Limits: no pipeline parallelism (a model must fit ``tp <= 8`` GPUs of one server); continuous
batching is approximated by static batches; MoE routing is assumed uniform.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from coredge.catalog.accelerators import Accelerator, get_accelerator
from coredge.catalog.llm_models import LLMModel, get_model
from coredge.errors import InputError
from coredge.physics import throughput as th
from coredge.physics.profile_fit import (
    FIT_FILE,
    ServingFit,
    activity_frac,
    board_power_w,
    default_fit,
)

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | int | FloatArray

__all__ = [
    "FIT_FILE",
    "CapacityPoint",
    "ServingFit",
    "ServingPoint",
    "ServingProfile",
    "activity_frac",
    "allreduce_ms",
    "board_power_w",
    "capacity_point",
    "capacity_tokens_per_s_per_gpu",
    "decode_power_w",
    "decode_step_ms",
    "decode_terms",
    "default_fit",
    "max_batch",
    "min_tp",
    "power_w_per_gpu_at",
    "prefill_ms",
    "prefill_power_w",
    "prefill_terms",
]

TP_CHOICES: tuple[int, ...] = (1, 2, 4, 8)
"""Tensor-parallel degrees considered (one 8-GPU server at most)."""

ACTIVATION_BYTES: float = 2.0
"""Bytes per activation element exchanged in all-reduce (bf16) [bytes]."""


def _resolve(
    model: LLMModel | str, gpu: Accelerator | str, fit: ServingFit | None
) -> tuple[LLMModel, Accelerator, ServingFit]:
    m = get_model(model) if isinstance(model, str) else model
    g = get_accelerator(gpu) if isinstance(gpu, str) else gpu
    return m, g, fit if fit is not None else default_fit()


def _check_tp(tp: int, field_name: str = "--tp") -> None:
    if tp not in TP_CHOICES:
        raise InputError.of(field_name, tp, "one of: " + ", ".join(map(str, TP_CHOICES)))


def _kv_split(model: LLMModel, tp: int) -> int:
    """GPUs the KV heads are split over (KV heads are replicated beyond kv_heads GPUs)."""
    return min(tp, model.kv_heads)


def allreduce_ms(
    gpu: Accelerator | str,
    tp: int,
    elements: ArrayLike,
    count: int = 1,
    fit: ServingFit | None = None,
) -> FloatArray:
    """Time of ``count`` ring all-reduces of ``elements`` bf16 values over NVLink [ms].

    Parameters
    ----------
    gpu : Accelerator or str
        Accelerator (its one-way NVLink bandwidth is used).
    tp : int
        GPUs in the group; 1 gives 0.
    elements : float or ndarray
        Values reduced per all-reduce (batch x hidden) [count].
    count : int
        Number of all-reduces.
    fit : ServingFit, optional
        Parameters (default: the shipped fit).

    Examples
    --------
    >>> float(allreduce_ms("h100", 1, 64 * 8192))
    0.0
    """
    g = get_accelerator(gpu) if isinstance(gpu, str) else gpu
    f = fit if fit is not None else default_fit()
    n = np.asarray(elements, dtype=np.float64)
    if tp <= 1:
        return np.zeros_like(n)
    bytes_moved = 2.0 * (tp - 1) / tp * n * ACTIVATION_BYTES
    bw_b_per_ms = f.nvlink_eff * g.nvlink_unidir_gb_s * 1e9 / 1e3
    return np.asarray(count * (bytes_moved / bw_b_per_ms + f.allreduce_latency_ms))


def decode_terms(
    model: LLMModel | str,
    gpu: Accelerator | str,
    batch: ArrayLike,
    context: ArrayLike,
    tp: int = 1,
    dtype: str = "bf16",
    fit: ServingFit | None = None,
) -> dict[str, FloatArray]:
    """Bytes, FLOPs and time components of one decode step, per GPU.

    Returns a dict with ``bytes``, ``flops``, ``memory_ms``, ``compute_ms``, ``overhead_ms``,
    ``allreduce_ms`` and ``step_ms`` (arrays broadcast over ``batch`` and ``context``).
    """
    m, g, f = _resolve(model, gpu, fit)
    _check_tp(tp)
    b, c = np.broadcast_arrays(
        np.asarray(batch, dtype=np.float64), np.asarray(context, dtype=np.float64)
    )
    weights = m.decode_weight_bytes(b, dtype) / tp
    kv = b * c * m.kv_bytes_per_token(dtype) / _kv_split(m, tp)
    nbytes = weights + kv
    flops = (2.0 * m.params_active * b + 4.0 * m.layers * b * c * m.hidden) / tp
    memory_ms = nbytes / (f.bw_eff * g.hbm_gb_s * 1e9) * 1e3
    compute_ms = flops / (f.compute_eff_decode * g.peak_tflops(dtype) * 1e12) * 1e3
    overhead_ms = np.full_like(b, m.layers * f.layer_overhead_ms + f.step_overhead_ms)
    ar_ms = allreduce_ms(g, tp, b * m.hidden, count=2 * m.layers, fit=f)
    step = np.maximum(memory_ms, compute_ms) + overhead_ms + ar_ms
    return {
        "bytes": nbytes,
        "flops": flops,
        "memory_ms": memory_ms,
        "compute_ms": compute_ms,
        "overhead_ms": overhead_ms,
        "allreduce_ms": ar_ms,
        "step_ms": step,
    }


def decode_step_ms(
    model: LLMModel | str,
    gpu: Accelerator | str,
    batch: ArrayLike,
    context: ArrayLike,
    tp: int = 1,
    dtype: str = "bf16",
    fit: ServingFit | None = None,
) -> FloatArray:
    """Time of one decode step (one output token for each sequence in the batch) [ms].

    Parameters
    ----------
    model : LLMModel or str
        LLM shape or id (``llama3-8b``, ``llama3-70b``, ``llama3-405b``, ``mixtral-8x7b``).
    gpu : Accelerator or str
        Accelerator or id (``v100``, ``a100``, ``h100``, ``h200``, ``b200``, ``gb200``).
    batch : int or ndarray
        Sequences decoded together [count].
    context : int or ndarray
        Tokens in each sequence's KV cache [tokens].
    tp : int
        Tensor-parallel GPUs (1, 2, 4, 8).
    dtype : str
        Weight dtype: ``bf16``, ``fp8`` or ``int4``.
    fit : ServingFit, optional
        Parameters (default: the shipped H100 fit).

    Returns
    -------
    ndarray
        Step time [ms] (time per output token, TPOT).

    Examples
    --------
    >>> round(float(decode_step_ms("llama3-8b", "h100", 1, 1024)), 1)
    7.9
    """
    return decode_terms(model, gpu, batch, context, tp, dtype, fit)["step_ms"]


def prefill_terms(
    model: LLMModel | str,
    gpu: Accelerator | str,
    prompt_tokens: ArrayLike,
    tp: int = 1,
    dtype: str = "bf16",
    batch: ArrayLike = 1,
    fit: ServingFit | None = None,
) -> dict[str, FloatArray]:
    """Bytes, FLOPs and time components of prefilling ``batch`` prompts, per GPU."""
    m, g, f = _resolve(model, gpu, fit)
    _check_tp(tp)
    s, b = np.broadcast_arrays(
        np.asarray(prompt_tokens, dtype=np.float64), np.asarray(batch, dtype=np.float64)
    )
    head = float(m.vocab * m.hidden)
    body = float(m.params_active) - head
    flops = b * (2.0 * body * s + 2.0 * m.layers * s * s * m.hidden + 2.0 * head) / tp
    # weights: every expert is hit by a long prompt; KV cache written once
    nbytes = m.decode_weight_bytes(b * s, dtype) / tp + b * s * m.kv_bytes_per_token(
        dtype
    ) / _kv_split(m, tp)
    memory_ms = nbytes / (f.bw_eff * g.hbm_gb_s * 1e9) * 1e3
    compute_ms = flops / (f.compute_eff_prefill * g.peak_tflops(dtype) * 1e12) * 1e3
    overhead_ms = np.full_like(s, m.layers * f.layer_overhead_ms + f.step_overhead_ms)
    ar_ms = allreduce_ms(g, tp, b * s * m.hidden, count=2 * m.layers, fit=f)
    total = np.maximum(memory_ms, compute_ms) + overhead_ms + ar_ms
    return {
        "bytes": nbytes,
        "flops": flops,
        "memory_ms": memory_ms,
        "compute_ms": compute_ms,
        "overhead_ms": overhead_ms,
        "allreduce_ms": ar_ms,
        "prefill_ms": total,
    }


def prefill_ms(
    model: LLMModel | str,
    gpu: Accelerator | str,
    prompt_tokens: ArrayLike,
    tp: int = 1,
    dtype: str = "bf16",
    batch: ArrayLike = 1,
    fit: ServingFit | None = None,
) -> FloatArray:
    """Time to prefill ``batch`` prompts of ``prompt_tokens`` each (TTFT without queueing) [ms].

    Parameters
    ----------
    model, gpu, tp, dtype, fit
        As in `decode_step_ms`.
    prompt_tokens : int or ndarray
        Tokens per prompt [tokens].
    batch : int or ndarray
        Prompts prefilled together [count].

    Examples
    --------
    >>> round(float(prefill_ms("llama3-8b", "h100", 2048)))
    55
    """
    return prefill_terms(model, gpu, prompt_tokens, tp, dtype, batch, fit)["prefill_ms"]


def max_batch(
    model: LLMModel | str,
    gpu: Accelerator | str,
    context: ArrayLike,
    tp: int = 1,
    dtype: str = "bf16",
    fit: ServingFit | None = None,
) -> npt.NDArray[np.int64]:
    """Largest batch whose weights and KV cache fit the usable HBM of the TP group [count].

    0 when the weights alone do not fit.

    Parameters
    ----------
    context : int or ndarray
        Tokens held in the KV cache per sequence (prompt + output) [tokens].

    Examples
    --------
    >>> int(max_batch("llama3-70b", "h100", 4096, tp=1))
    0
    >>> int(max_batch("llama3-8b", "h100", 4096))
    104
    """
    m, g, f = _resolve(model, gpu, fit)
    _check_tp(tp)
    c = np.asarray(context, dtype=np.float64)
    free = g.hbm_gb * 1e9 * f.usable_memory_frac - m.weight_gb(dtype) * 1e9 / tp
    per_seq = np.maximum(c, 1.0) * m.kv_bytes_per_token(dtype) / _kv_split(m, tp)
    return np.asarray(np.maximum(np.floor(free / per_seq), 0.0), dtype=np.int64)


def min_tp(
    model: LLMModel | str,
    gpu: Accelerator | str,
    context: float = 1.0,
    dtype: str = "bf16",
    fit: ServingFit | None = None,
) -> int:
    """Smallest tensor-parallel degree whose memory holds the weights and one sequence.

    Raises
    ------
    InputError
        When even 8 GPUs cannot hold the model (suggesting a smaller dtype).

    Examples
    --------
    >>> min_tp("llama3-70b", "h100")
    2
    """
    for tp in TP_CHOICES:
        if int(max_batch(model, gpu, context, tp, dtype, fit)) >= 1:
            return tp
    m, g, _ = _resolve(model, gpu, fit)
    raise InputError.of(
        "--model",
        m.id,
        f"{m.id} in {dtype} ({m.weight_gb(dtype):.0f} GB) does not fit 8 x {g.id} "
        f"({g.hbm_gb:.0f} GB each); use a smaller dtype (fp8, int4) or a larger GPU",
    )


def decode_power_w(
    model: LLMModel | str,
    gpu: Accelerator | str,
    batch: ArrayLike,
    context: ArrayLike,
    tp: int = 1,
    dtype: str = "bf16",
    fit: ServingFit | None = None,
) -> FloatArray:
    """Board power of each GPU of the TP group while decoding [W]."""
    t = decode_terms(model, gpu, batch, context, tp, dtype, fit)
    s = t["step_ms"] / 1e3
    load = activity_frac(gpu, t["bytes"] / s, t["flops"] / s, dtype, fit)
    return board_power_w(gpu, load, fit)


def prefill_power_w(
    model: LLMModel | str,
    gpu: Accelerator | str,
    prompt_tokens: ArrayLike,
    tp: int = 1,
    dtype: str = "bf16",
    batch: ArrayLike = 1,
    fit: ServingFit | None = None,
) -> FloatArray:
    """Board power of each GPU of the TP group while prefilling [W]."""
    t = prefill_terms(model, gpu, prompt_tokens, tp, dtype, batch, fit)
    s = t["prefill_ms"] / 1e3
    load = activity_frac(gpu, t["bytes"] / s, t["flops"] / s, dtype, fit)
    return board_power_w(gpu, load, fit)


@dataclass(frozen=True)
class ServingPoint:
    """One operating point of a TP group (figures per GPU unless named otherwise).

    Attributes
    ----------
    batch, context, tp : int
        Sequences per step, KV tokens per sequence, GPUs in the group.
    tpot_ms : float
        Decode step time = time per output token [ms].
    ttft_ms : float
        Prefill time of one prompt (no queueing) [ms].
    tokens_per_s : float
        Output tokens per second of the whole TP group while decoding [tokens/s].
    tokens_per_s_per_gpu : float
        The same per GPU [tokens/s].
    power_w : float
        Board power per GPU while decoding [W].
    joules_per_token : float
        Board energy per output token, all GPUs of the group [J].
    fits : bool
        Whether the batch fits memory.
    """

    batch: int
    context: int
    tp: int
    tpot_ms: float
    ttft_ms: float
    tokens_per_s: float
    tokens_per_s_per_gpu: float
    power_w: float
    joules_per_token: float
    fits: bool


@dataclass(frozen=True)
class ServingProfile:
    """A model served on an accelerator with tensor parallelism ``tp``: orchestrates the functions.

    Examples
    --------
    >>> p = ServingProfile("llama3-8b", "h100")
    >>> round(p.point(64, 1024).tokens_per_s, -1)
    5910.0
    """

    model_id: str
    gpu_id: str
    tp: int = 1
    dtype: str = "bf16"
    fit: ServingFit | None = None

    def __post_init__(self) -> None:
        get_model(self.model_id)
        get_accelerator(self.gpu_id)
        _check_tp(self.tp)
        get_accelerator(self.gpu_id).peak_tflops(self.dtype)

    def decode_step_ms(self, batch: ArrayLike, context: ArrayLike) -> FloatArray:
        """See `decode_step_ms` [ms]."""
        return decode_step_ms(
            self.model_id, self.gpu_id, batch, context, self.tp, self.dtype, self.fit
        )

    def prefill_ms(self, prompt_tokens: ArrayLike, batch: ArrayLike = 1) -> FloatArray:
        """See `prefill_ms` [ms]."""
        return prefill_ms(
            self.model_id, self.gpu_id, prompt_tokens, self.tp, self.dtype, batch, self.fit
        )

    def max_batch(self, context: ArrayLike) -> npt.NDArray[np.int64]:
        """See `max_batch` [count]."""
        return max_batch(self.model_id, self.gpu_id, context, self.tp, self.dtype, self.fit)

    def point(self, batch: int, context: int, prompt_tokens: int | None = None) -> ServingPoint:
        """Operating point at a batch and context (TTFT for a prompt of ``prompt_tokens``,
        default ``context``)."""
        step = float(self.decode_step_ms(batch, context))
        ttft = float(self.prefill_ms(prompt_tokens if prompt_tokens is not None else context))
        power = float(
            decode_power_w(
                self.model_id, self.gpu_id, batch, context, self.tp, self.dtype, self.fit
            )
        )
        tps = batch * 1e3 / step
        return ServingPoint(
            batch=int(batch),
            context=int(context),
            tp=self.tp,
            tpot_ms=step,
            ttft_ms=ttft,
            tokens_per_s=tps,
            tokens_per_s_per_gpu=tps / self.tp,
            power_w=power,
            joules_per_token=power * self.tp / tps,
            fits=bool(batch <= int(self.max_batch(context))),
        )


@dataclass(frozen=True)
class CapacityPoint:
    """Sustainable operating point of a GPU pool under latency targets (per GPU).

    Attributes
    ----------
    tp, batch : int
        Tensor-parallel degree chosen and the batch used (0 when no batch meets the targets).
    tpot_ms : float
        Mean time per output token at that load [ms]: the mean engine step, whose decodes share
        it with the prefill chunks of arriving prompts (continuous batching). This is what the
        TPOT target constrains.
    ttft_ms : float
        Time to first token in a free slot at that load [ms]: the prompt's prefill steps,
        without the admission wait (the simulator queues requests itself; the wait is part of
        the TTFT target check, `coredge.physics.throughput.slo_capacity`); when no load meets
        the targets, the single-prompt prefill time.
    tokens_per_s_per_gpu : float
        Sustainable output tokens/s per GPU [tokens/s].
    power_w_per_gpu : float
        Board power per GPU at that load [W].
    joules_per_token : float
        Board energy per output token (prefill included) [J].
    decode_step_ms : float
        One engine step at that load [ms] (= ``tpot_ms``).
    """

    tp: int
    batch: int
    tpot_ms: float
    ttft_ms: float
    tokens_per_s_per_gpu: float
    power_w_per_gpu: float
    joules_per_token: float
    decode_step_ms: float = float("nan")


@functools.lru_cache(maxsize=4096)
def capacity_point(
    model_id: str,
    gpu_id: str,
    tokens_in: int,
    tokens_out: int,
    tpot_slo_ms: float,
    ttft_slo_ms: float,
    dtype: str = "bf16",
    fit: ServingFit | None = None,
    tp: int | None = None,
    engine: str = "trtllm",
) -> CapacityPoint:
    """Largest sustainable load of a GPU pool serving one request shape within latency targets.

    The engine model of `coredge.physics.throughput` (continuous batching with prefill mixed into
    decode steps, the engine's batch, token and KV-memory limits) under a Poisson load: the
    highest request rate whose mean TPOT and mean TTFT (prefill plus M/G/c admission wait) meet
    the targets, at most 95% of the engine's maximum rate (`coredge.physics.throughput.
    slo_capacity`). The capacity is 0 when even a light load misses a target (this GPU cannot
    serve the class).

    Parameters
    ----------
    model_id, gpu_id : str
        Catalog ids.
    tokens_in, tokens_out : int
        Prompt and output tokens per request [tokens].
    tpot_slo_ms, ttft_slo_ms : float
        Time-per-output-token and time-to-first-token targets [ms] (``inf``: no target).
    dtype : str
        Weight dtype.
    fit : ServingFit, optional
        Profile parameters (default: the shipped fit).
    tp : int, optional
        Force a tensor-parallel degree instead of the smallest that holds the model.
    engine : str
        Serving engine (`coredge.physics.engines`): ``trtllm`` or ``vllm``.

    Examples
    --------
    >>> c = capacity_point("llama3-8b", "h100", 512, 256, 50.0, 1000.0)
    >>> c.tp, c.batch > 100
    (1, True)
    """
    for name, v in (("tokens_in", tokens_in), ("tokens_out", tokens_out)):
        if v < 1:
            raise InputError.of(name, v, "a positive number of tokens")
    for name, x in (("tpot_slo_ms", tpot_slo_ms), ("ttft_slo_ms", ttft_slo_ms)):
        if not x > 0:
            raise InputError.of(name, x, "a positive time in ms")
    m, g, f = _resolve(model_id, gpu_id, fit)
    if tp is None:
        tps = th.feasible_tps(m, g, dtype, tokens_in, tokens_out, engine)
        if not tps:
            min_tp(m, g, tokens_in + tokens_out, dtype, f)  # raises the usual InputError
            tps = [8]
        tp = tps[0]
    else:
        _check_tp(tp, "tp")
    s = th.setup(m, g, dtype, tp, engine, fit=f)
    ttft0 = float(prefill_ms(m, g, tokens_in, tp, dtype, 1, f))
    c = th.slo_capacity(s, tokens_in, tokens_out, tpot_slo_ms, ttft_slo_ms)
    if c is None:
        return CapacityPoint(
            tp, 0, float("nan"), ttft0, 0.0, float(board_power_w(g, 0.0, f)), float("nan")
        )
    tps_gpu = c["qps"] * tokens_out / tp
    return CapacityPoint(
        tp=tp,
        batch=int(c["batch"]),
        tpot_ms=c["tpot_ms"],
        ttft_ms=c["prefill_ms"],
        tokens_per_s_per_gpu=tps_gpu,
        power_w_per_gpu=c["power_w"],
        joules_per_token=c["power_w"] / tps_gpu,
        decode_step_ms=c["tpot_ms"],
    )


def capacity_tokens_per_s_per_gpu(
    model_id: str,
    gpu_id: str,
    tokens_in: int,
    tokens_out: int,
    tpot_slo_ms: float,
    ttft_slo_ms: float,
    dtype: str = "bf16",
) -> float:
    """Sustainable output tokens/s per GPU meeting the TPOT and TTFT targets [tokens/s].

    See `capacity_point` for the rules; 0.0 when the GPU cannot meet the targets.

    Examples
    --------
    >>> round(capacity_tokens_per_s_per_gpu("llama3-8b", "h100", 512, 256, 50.0, 1000.0), -2)
    8100.0
    """
    return capacity_point(
        model_id, gpu_id, tokens_in, tokens_out, tpot_slo_ms, ttft_slo_ms, dtype
    ).tokens_per_s_per_gpu


def power_w_per_gpu_at(
    model_id: str,
    gpu_id: str,
    tokens_in: int,
    tokens_out: int,
    tpot_slo_ms: float,
    ttft_slo_ms: float,
    dtype: str = "bf16",
    include_server: bool = False,
) -> float:
    """Average power per GPU at the operating point of `capacity_tokens_per_s_per_gpu` [W].

    Parameters
    ----------
    include_server : bool
        Add the host overhead per GPU (``Accelerator.server_overhead_w``) to the board power.

    Examples
    --------
    >>> 400 < power_w_per_gpu_at("llama3-8b", "h100", 512, 256, 50.0, 1000.0) <= 700
    True
    """
    c = capacity_point(model_id, gpu_id, tokens_in, tokens_out, tpot_slo_ms, ttft_slo_ms, dtype)
    extra = get_accelerator(gpu_id).server_overhead_w if include_server else 0.0
    return c.power_w_per_gpu + extra
