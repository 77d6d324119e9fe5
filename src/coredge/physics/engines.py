"""Serving engines: the documented scheduler and memory defaults that bound continuous batching.

Each `EngineSpec` holds the limits an engine applies by default, with the version and the
document they come from. None of these numbers is fitted: they are what the engine does when the
user changes nothing. The fitted efficiencies live in `coredge.physics.throughput.EngineFit`.

TensorRT-LLM (``trtllm``), version 0.17 (TensorRT engine path, C++ executor):

* ``max_batch_size`` 2048 and ``max_num_tokens`` 8192: ``trtllm-build`` defaults (TensorRT-LLM
  docs, "trtllm-build" command reference and "Tuning Max Batch Size and Max Num Tokens", 2025).
* ``kv_cache_free_gpu_mem_fraction`` 0.90 of the memory left after weights and buffers
  (``KvCacheConfig`` default; the 0.17 performance overview ran most cases at 0.95: `bench`).
* ``tokens_per_block`` 64: paged KV-cache block size (``trtllm-build --tokens_per_block``
  default).
* capacity scheduler ``GUARANTEED_NO_EVICT`` (executor ``SchedulerConfig`` default): a request is
  admitted only when blocks for its whole prompt + maximum output are free, so the KV cache is
  reserved for ``isl + osl`` tokens per sequence.
* in-flight batching: context (prefill) and generation requests run in the same step within
  ``max_num_tokens`` (docs, "Tuning Max Batch Size and Max Num Tokens").

TensorRT-LLM 0.12 (``trtllm-0.12``, 2024): the same defaults; a separate id because the older
runtime is slower at the same settings (longer steps, slower all-reduce: NVIDIA's own 0.12 and
0.17 tables differ by up to 20% on H100), so it has its own fitted efficiencies.

vLLM (``vllm``), version 0.9-0.11 (V1 engine):

* ``gpu_memory_utilization`` 0.90 of **total** memory for weights + activations + KV cache
  (``EngineArgs`` default).
* ``block_size`` 16 (``CacheConfig`` default on CUDA).
* ``max_num_seqs`` / ``max_num_batched_tokens``: ``EngineArgs.get_batch_defaults``: on GPUs with
  at least 70 GiB that are not A100, 1024 / 8192 for the OpenAI API server and 1024 / 16384 for
  the offline ``LLM`` class; otherwise 256 / 2048 (server) and 256 / 8192 (offline).
* chunked prefill always on (V1), prefill chunks share the step's token budget with decodes.
* KV blocks are allocated on demand (no reservation of the maximum output; preemption when the
  cache runs out), so a sequence holds on average ``isl + osl / 2`` tokens.

Runtime memory outside weights and KV cache (CUDA context, library workspaces, activation and
logits buffers) is modelled per step in `coredge.physics.throughput` from ``max_num_tokens`` and
``max_batch``; the fixed part is the assumption ``RUNTIME_RESERVE_GIB``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from coredge.catalog.accelerators import Accelerator
from coredge.errors import InputError

RUNTIME_RESERVE_GIB: float = 1.0
"""CUDA context, cuBLAS/NCCL workspaces per GPU [GiB] (assumption: typical 0.5-1.5 GiB)."""


@dataclass(frozen=True)
class EngineLimits:
    """Scheduler caps an engine applies on one accelerator.

    Attributes
    ----------
    max_batch : int
        Sequences in flight per replica (``max_batch_size`` / ``max_num_seqs``) [count].
    max_num_tokens : int
        Tokens (prefill + decode) per step per replica [tokens].
    """

    max_batch: int
    max_num_tokens: int


@dataclass(frozen=True)
class EngineSpec:
    """Documented defaults of one serving engine (see the module docstring for sources).

    Attributes
    ----------
    id, name, version : str
        Catalog id, display name and the version the defaults are quoted from.
    kv_memory_policy : str
        ``free_fraction`` (KV pool = ``kv_memory_frac`` x memory left after weights and buffers)
        or ``total_fraction`` (weights + buffers + KV pool = ``kv_memory_frac`` x total memory).
    kv_memory_frac : float
        The fraction of that policy [fraction].
    block_tokens : int
        Tokens per paged KV block [tokens].
    reserve_full_output : bool
        Whether a sequence's KV blocks are reserved for its maximum length on admission.
    limits_large, limits_small : EngineLimits
        Online-serving caps on large-memory GPUs and on the others (identical for engines whose
        defaults do not depend on the device).
    offline_large, offline_small : EngineLimits
        The same for offline batch runs (vLLM's ``LLM`` class).
    large_memory_gib : float
        Memory at or above which the ``*_large`` caps apply [GiB].
    small_override_ids : tuple of str
        Accelerators that always get the ``*_small`` caps (vLLM excludes A100).
    source : str
        Documents and versions.
    fit_id : str
        Key of the fitted efficiencies this engine uses (``engine_fit.json``,
        `coredge.physics.throughput.default_engine_fit`): each TensorRT-LLM version with H100
        measurements has its own; vLLM, with no offline H100 table in coredge, uses TensorRT-LLM's.
    """

    id: str
    name: str
    version: str
    kv_memory_policy: str
    kv_memory_frac: float
    block_tokens: int
    reserve_full_output: bool
    limits_large: EngineLimits
    limits_small: EngineLimits
    offline_large: EngineLimits
    offline_small: EngineLimits
    large_memory_gib: float
    small_override_ids: tuple[str, ...]
    source: str
    fit_id: str = "trtllm"

    def limits(self, gpu: Accelerator, offline: bool = False) -> EngineLimits:
        """Caps on ``gpu``: online serving (default) or an offline batch run.

        Examples
        --------
        >>> from coredge.catalog.accelerators import get_accelerator
        >>> get_engine("vllm").limits(get_accelerator("h100")).max_batch
        1024
        >>> get_engine("vllm").limits(get_accelerator("a100")).max_num_tokens
        2048
        """
        large = gpu.memory_gib >= self.large_memory_gib and gpu.id not in self.small_override_ids
        if offline:
            return self.offline_large if large else self.offline_small
        return self.limits_large if large else self.limits_small


_TRT = EngineLimits(max_batch=2048, max_num_tokens=8192)

_TRTLLM = EngineSpec(
    id="trtllm",
    name="TensorRT-LLM",
    version="0.17",
    kv_memory_policy="free_fraction",
    kv_memory_frac=0.90,
    block_tokens=64,
    reserve_full_output=True,
    limits_large=_TRT,
    limits_small=_TRT,
    offline_large=_TRT,
    offline_small=_TRT,
    large_memory_gib=0.0,
    small_override_ids=(),
    source="TensorRT-LLM 0.17 docs: trtllm-build defaults (max_batch_size 2048, "
    "max_num_tokens 8192, tokens_per_block 64), KvCacheConfig "
    "(free_gpu_memory_fraction 0.9), SchedulerConfig (GUARANTEED_NO_EVICT)",
)

ENGINES: dict[str, EngineSpec] = {
    e.id: e
    for e in (
        _TRTLLM,
        # the same defaults, its own fitted efficiencies (the older runtime)
        replace(
            _TRTLLM,
            id="trtllm-0.12",
            name="TensorRT-LLM 0.12",
            version="0.12.0",
            source="TensorRT-LLM 0.12.0 (2024): the build and runtime defaults of 0.17 "
            "(max_batch_size 2048, max_num_tokens 8192, tokens_per_block 64, free fraction 0.9, "
            "GUARANTEED_NO_EVICT); its efficiencies are fitted on the 0.12 H100 rows",
            fit_id="trtllm-0.12",
        ),
        EngineSpec(
            id="vllm",
            name="vLLM",
            version="0.9-0.11 (V1)",
            kv_memory_policy="total_fraction",
            kv_memory_frac=0.90,
            block_tokens=16,
            reserve_full_output=False,
            limits_large=EngineLimits(max_batch=1024, max_num_tokens=8192),
            limits_small=EngineLimits(max_batch=256, max_num_tokens=2048),
            offline_large=EngineLimits(max_batch=1024, max_num_tokens=16384),
            offline_small=EngineLimits(max_batch=256, max_num_tokens=8192),
            large_memory_gib=70.0,
            small_override_ids=("a100",),
            source="vLLM EngineArgs (gpu_memory_utilization 0.9, block_size 16) and "
            "EngineArgs.get_batch_defaults (>= 70 GiB and not A100: max_num_seqs 1024, "
            "max_num_batched_tokens 8192 server / 16384 LLM class; else 256, 2048 / 8192)",
        ),
    )
}
"""Engines by id."""

DEFAULT_ENGINE: str = "trtllm"
"""Default engine: TensorRT-LLM, the engine of NVIDIA's published H100/H200/B200 throughput
tables (TensorRT-LLM performance overview, 0.17 and 1.0) that coredge is calibrated on."""


def get_engine(engine_id: str, field: str = "--engine") -> EngineSpec:
    """Look up an engine by id (``trtllm``, ``vllm``; case-insensitive).

    Raises
    ------
    InputError
        For an unknown id.

    Examples
    --------
    >>> get_engine("TRTLLM").block_tokens
    64
    """
    try:
        return ENGINES[engine_id.lower()]
    except (KeyError, AttributeError):
        raise InputError.of(field, engine_id, "one of: " + ", ".join(ENGINES)) from None
