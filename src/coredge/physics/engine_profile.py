"""What ``coredge profile --isl --osl [--qps]`` prints: the engine model's offline maximum and
its steady state under a Poisson load (`coredge.physics.throughput`)."""

from __future__ import annotations

import math
from typing import Any

from coredge.errors import InputError
from coredge.physics.engines import get_engine
from coredge.physics.throughput import (
    batch_limit,
    best_max_throughput,
    kv_pool_tokens,
    load_point,
    max_throughput,
    setup,
)

QUEUE_MODEL = (
    "continuous-batching queueing model: concurrency from Little's law on the decode phase, "
    "TPOT = mean mixed prefill/decode step, TTFT = prefill steps + M/G/c admission wait "
    "(Erlang C, Allen-Cunneen, deterministic service)"
)
"""How `engine_profile` computes the figures under load (printed in its output)."""


def engine_profile(
    model: str,
    gpu: str,
    dtype: str,
    isl: int,
    osl: int,
    tp: int | None = None,
    engine: str = "trtllm",
    qps: float | None = None,
) -> dict[str, Any]:
    """What ``coredge profile --isl --osl`` prints: offline maximum throughput and, with ``qps``,
    the steady state at that offered load (requests/s to one replica of ``tp`` GPUs).

    Parameters
    ----------
    model, gpu, dtype : str
        Catalog ids and weight dtype.
    isl, osl : int
        Prompt and output tokens per request [tokens].
    tp : int, optional
        Tensor-parallel degree; default the one with the most output tokens/s per GPU offline.
    engine : str
        ``trtllm`` or ``vllm``.
    qps : float, optional
        Offered Poisson request rate to one replica [1/s].

    Returns
    -------
    dict
        ``max_output_tok_s_per_gpu`` [tokens/s], ``batch`` [sequences], ``tp``, ``binding``,
        ``step_ms`` [ms], ``max_requests_per_s`` [1/s], ``power_w_per_gpu`` [W], engine limits,
        ``kv_pool_tokens`` [tokens], ``kv_batch`` (sequences the KV memory holds),
        and with ``qps``: ``qps``, ``ttft_ms``, ``tpot_ms``, ``queue_ms`` [ms],
        ``output_tok_s_per_gpu`` [tokens/s], ``utilisation``, ``saturated``, ``load_batch``,
        ``load_model``. ``ttft_ms`` is None when the load saturates the replica.

    Examples
    --------
    >>> d = engine_profile("llama3-8b", "h100", "fp8", 2048, 128)
    >>> d["tp"], d["binding"]
    (1, 'kv_memory')
    """
    get_engine(engine, "--engine")
    if tp is None:
        off = best_max_throughput(model, gpu, dtype, isl, osl, engine)
        tp = off.tp
    s = setup(model, gpu, dtype, tp, engine)
    off = max_throughput(s, isl, osl)
    lim_off = s.engine.limits(s.gpu, offline=True)
    lim_on = s.engine.limits(s.gpu, offline=False)
    out: dict[str, Any] = {
        "engine": s.engine.id,
        "engine_version": s.engine.version,
        "isl": isl,
        "osl": osl,
        "tp": tp,
        "max_output_tok_s_per_gpu": off.output_tok_s_per_gpu,
        "batch": off.batch,
        "binding": off.binding,
        "step_ms": off.step_ms,
        "max_requests_per_s": off.requests_per_s,
        "power_w_per_gpu": off.power_w_per_gpu,
        "offline_max_batch": lim_off.max_batch,
        "offline_max_num_tokens": lim_off.max_num_tokens,
        "kv_pool_tokens": kv_pool_tokens(s, lim_off),
        "kv_batch": int(batch_limit(s, isl, osl, offline=True)["kv_batch"]),
    }
    if qps is not None:
        if not qps > 0:
            raise InputError.of("--qps", qps, "a positive request rate [1/s]")
        lp = load_point(s, isl, osl, float(qps))
        out.update(
            {
                "qps": lp.qps,
                "ttft_ms": None if not math.isfinite(lp.ttft_ms) else lp.ttft_ms,
                "tpot_ms": lp.tpot_ms,
                "queue_ms": None if not math.isfinite(lp.queue_ms) else lp.queue_ms,
                "output_tok_s_per_gpu": lp.output_tok_s_per_gpu,
                "utilisation": lp.utilisation,
                "saturated": lp.saturated,
                "load_batch": lp.batch,
                "online_max_batch": lim_on.max_batch,
                "online_max_num_tokens": lim_on.max_num_tokens,
                "load_power_w_per_gpu": lp.power_w_per_gpu,
                "load_model": QUEUE_MODEL,
            }
        )
    return out
