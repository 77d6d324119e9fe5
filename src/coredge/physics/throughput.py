"""Continuous-batching throughput and latency of a serving engine, prefill included.

Steady state of one replica (a tensor-parallel group of ``tp`` GPUs) serving requests of ``isl``
prompt tokens and ``osl`` output tokens with in-flight (continuous) batching:

* ``B`` sequences are decoding at any time; each engine step emits one token for each of them, so
  ``B / osl`` requests finish per step on average and as many new ones start: each step also
  prefills ``P = B * isl / osl`` prompt tokens (chunked prefill mixed with decodes, as both
  TensorRT-LLM's in-flight batching and vLLM V1 do). Output rate ``B / t_step``; request rate
  ``B / (osl * t_step)``.
* **step time** (per GPU), two kernel families run one after the other, each a roofline::

      gemm  = max(weight bytes / (bw_eff * HBM), 2 * N_active * (B + P) / (compute_eff * peak))
      attn  = max(KV bytes / (bw_eff * HBM), 4 * layers * hidden * (B * c_dec + P * isl / 2)
                  / (compute_eff * peak))
      t_step = gemm + attn + all-reduce(B + P tokens) + layers * layer_overhead + step_overhead

  with ``c_dec = isl + osl / 2`` the mean context of a decoding sequence; MoE weights are the
  experts hit by ``B + P`` tokens. ``bw_eff`` and ``layer_overhead_ms`` are the values fitted on
  the measured H100 profile (`coredge.physics.profile_fit.default_fit`); ``compute_eff``,
  ``step_overhead_ms`` and the all-reduce link efficiency ``link_eff`` are fitted on the H100
  engine table (`EngineFit`, ``engine_fit.json``, one fit per TensorRT-LLM version with H100 rows). All-reduce: two per layer, ring algorithm,
  ``2 (tp - 1) / tp * tokens * hidden * 2 bytes / (link_eff * one-way link GB/s)`` plus the
  profile's fixed latency per all-reduce (NVLink on SXM parts, PCIe Gen4 x16 on PCIe cards).
* **batch limits** (`batch_limit`): KV memory (the engine's memory policy, paged blocks, reserved
  for ``isl + osl`` tokens under TensorRT-LLM's no-evict scheduler, ``isl + osl / 2`` on average
  under vLLM's on-demand allocation), ``max_batch`` and the token budget ``B + P <=
  max_num_tokens`` (`coredge.physics.engines`).
* **offline maximum throughput** (`max_throughput`): the step at the largest feasible ``B``
  (output per step grows with ``B`` faster than the step time).
* **under load** (`load_point`), requests arriving as a Poisson stream of rate ``qps``: the
  concurrency ``B`` solves ``qps = B / (osl * t_step(B))`` (Little's law on the decode phase);
  TPOT is ``t_step(B)``; TTFT is the prefill of one prompt in the steps it shares (half a step of
  alignment plus ``ceil(isl / chunk)`` steps), plus its wait for the step token budget (an M/D/1
  queue of prompts on a server that prefills ``chunk`` tokens per full step), plus the admission
  wait for a free sequence slot (an M/G/c queue with ``c`` = the batch limit, service ``osl *
  t_step``; Erlang C with the Allen-Cunneen correction ``(1 + cv_s^2) / 2``, ``cv_s = 0`` for
  fixed output lengths). This is a queueing model, not the simulator.
* **closed loop** (`concurrency_point`): ``n`` clients each sending the next request when the
  last one ends (how ``vllm bench serve --max-concurrency`` and NIM/AIPerf sweeps load an
  engine): ``B = min(n, batch limit)`` decode, the rest wait for a slot.

Every fitted parameter is a fraction of a datasheet figure or a fixed time, fitted on H100 data
only; other accelerators follow from their datasheets (`coredge.catalog.accelerators`).

Limits: no pipeline parallelism, no speculative decoding, no prefix caching, uniform MoE routing,
fixed request lengths; steps of different composition are represented by their mean.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from coredge.catalog.accelerators import Accelerator, get_accelerator
from coredge.catalog.llm_models import LLMModel, get_model
from coredge.errors import InputError
from coredge.physics.engines import RUNTIME_RESERVE_GIB, EngineLimits, EngineSpec, get_engine
from coredge.physics.profile_fit import ServingFit, activity_frac, board_power_w, default_fit

FloatArray = npt.NDArray[np.float64]

TP_CHOICES: tuple[int, ...] = (1, 2, 4, 8)
"""Tensor-parallel degrees considered (one 8-GPU server at most)."""

ENGINE_FIT_FILE = "engine_fit.json"


@dataclass(frozen=True)
class EngineFit:
    """Efficiencies of a real engine, fitted on H100 engine measurements.

    Attributes
    ----------
    compute_eff : float
        Achieved share of the dense tensor peak of the step's dtype in an engine step's GEMMs and
        attention [fraction].
    step_overhead_ms : float
        Fixed time per engine step beyond the per-layer kernel overhead of the profile
        (scheduling, sampling, host-device synchronisation) [ms].
    link_eff : float
        Achieved share of the one-way NVLink (or PCIe) bandwidth in the tensor-parallel
        all-reduces of an engine step [fraction].
    meta : dict
        Provenance: data, hold-out rule, fit residuals.
    """

    compute_eff: float
    step_overhead_ms: float
    link_eff: float = 0.8
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_json_dict(self) -> dict[str, Any]:
        """Plain dict for ``engine_fit.json``."""
        return asdict(self)

    def __hash__(self) -> int:
        return hash((self.compute_eff, self.step_overhead_ms, self.link_eff))


@functools.cache
def engine_fits() -> dict[str, EngineFit]:
    """Every fit shipped with coredge (``coredge/physics/engine_fit.json``), by fit id."""
    text = resources.files("coredge.physics").joinpath(ENGINE_FIT_FILE).read_text("utf-8")
    return {k: EngineFit(**v) for k, v in json.loads(text).items()}


def default_engine_fit(fit_id: str = "trtllm") -> EngineFit:
    """The shipped efficiencies of one engine version (`EngineSpec.fit_id`).

    Examples
    --------
    >>> 0.0 < default_engine_fit().compute_eff < 1.0
    True
    """
    return engine_fits()[fit_id]


@dataclass(frozen=True)
class Setup:
    """One replica: model, accelerator, dtype, TP, engine and the fits (resolved)."""

    model: LLMModel
    gpu: Accelerator
    dtype: str
    tp: int
    engine: EngineSpec
    fit: ServingFit
    efit: EngineFit


def setup(
    model: LLMModel | str,
    gpu: Accelerator | str,
    dtype: str = "fp8",
    tp: int = 1,
    engine: EngineSpec | str = "trtllm",
    fit: ServingFit | None = None,
    efit: EngineFit | None = None,
) -> Setup:
    """Resolve ids into a `Setup`, checking TP and dtype (InputError on bad input)."""
    m = get_model(model) if isinstance(model, str) else model
    g = get_accelerator(gpu) if isinstance(gpu, str) else gpu
    e = get_engine(engine) if isinstance(engine, str) else engine
    if tp not in TP_CHOICES:
        raise InputError.of("--tp", tp, "one of: " + ", ".join(map(str, TP_CHOICES)))
    g.peak_tflops(dtype)
    m.kv_bytes_per_token(dtype)
    return Setup(m, g, dtype, tp, e, fit or default_fit(), efit or default_engine_fit(e.fit_id))


def _kv_bytes_per_token_gpu(s: Setup) -> float:
    return s.model.kv_bytes_per_token(s.dtype) / min(s.tp, s.model.kv_heads)


def _attn_peak_tflops(s: Setup) -> float:
    # attention math runs in FP8 for fp8/fp4 checkpoints (FP8 KV cache), else in 16 bits
    if s.dtype in ("fp8", "fp4") and s.gpu.fp8_tflops is not None:
        return s.gpu.fp8_tflops
    return s.gpu.bf16_tflops


def step_terms(
    s: Setup,
    decode: npt.ArrayLike,
    prefill_tokens: npt.ArrayLike,
    decode_context: float,
    prefill_context: float,
) -> dict[str, FloatArray]:
    """Time components of one engine step, per GPU.

    Parameters
    ----------
    s : Setup
        The replica.
    decode : float or ndarray
        Sequences decoding one token in the step [count].
    prefill_tokens : float or ndarray
        Prompt tokens prefilled in the step [tokens].
    decode_context : float
        Mean KV context of a decoding sequence [tokens].
    prefill_context : float
        Mean causal context of a prefill token (half the prompt) [tokens].

    Returns
    -------
    dict of ndarray
        ``bytes``, ``flops``, ``gemm_ms``, ``attn_ms``, ``allreduce_ms``, ``overhead_ms``,
        ``step_ms``.
    """
    m, g, f, ef = s.model, s.gpu, s.fit, s.efit
    b, p = np.broadcast_arrays(
        np.asarray(decode, dtype=np.float64), np.asarray(prefill_tokens, dtype=np.float64)
    )
    tokens = b + p
    kvb = _kv_bytes_per_token_gpu(s)
    w_bytes = m.decode_weight_bytes(np.maximum(tokens, 1.0), s.dtype) / s.tp
    kv_bytes = b * decode_context * kvb + p * kvb * (1.0 + prefill_context / 128.0)
    head = float(m.vocab * m.hidden)
    body = float(m.params_active) - head
    gemm_flops = (2.0 * body * tokens + 2.0 * head * b) / s.tp
    attn_flops = 4.0 * m.layers * m.hidden * (b * decode_context + p * prefill_context) / s.tp
    bw = f.bw_eff * g.hbm_gb_s * 1e9 / 1e3  # bytes per ms
    gemm_ms = np.maximum(
        w_bytes / bw, gemm_flops / (ef.compute_eff * g.peak_tflops(s.dtype) * 1e9)
    )
    attn_ms = np.maximum(
        kv_bytes / bw, attn_flops / (ef.compute_eff * _attn_peak_tflops(s) * 1e9)
    )
    if s.tp > 1:
        moved = 2.0 * (s.tp - 1) / s.tp * tokens * m.hidden * 2.0
        link = ef.link_eff * g.nvlink_unidir_gb_s * 1e9 / 1e3
        ar_ms = 2 * m.layers * (moved / link + f.allreduce_latency_ms)
    else:
        ar_ms = np.zeros_like(tokens)
    overhead = np.full_like(tokens, m.layers * f.layer_overhead_ms + ef.step_overhead_ms)
    return {
        "bytes": w_bytes + kv_bytes,
        "flops": gemm_flops + attn_flops,
        "gemm_ms": gemm_ms,
        "attn_ms": attn_ms,
        "allreduce_ms": np.asarray(ar_ms, dtype=np.float64),
        "overhead_ms": overhead,
        "step_ms": gemm_ms + attn_ms + ar_ms + overhead,
    }


def kv_pool_tokens(s: Setup, limits: EngineLimits) -> float:
    """Tokens of KV cache the replica holds under the engine's memory policy [tokens].

    Runtime memory per GPU: `RUNTIME_RESERVE_GIB` plus activation buffers for ``max_num_tokens``
    (FFN intermediate of the GPU's shard and a few hidden-size buffers, 16-bit) and FP32 logits
    for ``max_batch`` sequences (vocabulary split over TP). Negative memory gives 0.
    """
    m, g, e = s.model, s.gpu, s.engine
    weights = m.weight_gb(s.dtype) * 1e9 / s.tp
    ffn_shard = m.ffn * max(m.experts_active, 1) / s.tp
    act = limits.max_num_tokens * (2.0 * ffn_shard + 4.0 * m.hidden) * 2.0
    logits = limits.max_batch * m.vocab / s.tp * 4.0
    runtime = RUNTIME_RESERVE_GIB * 2.0**30 + act + logits
    mem = g.memory_bytes
    if e.kv_memory_policy == "free_fraction":
        pool = e.kv_memory_frac * (mem - weights - runtime)
    else:
        pool = e.kv_memory_frac * mem - weights - runtime
    return max(pool, 0.0) / _kv_bytes_per_token_gpu(s)


def tokens_held(s: Setup, isl: int, osl: int) -> float:
    """KV tokens one in-flight sequence occupies, rounded to whole blocks [tokens]."""
    blk = s.engine.block_tokens
    if s.engine.reserve_full_output:
        return float(math.ceil((isl + osl) / blk) * blk)
    # on-demand allocation: mean length over the decode, half a block of rounding waste
    return isl + osl / 2.0 + blk / 2.0


def batch_limit(s: Setup, isl: int, osl: int, offline: bool = False) -> dict[str, float]:
    """Largest steady-state concurrency and which limit binds.

    Returns
    -------
    dict
        ``batch`` (the smallest of the three, fractional) [sequences], ``kv_batch``,
        ``engine_batch``, ``token_batch`` [sequences] and ``binding`` (name of the smallest).
    """
    lim = s.engine.limits(s.gpu, offline)
    kv = math.floor(kv_pool_tokens(s, lim) / tokens_held(s, isl, osl))
    tok = lim.max_num_tokens / (1.0 + isl / osl)
    cands = {"kv_memory": float(kv), "max_batch": float(lim.max_batch), "max_num_tokens": tok}
    binding = min(cands, key=lambda k: cands[k])
    return {
        "batch": cands[binding],
        "kv_batch": float(kv),
        "engine_batch": float(lim.max_batch),
        "token_batch": tok,
        "binding": binding,  # type: ignore[dict-item]
    }


def steady_step(s: Setup, batch: npt.ArrayLike, isl: int, osl: int) -> dict[str, FloatArray]:
    """`step_terms` of the steady state at concurrency ``batch`` (``P = batch * isl / osl``)."""
    b = np.asarray(batch, dtype=np.float64)
    return step_terms(s, b, b * isl / osl, isl + osl / 2.0, isl / 2.0)


@dataclass(frozen=True)
class OfflinePoint:
    """Offline maximum throughput of one replica (figures per GPU unless named otherwise).

    Attributes
    ----------
    tp : int
        GPUs in the replica.
    batch : float
        Steady-state sequences in flight [sequences].
    binding : str
        The limit that sets the batch: ``kv_memory``, ``max_batch`` or ``max_num_tokens``.
    step_ms : float
        Mean engine step [ms] (= TPOT at this load).
    output_tok_s_per_gpu : float
        Output tokens per second per GPU [tokens/s].
    requests_per_s : float
        Requests per second of the replica [1/s].
    power_w_per_gpu : float
        Board power per GPU [W].
    """

    tp: int
    batch: float
    binding: str
    step_ms: float
    output_tok_s_per_gpu: float
    requests_per_s: float
    power_w_per_gpu: float


def _power_w(s: Setup, terms: dict[str, FloatArray]) -> FloatArray:
    sec = terms["step_ms"] / 1e3
    load = activity_frac(s.gpu, terms["bytes"] / sec, terms["flops"] / sec, s.dtype, s.fit)
    return board_power_w(s.gpu, load, s.fit)


def max_throughput(s: Setup, isl: int, osl: int, offline: bool = True) -> OfflinePoint:
    """Offline maximum throughput (requests fed without limit), prefill included.

    Raises
    ------
    InputError
        When the weights leave no KV memory for one sequence at this TP.

    Examples
    --------
    >>> p = max_throughput(setup("llama3-8b", "h100", "fp8"), 128, 128)
    >>> 20_000 < p.output_tok_s_per_gpu < 40_000
    True
    """
    _check_lengths(isl, osl)
    lim = batch_limit(s, isl, osl, offline)
    b = float(lim["batch"])
    if b < 1.0:
        raise InputError.of(
            "--tp",
            s.tp,
            f"a TP degree at which {s.model.id} ({s.dtype}) leaves KV memory for one sequence of "
            f"{isl + osl} tokens on {s.gpu.id}",
        )
    t = steady_step(s, b, isl, osl)
    step = float(t["step_ms"])
    return OfflinePoint(
        tp=s.tp,
        batch=b,
        binding=str(lim["binding"]),
        step_ms=step,
        output_tok_s_per_gpu=b * 1e3 / step / s.tp,
        requests_per_s=b * 1e3 / step / osl,
        power_w_per_gpu=float(_power_w(s, t)),
    )


def _check_lengths(isl: int, osl: int) -> None:
    for name, v in (("--isl", isl), ("--osl", osl)):
        if not (isinstance(v, int | np.integer) and v >= 1):
            raise InputError.of(name, v, "a positive number of tokens")


def feasible_tps(
    model: LLMModel | str, gpu: Accelerator | str, dtype: str, isl: int, osl: int, engine: str
) -> list[int]:
    """TP degrees at which the model and one full sequence fit (offline limits)."""
    out = []
    for tp in TP_CHOICES:
        s = setup(model, gpu, dtype, tp, engine)
        if batch_limit(s, isl, osl, True)["batch"] >= 1.0:
            out.append(tp)
    return out


def best_max_throughput(
    model: str, gpu: str, dtype: str, isl: int, osl: int, engine: str = "trtllm"
) -> OfflinePoint:
    """`max_throughput` at the TP degree with the most output tokens/s per GPU.

    Raises
    ------
    InputError
        When no TP degree up to 8 holds the model.
    """
    best: OfflinePoint | None = None
    for tp in feasible_tps(model, gpu, dtype, isl, osl, engine):
        p = max_throughput(setup(model, gpu, dtype, tp, engine), isl, osl)
        if best is None or p.output_tok_s_per_gpu > best.output_tok_s_per_gpu:
            best = p
    if best is None:
        raise InputError.of(
            "--model",
            model,
            f"a model that fits 8 x {gpu} in {dtype}; use a smaller dtype or a larger GPU",
        )
    return best


def erlang_b(servers: int, offered: npt.ArrayLike) -> FloatArray:
    """Blocking probability of M/G/c/c (Erlang B) for ``offered`` load ``a = lambda/mu``, by the
    stable recursion ``B_k = a B_{k-1} / (k + a B_{k-1})``.

    Examples
    --------
    >>> round(float(erlang_b(2, 1.0)), 3)
    0.2
    """
    a = np.asarray(offered, dtype=np.float64)
    eb = np.ones_like(a)
    for k in range(1, servers + 1):
        eb = a * eb / (k + a * eb)
    return np.asarray(eb, dtype=np.float64)


def erlang_c(servers: int, offered: npt.ArrayLike) -> FloatArray:
    """Probability of waiting in an M/M/c queue (Erlang C) for ``offered`` load ``a = lambda/mu``.

    Computed from `erlang_b` (stable for thousands of servers); 1 where ``a >= c``.

    Examples
    --------
    >>> round(float(erlang_c(1, np.array(0.5))), 3)
    0.5
    """
    a = np.asarray(offered, dtype=np.float64)
    eb = erlang_b(servers, a)
    rho = a / servers
    with np.errstate(divide="ignore", invalid="ignore"):
        c = eb / (1.0 - rho * (1.0 - eb))
    return np.asarray(np.where(rho >= 1.0, 1.0, np.clip(c, 0.0, 1.0)), dtype=np.float64)


@dataclass(frozen=True)
class LoadPoint:
    """Steady state of one replica under a Poisson load (figures per GPU unless named).

    Attributes
    ----------
    qps : float
        Offered requests per second to the replica [1/s].
    utilisation : float
        ``qps`` over the maximum request rate at this shape [fraction].
    saturated : bool
        Whether ``qps`` reaches the maximum (then TTFT grows without bound: ``ttft_ms`` is inf).
    batch : float
        Mean sequences decoding [sequences].
    tpot_ms, ttft_ms : float
        Mean time per output token after the first, mean time to first token [ms].
    queue_ms : float
        Mean admission wait inside ``ttft_ms`` [ms].
    output_tok_s_per_gpu : float
        Output tokens per second per GPU served [tokens/s].
    power_w_per_gpu : float
        Board power per GPU [W].
    """

    qps: float
    utilisation: float
    saturated: bool
    batch: float
    tpot_ms: float
    ttft_ms: float
    queue_ms: float
    output_tok_s_per_gpu: float
    power_w_per_gpu: float


def _prefill_time(
    s: Setup, b: FloatArray, isl: int, osl: int, lam: FloatArray, tpot: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Prefill of one prompt at concurrency ``b`` and request rate ``lam`` [1/s].

    Service: half a step of alignment plus ``ceil(isl / chunk)`` steps that carry a chunk of
    ``min(isl, chunk)`` tokens beside the decodes (``chunk`` = token budget left by the decodes).
    Wait: prompts queue for the token budget, an M/D/1 queue whose server prefills ``chunk``
    tokens per full-budget step; a prompt needs ``isl`` of them.

    Returns
    -------
    tuple of ndarray
        Prefill time and prefill queue wait [ms] (``inf`` when the prefill server saturates).
    """
    budget = s.engine.limits(s.gpu, offline=False).max_num_tokens
    chunk = np.maximum(budget - b, 1.0)
    n_chunks = np.ceil(isl / chunk)
    bg = b * isl / osl  # other prompts' chunks sharing the step, on average
    pf = step_terms(s, b, np.minimum(isl, chunk) + bg, isl + osl / 2.0, isl / 2.0)["step_ms"]
    full = step_terms(s, b, chunk, isl + osl / 2.0, isl / 2.0)["step_ms"]
    service = isl * full / chunk  # [ms] of prefill server time per prompt
    rho = lam * service / 1e3
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = np.where(rho < 1.0, rho * service / (2.0 * (1.0 - rho)), np.inf)
    return 0.5 * tpot + n_chunks * pf, np.asarray(wait, dtype=np.float64)


def load_curve(
    s: Setup, isl: int, osl: int, qps: npt.ArrayLike, service_cv: float = 0.0
) -> dict[str, FloatArray]:
    """Mean TPOT, TTFT and concurrency at offered request rates ``qps`` (vectorised).

    See the module docstring for the model. Rates at or above the maximum give ``inf`` TTFT.

    Returns
    -------
    dict of ndarray
        ``qps``, ``batch``, ``tpot_ms``, ``prefill_ms`` (TTFT without the admission wait),
        ``ttft_ms``, ``queue_ms``, ``utilisation``, ``power_w`` (per GPU) and the scalars
        ``qps_max``, ``batch_max``.
    """
    _check_lengths(isl, osl)
    lam = np.atleast_1d(np.asarray(qps, dtype=np.float64))
    if np.any(~(lam > 0)):
        raise InputError.of("--qps", float(np.min(lam)), "a positive request rate [1/s]")
    lim = batch_limit(s, isl, osl, offline=False)
    b_max = float(lim["batch"])
    if b_max < 1.0:
        raise InputError.of("--tp", s.tp, "a TP degree that leaves KV memory for one sequence")
    # lambda(B) = B / (osl * t(B)) is increasing in B: invert it on a fine grid
    grid = np.concatenate([np.geomspace(1e-3, 1.0, 40), np.linspace(1.0, b_max, 600)[1:]])
    grid = np.unique(np.minimum(grid, b_max))
    t_grid = steady_step(s, grid, isl, osl)["step_ms"]
    lam_grid = grid * 1e3 / (osl * t_grid)
    lam_max = float(lam_grid[-1])
    b = np.interp(lam, lam_grid, grid)
    terms = steady_step(s, b, isl, osl)
    tpot = terms["step_ms"]
    prefill, wp = _prefill_time(s, b, isl, osl, lam, tpot)
    # admission wait: M/G/c, c = batch limit, service = osl decode steps
    c = max(math.floor(b_max), 1)
    service_ms = osl * tpot
    a = lam * service_ms / 1e3
    rho = a / c
    pw = erlang_c(c, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        wq = pw * service_ms / (c * (1.0 - rho)) * (1.0 + service_cv**2) / 2.0 + wp
    sat = lam >= lam_max * (1.0 - 1e-9)
    wq = np.where(sat | (rho >= 1.0), np.inf, wq)
    return {
        "qps": lam,
        "batch": b,
        "tpot_ms": tpot,
        "prefill_ms": prefill,
        "ttft_ms": prefill + wq,
        "queue_ms": wq,
        "utilisation": lam / lam_max,
        "power_w": _power_w(s, terms),
        "qps_max": np.asarray(lam_max),
        "batch_max": np.asarray(b_max),
    }


def load_point(s: Setup, isl: int, osl: int, qps: float) -> LoadPoint:
    """`load_curve` at one offered rate.

    Examples
    --------
    >>> p = load_point(setup("llama3-8b", "h100", "fp8"), 1000, 200, 5.0)
    >>> p.saturated, p.ttft_ms > p.tpot_ms
    (False, True)
    """
    r = load_curve(s, isl, osl, qps)
    lam = float(r["qps"][0])
    util = float(r["utilisation"][0])
    sat = util >= 1.0
    served = min(lam, float(r["qps_max"]))
    return LoadPoint(
        qps=lam,
        utilisation=util,
        saturated=sat,
        batch=float(r["batch"][0]),
        tpot_ms=float(r["tpot_ms"][0]),
        ttft_ms=float(r["ttft_ms"][0]),
        queue_ms=float(r["queue_ms"][0]),
        output_tok_s_per_gpu=served * osl / s.tp,
        power_w_per_gpu=float(r["power_w"][0]),
    )


def concurrency_point(s: Setup, isl: int, osl: int, clients: int) -> dict[str, float]:
    """Steady state with ``clients`` closed-loop clients (each sends its next request when the
    previous one completes; no think time).

    ``B = min(clients, batch limit)`` sequences decode; TPOT is the mean step at ``B``; a
    request's cycle is ``prefill + (osl - 1) * TPOT`` (Little's law gives the request rate
    ``B / cycle``); TTFT is the prefill (with its M/D/1 wait for the step token budget at that
    rate) plus, when clients exceed the batch limit, the wait for a slot ``(clients - B) /
    rate``.

    Returns
    -------
    dict
        ``batch``, ``tpot_ms``, ``ttft_ms`` [ms], ``requests_per_s`` [1/s],
        ``output_tok_s`` (whole replica) [tokens/s].

    Examples
    --------
    >>> r = concurrency_point(setup("llama3-8b", "h100", "fp8"), 1000, 1000, 1)
    >>> 5.0 < r["tpot_ms"] < 15.0
    True
    """
    _check_lengths(isl, osl)
    if clients < 1:
        raise InputError.of("clients", clients, "a positive number of concurrent requests")
    b_max = float(batch_limit(s, isl, osl, offline=False)["batch"])
    if b_max < 1.0:
        raise InputError.of("--tp", s.tp, "a TP degree that leaves KV memory for one sequence")
    b = np.asarray(min(float(clients), b_max))
    tpot = steady_step(s, b, isl, osl)["step_ms"]
    lam = np.asarray(0.0)
    prefill = np.asarray(0.0)
    for _ in range(50):  # fixed point: the prefill wait depends on the rate it sets
        prefill, wp = _prefill_time(s, b, isl, osl, lam, tpot)
        wp = np.minimum(wp, 1e9)
        lam_new = b * 1e3 / (prefill + wp + (osl - 1) * tpot)
        if abs(float(lam_new - lam)) < 1e-9 * float(lam_new):
            break
        lam = 0.5 * (lam + lam_new)
    prefill, wp = _prefill_time(s, b, isl, osl, lam, tpot)
    slot_wait = max(clients - float(b), 0.0) / float(lam) * 1e3
    return {
        "batch": float(b),
        "tpot_ms": float(tpot),
        "ttft_ms": float(prefill + wp) + slot_wait,
        "requests_per_s": float(lam),
        "output_tok_s": float(lam) * osl,
    }


def static_batch_latency_ms(s: Setup, batch: int, isl: int, osl: int) -> float:
    """End-to-end latency of one batch of ``batch`` prompts generated together [ms]: one prefill
    step of ``batch * isl`` tokens, then ``osl - 1`` decode steps at the mean context ``isl +
    osl / 2`` (``vllm bench latency`` / ``benchmark_latency.py``).

    Examples
    --------
    >>> s = setup("llama3-8b", "h100", "bf16", engine="vllm")
    >>> 500 < static_batch_latency_ms(s, 8, 32, 128) < 2000
    True
    """
    _check_lengths(isl, osl)
    pre = float(step_terms(s, 0.0, batch * isl, 0.0, isl / 2.0)["step_ms"])
    dec = float(step_terms(s, float(batch), 0.0, isl + osl / 2.0, 0.0)["step_ms"])
    return pre + (osl - 1) * dec


def slo_capacity(
    s: Setup,
    isl: int,
    osl: int,
    tpot_slo_ms: float,
    ttft_slo_ms: float,
    max_utilisation: float = 0.95,
) -> dict[str, float] | None:
    """Largest offered rate whose mean TPOT and TTFT meet the targets, at most
    ``max_utilisation`` of the maximum rate (headroom so that the queue stays finite when no
    TTFT target is set; assumption). None when even the lightest load misses a target.

    Returns
    -------
    dict or None
        ``qps``, ``batch`` (whole sequences), ``tpot_ms``, ``prefill_ms``, ``ttft_ms``,
        ``power_w`` (per GPU), ``qps_max``.
    """
    try:
        probe = load_curve(s, isl, osl, 1e-6)
    except InputError:
        return None
    lam_max = float(probe["qps_max"])
    rates = lam_max * np.linspace(0.002, max_utilisation, 400)
    r = load_curve(s, isl, osl, rates)
    ok = (r["tpot_ms"] <= tpot_slo_ms) & (r["ttft_ms"] <= ttft_slo_ms)
    idx = np.nonzero(ok)[0]
    if idx.size == 0:
        return None
    # the curves are monotone in the rate: the last feasible rate is the capacity; round its
    # concurrency down to whole sequences (slots) and take the rate that concurrency sustains,
    # so that rate = batch / (osl * step) holds exactly at the reported point
    i = int(idx[-1])
    b_int = max(math.floor(float(r["batch"][i]) + 1e-9), 1)
    step = float(steady_step(s, float(b_int), isl, osl)["step_ms"])
    qps = b_int * 1e3 / (osl * step)
    at = load_curve(s, isl, osl, qps)
    return {
        "qps": qps,
        "batch": float(b_int),
        "tpot_ms": step,
        "prefill_ms": float(at["prefill_ms"][0]),
        "ttft_ms": float(at["ttft_ms"][0]),
        "power_w": float(at["power_w"][0]),
        "qps_max": lam_max,
    }

