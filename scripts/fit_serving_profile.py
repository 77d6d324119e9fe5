"""Fit coredge's serving model to a measured GPU profile and store the parameters.

Usage (from the repository root)::

    python scripts/fit_serving_profile.py [PROFILE_JSON] [--out src/coredge/physics/serving_fit.json]

PROFILE_JSON defaults to ``../shared/calibration/h100_sxm_profile.json`` (measured by
``shared/calibration/gpu_profile.py``). The fit is deterministic (least squares on relative errors,
fixed starting point), so rerunning it reproduces ``serving_fit.json`` up to the date stamp.

Three stages, each on relative error:
1. decode step time (every ``decode`` and ``decode_70b_slice`` point): bandwidth efficiency,
   per-layer and per-step overhead;
2. prefill time (every ``prefill`` point): compute efficiency (used for decode GEMMs too: every
   measured decode point is memory-bound), overheads from stage 1; stages 1-2 alternate 4 times;
3. board power (decode + prefill points): activity weights and the sustained-limit share of TDP;
   the idle share is the measured idle power over the power limit.
The 70B entry is an 8-layer slice (+ LM head): it is modelled as a Llama-3-70B with 8 layers.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from coredge.catalog.accelerators import ACCELERATORS, Accelerator
from coredge.catalog.llm_models import LLMModel, get_model
from coredge.physics.serving import (
    ServingFit,
    decode_power_w,
    decode_step_ms,
    prefill_ms,
    prefill_power_w,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PROFILE = REPO / ".." / "shared" / "calibration" / "h100_sxm_profile.json"
DEFAULT_OUT = REPO / "src" / "coredge" / "physics" / "serving_fit.json"


def _model(row: dict[str, Any]) -> LLMModel:
    """The catalog shape, cut to the number of layers that was timed."""
    return dataclasses.replace(get_model(row["model"]), layers=int(row["layers"]))


def _gpu(profile: dict[str, Any]) -> Accelerator:
    name = profile["device"]["name"]
    if "H100" not in name:
        raise SystemExit(f"only H100 profiles are mapped to a catalog entry so far (got {name!r})")
    limit = float(profile["device"].get("power_limit_w", 700.0))
    return dataclasses.replace(ACCELERATORS["h100"], tdp_w=limit)


def fit_profile(profile: dict[str, Any]) -> ServingFit:
    """Fit all parameters on one measured profile (see the module docstring)."""
    gpu = _gpu(profile)
    decode = [r for r in profile["decode"] + profile["decode_70b_slice"] if "step_ms" in r]
    prefill = profile["prefill"]
    idle_frac = float(profile["idle"]["mean_power_w"]) / gpu.tdp_w
    base = ServingFit(
        bw_eff=0.85,
        compute_eff_decode=0.5,
        compute_eff_prefill=0.55,
        layer_overhead_ms=0.08,
        step_overhead_ms=0.0,
        idle_power_frac=idle_frac,
        limit_power_frac=1.0,
        power_bw_weight=0.8,
        power_compute_weight=2.0,
    )

    def dec_res(p: np.ndarray, f0: ServingFit) -> np.ndarray:
        f = dataclasses.replace(f0, bw_eff=p[0], layer_overhead_ms=p[1], step_overhead_ms=p[2])
        return np.array(
            [
                float(decode_step_ms(_model(r), gpu, r["batch"], r["context"], 1, "bf16", f))
                / r["step_ms"]
                - 1.0
                for r in decode
            ]
        )

    def pre_res(p: np.ndarray, f0: ServingFit) -> np.ndarray:
        f = dataclasses.replace(f0, compute_eff_prefill=p[0], compute_eff_decode=p[0])
        return np.array(
            [
                float(prefill_ms(_model(r), gpu, r["prompt_tokens"], 1, "bf16", 1, f)) / r["ms"]
                - 1.0
                for r in prefill
            ]
        )

    # Every measured decode point is memory-bound, so decode data cannot identify a compute
    # efficiency: decode GEMMs share the prefill's (identified by the prefill points). The two
    # stages share the overheads, so alternate them until the values settle.
    for _ in range(4):
        r1 = least_squares(
            dec_res, [0.85, 0.08, 0.0], bounds=([0.2, 0.0, 0.0], [1.0, 1.0, 5.0]), args=(base,)
        )
        base = dataclasses.replace(
            base,
            bw_eff=float(r1.x[0]),
            layer_overhead_ms=float(r1.x[1]),
            step_overhead_ms=float(r1.x[2]),
        )
        r2 = least_squares(pre_res, [0.55], bounds=([0.05], [1.0]), args=(base,))
        base = dataclasses.replace(
            base, compute_eff_prefill=float(r2.x[0]), compute_eff_decode=float(r2.x[0])
        )

    def pow_res(p: np.ndarray) -> np.ndarray:
        f = dataclasses.replace(
            base, power_bw_weight=p[0], power_compute_weight=p[1], limit_power_frac=p[2]
        )
        out = [
            float(decode_power_w(_model(r), gpu, r["batch"], r["context"], 1, "bf16", f))
            / r["mean_power_w"]
            - 1.0
            for r in decode
        ]
        out += [
            float(prefill_power_w(_model(r), gpu, r["prompt_tokens"], 1, "bf16", 1, f))
            / r["mean_power_w"]
            - 1.0
            for r in prefill
        ]
        return np.array(out)

    r3 = least_squares(pow_res, [0.8, 2.0, 1.0], bounds=([0.0, 0.0, 0.8], [5.0, 10.0, 1.1]))
    fitted = dataclasses.replace(
        base,
        power_bw_weight=float(r3.x[0]),
        power_compute_weight=float(r3.x[1]),
        limit_power_frac=float(r3.x[2]),
    )
    labels_d = [f"{r['model']}/L{r['layers']} B={r['batch']} C={r['context']}" for r in decode]
    labels_p = [f"{r['model']}/L{r['layers']} S={r['prompt_tokens']}" for r in prefill]
    meta = {
        "fitted_on": "shared/calibration/h100_sxm_profile.json",
        "device": profile["device"]["name"],
        "measured": profile.get("started", ""),
        "fit_date": dt.date.today().isoformat(),
        "script": "scripts/fit_serving_profile.py",
        "assumptions": "allreduce_latency_ms, nvlink_eff, usable_memory_frac are not fitted "
        "(one-GPU calibration); see coredge.physics.serving.ServingFit",
        "residuals_decode_step": dict(
            zip(labels_d, np.round(dec_res(r1.x, base), 4).tolist(), strict=True)
        ),
        "residuals_prefill": dict(
            zip(labels_p, np.round(pre_res(r2.x, base), 4).tolist(), strict=True)
        ),
        "residuals_power": dict(
            zip(labels_d + labels_p, np.round(pow_res(r3.x), 4).tolist(), strict=True)
        ),
    }
    return dataclasses.replace(fitted, meta=meta)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("profile", nargs="?", default=str(DEFAULT_PROFILE))
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    args = ap.parse_args()
    profile = json.loads(Path(args.profile).read_text())
    fit = fit_profile(profile)
    d = fit.to_json_dict()
    for k, v in d.items():
        if isinstance(v, float):
            d[k] = round(v, 6)
    out = Path(args.out)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(d, indent=1) + "\n")
    tmp.replace(out)
    print(json.dumps({k: v for k, v in d.items() if k != "meta"}, indent=1))
    for key in ("residuals_decode_step", "residuals_prefill", "residuals_power"):
        worst = max(abs(x) for x in d["meta"][key].values())
        print(f"{key}: worst {worst:+.3f}")
    print("wrote", out)


if __name__ == "__main__":
    main()
