"""Serving engine model against published engine measurements (check ``serving``).

Offline maximum throughput (`coredge.physics.throughput.max_throughput`) against NVIDIA's
TensorRT-LLM tables (``data/engines_trtllm_max_throughput.csv``), each row predicted with the
engine of its version (`coredge.physics.engine_calibration.engine_for_version`: ``trtllm-0.12``
for 0.12, ``trtllm`` for 0.17 and 1.0): the fitted H100 rows, the held-out H100 rows of each
version, and the other GPUs (TensorRT-LLM 0.12: H200, A100, L40S; 1.0: H200, B200, GB200; never
fitted) by version, GPU and shape group. Latency under load against NIM's closed-loop sweep on 2 x H100 (held out) and vLLM's CI
latency tests on H200 (``data/engines_latency_under_load.csv``). The hold-out rule is
`coredge.physics.engine_calibration.HOLDOUT_RULE`; docs/serving.md shows the same figures.

Tolerances (`TOLERANCES`) are the errors coredge promises on these data; the test suite fails
when an error grows past them.
"""

from __future__ import annotations

import pandas as pd

from coredge.data import engine_latency_table, engine_throughput_table
from coredge.physics.engine_calibration import predict
from coredge.physics.throughput import concurrency_point, setup, static_batch_latency_ms
from coredge.validation import ErrorStat, error_stat, register

_TRT_SRC = "NVIDIA TensorRT-LLM performance overview (perf-overview.md), TensorRT-LLM {v}"
_MODEL_TPUT = "serving: offline max output tok/s per GPU"
_MODEL_LAT = "serving: mean latency under load"

TOLERANCES: dict[tuple[str, str], tuple[float, float]] = {
    # (dataset, subset): (max median %, max P90 %): the achieved error plus a small margin
    ("trtllm-0.17 H100", "fit"): (12.0, 18.0),
    ("trtllm-0.17 H100", "held-out"): (8.0, 14.0),
    ("trtllm-0.12 H100", "fit"): (15.0, 32.0),
    ("trtllm-0.12 H100", "held-out"): (12.0, 32.0),
    ("trtllm-0.12 other GPUs", "all (held-out)"): (12.0, 33.0),
    ("trtllm-0.12 other GPUs", "h200"): (10.0, 26.0),
    ("trtllm-0.12 other GPUs", "a100"): (17.0, 41.0),
    ("trtllm-0.12 other GPUs", "l40s"): (13.0, 28.0),
    ("trtllm-1.0 H100", "held-out"): (10.0, 22.0),
    ("trtllm-1.0 other GPUs", "all (held-out)"): (18.0, 40.0),
    ("trtllm-1.0 other GPUs", "h200"): (6.0, 15.0),
    ("trtllm-1.0 other GPUs", "b200"): (30.0, 42.0),
    ("trtllm-1.0 other GPUs", "gb200"): (30.0, 42.0),
    ("trtllm all other GPUs", "all (held-out)"): (15.0, 37.0),
    ("trtllm all other GPUs", "decode-heavy (osl > isl)"): (15.0, 40.0),
    ("trtllm all other GPUs", "prefill-heavy (isl > osl)"): (17.0, 37.0),
    ("trtllm all other GPUs", "balanced (isl = osl)"): (15.0, 29.0),
    ("NIM 1.8.0 2xH100 TTFT", "held-out"): (8.0, 35.0),
    ("NIM 1.8.0 2xH100 TPOT", "held-out"): (14.0, 20.0),
    ("vLLM CI H200 end-to-end", "held-out"): (25.0, 40.0),
}
"""Documented tolerances per (dataset, subset) [%]."""


def _stat(model: str, dataset: str, subset: str, pred: pd.Series, meas: pd.Series, src: str) -> ErrorStat:
    med, p90 = TOLERANCES[(dataset, subset)]
    return error_stat(model, dataset, subset, pred.to_numpy(), meas.to_numpy(), src, "2025", med, p90)


def _shape_group(isl: int, osl: int) -> str:
    if osl > isl:
        return "decode-heavy (osl > isl)"
    if isl > osl:
        return "prefill-heavy (isl > osl)"
    return "balanced (isl = osl)"


