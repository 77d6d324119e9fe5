"""Benchmark: vectorised decode-step model vs the same model called point by point (the peer).

Run: python benchmarks/bench_physics.py
Also times capacity_point (the planner's per-(model, GPU, workload) call) with a cold cache.
"""

from __future__ import annotations

import time

import numpy as np

from coredge.physics import serving as sv


def main() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    b = rng.integers(1, 256, n).astype(np.float64)
    c = rng.integers(128, 8192, n).astype(np.float64)
    sv.decode_step_ms("llama3-8b", "h100", 1, 1)  # load the fit
    t0 = time.perf_counter()
    vec = sv.decode_step_ms("llama3-8b", "h100", b, c)
    t_vec = time.perf_counter() - t0
    m = 2_000
    t0 = time.perf_counter()
    loop = [float(sv.decode_step_ms("llama3-8b", "h100", b[i], c[i])) for i in range(m)]
    t_loop = (time.perf_counter() - t0) * n / m
    assert np.allclose(vec[:m], loop)
    print(
        f"decode_step_ms, {n} points: vectorised {t_vec * 1e3:.2f} ms; "
        f"point-by-point {t_loop * 1e3:.0f} ms (extrapolated from {m}); ratio {t_loop / t_vec:.0f}x"
    )
    sv.capacity_point.cache_clear()
    t0 = time.perf_counter()
    k = 0
    for model in ("llama3-8b", "llama3-70b", "mixtral-8x7b"):
        for gpu in ("a100", "h100", "h200", "b200", "gb200"):
            for n_in, n_out, tpot in ((512, 256, 50.0), (2048, 512, 30.0), (128, 64, 20.0)):
                sv.capacity_point(model, gpu, n_in, n_out, tpot, 2000.0)
                k += 1
    t_cap = time.perf_counter() - t0
    print(f"capacity_point, {k} cold calls: {t_cap * 1e3:.0f} ms ({t_cap / k * 1e3:.1f} ms/call)")


if __name__ == "__main__":
    main()
