"""Engine model: continuous batching with prefill, engine limits, queueing under load."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coredge.catalog.accelerators import get_accelerator
from coredge.errors import InputError
from coredge.physics import throughput as th
from coredge.physics.engine_calibration import fit_engine
from coredge.physics.engines import ENGINES, get_engine


def test_engine_limits_are_the_documented_defaults() -> None:
    trt, vllm = get_engine("trtllm"), get_engine("vllm")
    h100, a100, l4 = (get_accelerator(g) for g in ("h100", "a100", "l4"))
    assert (trt.limits(h100).max_batch, trt.limits(h100).max_num_tokens) == (2048, 8192)
    assert (trt.block_tokens, trt.kv_memory_frac, trt.reserve_full_output) == (64, 0.9, True)
    assert (vllm.block_tokens, vllm.kv_memory_frac, vllm.reserve_full_output) == (16, 0.9, False)
    assert (vllm.limits(h100).max_batch, vllm.limits(h100).max_num_tokens) == (1024, 8192)
    assert vllm.limits(h100, offline=True).max_num_tokens == 16384
    # vLLM keeps the small defaults on A100 (excluded by name) and on cards under 70 GiB
    for g in (a100, l4):
        assert (vllm.limits(g).max_batch, vllm.limits(g).max_num_tokens) == (256, 2048)
    assert set(ENGINES) == {"trtllm", "trtllm-0.12", "vllm"}
    with pytest.raises(InputError, match="--engine"):
        get_engine("tgi")


def test_offline_throughput_counts_prefill_and_engine_caps() -> None:
    s = th.setup("llama3-8b", "h100", "fp8")
    decode_heavy = th.max_throughput(s, 128, 2048)
    prefill_heavy = th.max_throughput(s, 2048, 128)
    # a prompt of 2048 tokens costs ~16x the compute of its 128 outputs: far fewer tokens/s
    assert prefill_heavy.output_tok_s_per_gpu < decode_heavy.output_tok_s_per_gpu / 3
    short = th.max_throughput(s, 128, 128)
    assert short.binding == "max_batch" and short.batch == 2048
    # the batch is never above any cap, and more sequences per step never lower the rate
    lim = th.batch_limit(s, 2048, 128)
    assert lim["batch"] <= min(lim["kv_batch"], lim["engine_batch"], lim["token_batch"])
    b = np.linspace(1, lim["batch"], 50)
    rate = b / th.steady_step(s, b, 2048, 128)["step_ms"]
    assert np.all(np.diff(rate) > 0)
    with pytest.raises(InputError, match="--tp"):
        th.max_throughput(th.setup("llama3-70b", "h100", "bf16", 1), 128, 128)


def test_kv_policies() -> None:
    trt = th.setup("llama3-8b", "h100", "fp8", 1, "trtllm")
    vl = th.setup("llama3-8b", "h100", "fp8", 1, "vllm")
    # no-evict reserves the whole output in 64-token blocks; on-demand holds half the output
    assert th.tokens_held(trt, 100, 1000) == 1152
    assert th.tokens_held(vl, 100, 1000) == pytest.approx(100 + 500 + 8)
    # vLLM's pool is a share of total memory, TensorRT-LLM's a share of what weights leave
    lim = trt.engine.limits(trt.gpu)
    assert th.kv_pool_tokens(vl, lim) < th.kv_pool_tokens(trt, lim)


def test_datasheet_transfer() -> None:
    h100 = th.setup("llama3-70b", "h100", "fp8", 1)
    h200 = th.setup("llama3-70b", "h200", "fp8", 1)
    # memory-bound long decode: H200's memory (141 GB, 4.8 TB/s) raises throughput a lot
    assert th.max_throughput(h200, 128, 2048).output_tok_s_per_gpu > 3 * th.max_throughput(
        h100, 128, 2048
    ).output_tok_s_per_gpu
    # compute-bound short shape at the engine's batch cap: same tensor peak, similar figure
    a = th.max_throughput(th.setup("llama3-8b", "h100", "fp8"), 128, 128).output_tok_s_per_gpu
    b = th.max_throughput(th.setup("llama3-8b", "h200", "fp8"), 128, 128).output_tok_s_per_gpu
    assert b == pytest.approx(a, rel=0.1)


def test_erlang_c() -> None:
    # M/M/2 at offered load 1: P(wait) = 1/3; M/M/1: P(wait) = rho
    assert float(th.erlang_c(2, np.array(1.0))) == pytest.approx(1.0 / 3.0)
    assert float(th.erlang_c(1, np.array(0.7))) == pytest.approx(0.7)
    assert float(th.erlang_c(4, np.array(4.0))) == 1.0


def test_load_curve_is_monotone_and_saturates() -> None:
    s = th.setup("llama3-8b", "h100", "fp8")
    qmax = float(th.load_curve(s, 1000, 200, 1.0)["qps_max"])
    r = th.load_curve(s, 1000, 200, np.linspace(0.01, 0.99, 30) * qmax)
    for k in ("tpot_ms", "ttft_ms", "batch"):
        assert np.all(np.diff(r[k]) >= -1e-9), k
    # light load: TTFT about one prefill, TPOT about one decode step of a small batch
    light = th.load_point(s, 1000, 200, 0.01)
    assert light.queue_ms < 0.01 and light.ttft_ms < 100.0 and light.tpot_ms < 15.0
    assert light.output_tok_s_per_gpu == pytest.approx(0.01 * 200)
    sat = th.load_point(s, 1000, 200, 2 * qmax)
    assert sat.saturated and math.isinf(sat.ttft_ms)
    assert sat.output_tok_s_per_gpu == pytest.approx(qmax * 200)
    with pytest.raises(InputError, match="--qps"):
        th.load_curve(s, 1000, 200, -1.0)


def test_slo_capacity_meets_targets() -> None:
    s = th.setup("llama3-8b", "h100", "bf16")
    c = th.slo_capacity(s, 800, 200, 40.0, 300.0)
    assert c is not None and c["tpot_ms"] <= 40.0 and c["ttft_ms"] <= 300.0
    assert c["qps"] == pytest.approx(c["batch"] * 1e3 / (200 * c["tpot_ms"]))
    assert th.slo_capacity(s, 800, 200, 1.0, 300.0) is None


@pytest.mark.parametrize("engine", ["trtllm", "trtllm-0.12"])
def test_fit_reproduces_shipped_engine_fit(engine: str) -> None:
    shipped = th.default_engine_fit(engine)
    fit = fit_engine(engine=engine)
    assert fit.compute_eff == pytest.approx(shipped.compute_eff, abs=1e-4)
    assert fit.step_overhead_ms == pytest.approx(shipped.step_overhead_ms, abs=1e-3)
    assert fit.link_eff == pytest.approx(shipped.link_eff, abs=1e-4)
    # physical: a share of peak, a few ms of host time per step
    assert 0.3 < fit.compute_eff < 0.8 and 0.0 <= fit.step_overhead_ms < 10.0


def test_older_engine_is_slower_on_the_same_gpu() -> None:
    # TensorRT-LLM 0.12's fitted runtime: longer steps and slower all-reduce than 0.17's, so
    # the same model, GPU and TP gives fewer tokens/s (NVIDIA's own H100 tables show it)
    new, old = (th.default_engine_fit(e) for e in ("trtllm", "trtllm-0.12"))
    assert old.step_overhead_ms > new.step_overhead_ms and old.link_eff < new.link_eff
    for tp in (1, 4):
        a = th.max_throughput(th.setup("llama3-70b", "h100", "fp8", tp, "trtllm"), 128, 2048)
        b = th.max_throughput(th.setup("llama3-70b", "h100", "fp8", tp, "trtllm-0.12"), 128, 2048)
        assert b.output_tok_s_per_gpu < a.output_tok_s_per_gpu


def test_closed_loop_and_static_batch() -> None:
    s = th.setup("llama3-70b", "h100", "fp8", 2)
    b_max = th.batch_limit(s, 5000, 500)["batch"]
    below = th.concurrency_point(s, 5000, 500, 10)
    above = th.concurrency_point(s, 5000, 500, int(b_max) + 100)
    # beyond the batch limit, extra clients wait for a slot: TTFT jumps, TPOT and rate saturate
    assert above["batch"] == b_max and above["ttft_ms"] > 10 * below["ttft_ms"]
    assert above["tpot_ms"] > below["tpot_ms"]
    again = th.concurrency_point(s, 5000, 500, int(b_max) + 200)
    assert again["requests_per_s"] == pytest.approx(above["requests_per_s"])
    v = th.setup("llama3-8b", "h200", "bf16", 1, "vllm")
    one = th.static_batch_latency_ms(v, 1, 32, 128)
    eight = th.static_batch_latency_ms(v, 8, 32, 128)
    assert one < eight < 8 * one  # batching is nearly free while decode is memory-bound