def throughput_stats() -> list[ErrorStat]:
    """Offline maximum throughput: fit, held-out H100, other GPUs by version, GPU and shape."""
    t = predict(engine_throughput_table())
    t = t.assign(version=t["version"].astype(str))
    y, p = "output_tok_s_per_gpu", "predicted"
    out: list[ErrorStat] = []
    v17 = t[t["version"] == "0.17"]
    src17 = _TRT_SRC.format(v="0.17 (H100 SXM, FP8)")
    for split, name in (("fit", "fit"), ("heldout", "held-out")):
        g = v17[v17["split"] == split]
        out.append(_stat(_MODEL_TPUT, "trtllm-0.17 H100", name, g[p], g[y], src17))
    for v, gpus, what in (
        ("0.12", ("h200", "a100", "l40s"), "0.12.0 (H100/H200/L40S FP8, H100/A100 16-bit)"),
        ("1.0", ("h200", "b200", "gb200"), "1.0 (H100/H200 FP8, B200/GB200 NVFP4)"),
    ):
        src = _TRT_SRC.format(v=what)
        tv = t[t["version"] == v]
        h = tv[tv["gpu"] == "h100"]
        for split, name in (("fit", "fit"), ("heldout", "held-out")):
            g = h[h["split"] == split]
            if len(g):
                out.append(_stat(_MODEL_TPUT, f"trtllm-{v} H100", name, g[p], g[y], src))
        o = tv[tv["gpu"] != "h100"]
        out.append(_stat(_MODEL_TPUT, f"trtllm-{v} other GPUs", "all (held-out)", o[p], o[y], src))
        for gpu in gpus:
            g = o[o["gpu"] == gpu]
            out.append(_stat(_MODEL_TPUT, f"trtllm-{v} other GPUs", gpu, g[p], g[y], src))
    src_all = _TRT_SRC.format(v="0.12.0 and 1.0")
    o = t[t["gpu"] != "h100"]
    out.append(_stat(_MODEL_TPUT, "trtllm all other GPUs", "all (held-out)", o[p], o[y], src_all))
    groups = [_shape_group(int(a), int(b)) for a, b in zip(o["isl"], o["osl"], strict=True)]
    o = o.assign(group=groups)
    for grp in ("decode-heavy (osl > isl)", "prefill-heavy (isl > osl)", "balanced (isl = osl)"):
        g = o[o["group"] == grp]
        out.append(_stat(_MODEL_TPUT, "trtllm all other GPUs", grp, g[p], g[y], src_all))
    return out


def latency_predictions() -> pd.DataFrame:
    """The latency table with a ``predicted`` column [ms]."""
    t = engine_latency_table()
    pred = []
    for r in t.to_dict("records"):
        s = setup(str(r["model"]), str(r["gpu"]), str(r["dtype"]), int(r["tp"]), str(r["engine"]))
        isl, osl, n = int(r["isl"]), int(r["osl"]), int(r["load_value"])
        if r["load"] == "clients":
            cp = concurrency_point(s, isl, osl, n)
            pred.append(cp[str(r["metric"])])
        else:
            pred.append(static_batch_latency_ms(s, n, isl, osl))
    return t.assign(predicted=pred)


def latency_stats() -> list[ErrorStat]:
    """Mean TTFT and TPOT on the NIM sweep (H100, held out), end-to-end latency on H200."""
    t = latency_predictions()
    nim = "NVIDIA NIM LLMs Benchmarking, Performance (NIM 1.8.0, Llama 3.3 70B, 2 x H100 FP8)"
    ci = "vLLM performance benchmark CI, Buildkite build 9515, latency tests (H200)"
    out = []
    for metric, name in (("ttft_ms", "NIM 1.8.0 2xH100 TTFT"), ("tpot_ms", "NIM 1.8.0 2xH100 TPOT")):
        g = t[(t["source"] == "nim-1.8.0") & (t["metric"] == metric)]
        out.append(_stat(_MODEL_LAT, name, "held-out", g["predicted"], g["value_ms"], nim))
    g = t[t["source"] == "vllm-ci-9515"]
    out.append(
        _stat(_MODEL_LAT, "vLLM CI H200 end-to-end", "held-out", g["predicted"], g["value_ms"], ci)
    )
    return out


@register("serving")
def serving_check() -> list[ErrorStat]:
    """Every serving statistic (throughput, then latency)."""
    return throughput_stats() + latency_stats()
