"""Serving fidelity 2: continuous batching at the replicas of one pool (event-driven, numba).

The fast **slot model** (`coredge.sim.kernel`) treats a replica as ``B`` independent servers,
each holding a request for a fixed ``prefill(B) + tokens x step(B)`` (the serving profile at the
planner's batch). The **batching model** here follows each replica iteration by iteration:

* requests wait in one FIFO queue per pool; a replica with a free slot admits waiting requests
  at the start of each iteration (an idle replica starts at once when a request arrives);
* an iteration lasts ``prefill(n_new) + step(b)``: the prompts admitted in it are prefilled
  (``n_new`` of them together) and all ``b`` active sequences decode one token; the new ones
  get their first token at its end;
* a request leaves after its last output token, freeing its slot.

So ``TTFT = RTT + queueing + (iteration alignment) + prefill(n_new) + step(b)`` and the
time per output token is the iteration time, which changes as requests join and leave: it grows
with the number active and with the prefills interleaved (a new prompt delays every active
sequence: what chunked-prefill schedulers spread out, and what the slot model folds into the
service time).

Where they differ: at light load a replica holds ~1 request, so the batching model serves at
``step(1)`` and ``prefill(1)`` (faster than the slot model's batch-B figures); near capacity the
batch fills and the two converge in throughput; with ``prefill`` and ``step`` constant, each
request's service is the same in both and only the iteration alignment (< one iteration)
differs. It is pure Python data + a compiled loop (one pool, ~1e7 iterations/s), meant for
detail on small networks, not for the busy hour of a whole plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

FloatArray = npt.NDArray[np.float64]


@njit(cache=True)
def _run(arr: np.ndarray, tokens: np.ndarray, n_rep: int, b_max: int, pre_tab: np.ndarray,
         step_tab: np.ndarray, admit: np.ndarray, ttft: np.ndarray, done: np.ndarray,
         batch_sum: np.ndarray) -> None:  # pragma: no cover - compiled
    n = arr.shape[0]
    act = np.full((n_rep, b_max), -1, dtype=np.int64)
    left = np.zeros((n_rep, b_max), dtype=np.int64)
    nact = np.zeros(n_rep, dtype=np.int64)
    t_next = np.full(n_rep, math.inf)
    q_head = 0
    i = 0
    while True:
        r = -1
        tm = math.inf
        for k in range(n_rep):
            if t_next[k] < tm:
                tm = t_next[k]
                r = k
        if i < n and arr[i] < tm:
            t = arr[i]
            i += 1
            if q_head == i - 1:  # queue was empty: an idle replica starts at once
                for k in range(n_rep):
                    if nact[k] == 0:
                        act[k, 0] = i - 1
                        left[k, 0] = tokens[i - 1]
                        nact[k] = 1
                        admit[i - 1] = t
                        q_head = i
                        t_next[k] = t + pre_tab[1] + step_tab[1]
                        break
            continue
        if r < 0:
            break
        t = tm
        b_now = nact[r]
        for s in range(b_max):
            q = act[r, s]
            if q >= 0:
                if math.isnan(ttft[q]):
                    ttft[q] = t
                batch_sum[q] += b_now
                left[r, s] -= 1
                if left[r, s] <= 0:
                    done[q] = t
                    act[r, s] = -1
                    nact[r] -= 1
        new = 0
        for s in range(b_max):
            if act[r, s] < 0 and q_head < i:
                act[r, s] = q_head
                left[r, s] = tokens[q_head]
                admit[q_head] = t
                q_head += 1
                nact[r] += 1
                new += 1
        if nact[r] > 0:
            t_next[r] = t + pre_tab[new] + step_tab[nact[r]]
        else:
            t_next[r] = math.inf


@dataclass(frozen=True)
class BatchingResult:
    """Per-request outcome of `simulate_pool` (times from arrival, without RTT) [ms].

    Attributes
    ----------
    wait_ms : ndarray
        Queueing until admitted to a replica.
    ttft_ms : ndarray
        Time to first token.
    e2e_ms : ndarray
        Time to last token.
    tpot_ms : ndarray
        ``(e2e - ttft) / (tokens - 1)`` (NaN for one-token requests).
    mean_batch : ndarray
        Mean number of active sequences over the request's iterations [-].
    """

    wait_ms: FloatArray
    ttft_ms: FloatArray
    e2e_ms: FloatArray
    tpot_ms: FloatArray
    mean_batch: FloatArray


def simulate_pool(
    arr_ms: npt.ArrayLike,
    tokens: npt.ArrayLike,
    replicas: int,
    batch_max: int,
    prefill_ms_by_new: npt.ArrayLike,
    step_ms_by_batch: npt.ArrayLike,
) -> BatchingResult:
    """Continuous batching at one pool of identical replicas (see module docstring).

    Parameters
    ----------
    arr_ms : array_like, shape (n,)
        Arrival times, nondecreasing [ms].
    tokens : array_like of int, shape (n,)
        Output tokens per request (>= 1) [tokens].
    replicas : int
        Replicas in the pool [-].
    batch_max : int
        Most sequences a replica holds (``max_batch``) [-].
    prefill_ms_by_new : array_like, shape (batch_max + 1,)
        Prefill time of ``n`` new prompts, ``n = 0 .. batch_max`` [ms] (entry 0 is 0).
    step_ms_by_batch : array_like, shape (batch_max + 1,)
        Decode step time at batch ``b``, ``b = 0 .. batch_max`` [ms].

    Returns
    -------
    BatchingResult

    Examples
    --------
    >>> r = simulate_pool([0.0], [3], 1, 4, [0, 5, 6, 7, 8], [0, 2, 2, 2, 2])
    >>> float(r.ttft_ms[0]), float(r.e2e_ms[0])
    (7.0, 11.0)
    """
    arr = np.ascontiguousarray(arr_ms, dtype=np.float64)
    tok = np.ascontiguousarray(tokens, dtype=np.int64)
    pre = np.ascontiguousarray(prefill_ms_by_new, dtype=np.float64)
    step = np.ascontiguousarray(step_ms_by_batch, dtype=np.float64)
    if replicas < 1 or batch_max < 1:
        raise ValueError("replicas and batch_max must be >= 1")
    if pre.shape != (batch_max + 1,) or step.shape != (batch_max + 1,):
        raise ValueError("prefill_ms_by_new and step_ms_by_batch need batch_max + 1 entries")
    if len(arr) != len(tok) or (len(tok) and tok.min() < 1) or np.any(np.diff(arr) < 0):
        raise ValueError("arrivals must be sorted and tokens >= 1, one per arrival")
    n = len(arr)
    admit = np.full(n, math.nan)
    ttft = np.full(n, math.nan)
    done = np.full(n, math.nan)
    bsum = np.zeros(n)
    _run(arr, tok, int(replicas), int(batch_max), pre, step, admit, ttft, done, bsum)
    with np.errstate(invalid="ignore", divide="ignore"):
        tpot = np.where(tok > 1, (done - ttft) / (tok - 1), math.nan)
    return BatchingResult(admit - arr, ttft - arr, done - arr, tpot, bsum / tok)


def serving_tables(
    model: str,
    gpu: str,
    tokens_in: int,
    tokens_out: int,
    tp: int,
    dtype: str,
    batch_max: int,
    engine: str = "trtllm",
) -> tuple[FloatArray, FloatArray]:
    """``prefill_ms_by_new`` and ``step_ms_by_batch`` from the engine step model.

    The step of ``b`` decoding sequences at the mean context ``tokens_in + tokens_out / 2`` is
    `coredge.physics.throughput.step_terms` (weights, KV, all-reduce and the engine's per-step
    overheads); the prefill of ``n`` prompts is what ``n * tokens_in`` prompt tokens add to a step
    (the same model's step with those tokens, less the empty step, so weight reads and overheads
    are counted once per iteration). The engine's batch and token-budget limits are the caller's:
    ``batch_max`` is taken as given.

    Returns
    -------
    tuple of ndarray, each shape (batch_max + 1,)
        [ms]; entry 0 is 0.

    Examples
    --------
    >>> pre, step = serving_tables("llama3-8b", "h100", 512, 128, 1, "fp8", 8)
    >>> bool(step[8] > step[1] > 0 and pre[2] > pre[1] > 0)
    True
    """
    from coredge.physics.throughput import setup, step_terms

    s = setup(model, gpu, dtype, tp, engine)
    n = np.arange(batch_max + 1, dtype=np.float64)
    ctx_dec, ctx_pre = tokens_in + tokens_out / 2.0, tokens_in / 2.0
    step = np.asarray(step_terms(s, n, 0.0, ctx_dec, ctx_pre)["step_ms"], dtype=np.float64)
    with_prompts = step_terms(s, 0.0, n * tokens_in, ctx_dec, ctx_pre)["step_ms"]
    empty = float(step_terms(s, 0.0, 0.0, ctx_dec, ctx_pre)["step_ms"])
    pre = np.asarray(with_prompts, dtype=np.float64) - empty
    pre[0] = 0.0
    step[0] = 0.0
    return pre, step
