"""Fit of the engine efficiencies on H100 engine measurements, and the model's predictions.

Data: ``coredge/data/engines_trtllm_max_throughput.csv`` (`coredge.data.engine_throughput_table`).
Only H100 rows with ``split == "fit"`` are fitted, one fit per engine version with H100 data
(`VERSION_ENGINE`): ``trtllm`` on TensorRT-LLM 0.17 (a fixed set of ISL/OSL shapes) and
``trtllm-0.12`` on 0.12 (the Llama 3 rows); ``heldout`` (the other H100 rows; 1.0 rows are
predicted with the ``trtllm`` fit) and ``validation`` (other GPUs) are predicted, never fitted.

Three parameters are fitted per version (`coredge.physics.throughput.EngineFit`): ``compute_eff`` (share of
the dense peak), ``step_overhead_ms`` and ``link_eff`` (share of the one-way NVLink bandwidth in
the tensor-parallel all-reduces; the TP 2-8 rows identify it); least squares on
``log(predicted / measured)`` from a fixed start, so the fit is deterministic. The HBM bandwidth efficiency and the per-layer overhead come
from the measured H100 profile (`coredge.physics.serving.default_fit`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from coredge.data import engine_throughput_table
from coredge.physics.throughput import EngineFit, max_throughput, setup

HOLDOUT_RULE = (
    "fit: TensorRT-LLM 0.17 H100 rows with ISL/OSL in {128/128, 128/2048, 128/4096, 2048/128, "
    "2048/2048, 20000/2000} (engine trtllm) and 0.12 H100 rows of llama3-8b and llama3-70b "
    "(engine trtllm-0.12); heldout: the other 0.17 H100 rows (500/2000, 1000/1000, 5000/500), "
    "the 0.12 H100 rows of llama2-70b and mixtral-8x7b, and every TensorRT-LLM 1.0 H100 row "
    "(predicted with the trtllm fit); validation: every non-H100 row (never fitted)"
)

VERSION_ENGINE: dict[str, str] = {"0.12": "trtllm-0.12", "0.17": "trtllm", "1.0": "trtllm"}
"""The engine (and so the fit) that predicts each table version: TensorRT-LLM 1.0 has no fit of
its own (its H100 rows are held out against the 0.17 fit)."""


def engine_for_version(version: object) -> str:
    """Engine id predicting the rows of a table version (``0.12``, ``0.17``, ``1.0``).

    Examples
    --------
    >>> engine_for_version(1.0), engine_for_version("0.12")
    ('trtllm', 'trtllm-0.12')
    """
    by_number = {float(k): e for k, e in VERSION_ENGINE.items()}
    try:
        return by_number[round(float(str(version)), 2)]
    except (KeyError, ValueError):
        raise ValueError(f"no engine for TensorRT-LLM table version {version!r}") from None


def predict(
    table: pd.DataFrame, efit: EngineFit | None = None, engine: str | None = None
) -> pd.DataFrame:
    """The table with ``predicted`` (offline max output tokens/s per GPU at the row's TP),
    ``ratio`` (predicted / measured), ``batch`` and ``binding`` columns added.

    ``engine`` None predicts each row with the engine of its version (`engine_for_version`);
    ``efit`` None uses that engine's shipped fit.

    Examples
    --------
    >>> t = predict(engine_throughput_table().head(1))
    >>> 0.7 < float(t["ratio"].iloc[0]) < 1.3
    True
    """
    out = table.copy()
    pred, batch, binding = [], [], []
    for r in out.to_dict("records"):
        eng = engine or engine_for_version(r["version"])
        s = setup(str(r["model"]), str(r["gpu"]), str(r["dtype"]), int(r["tp"]), eng, efit=efit)
        p = max_throughput(s, int(r["isl"]), int(r["osl"]))
        pred.append(p.output_tok_s_per_gpu)
        batch.append(p.batch)
        binding.append(p.binding)
    out["predicted"] = pred
    out["ratio"] = out["predicted"] / out["output_tok_s_per_gpu"]
    out["batch"] = batch
    out["binding"] = binding
    return out


def fit_engine(table: pd.DataFrame | None = None, engine: str = "trtllm") -> EngineFit:
    """Fit ``compute_eff``, ``step_overhead_ms`` and ``link_eff`` of one engine version on its
    ``fit`` rows (see the module docstring)."""
    t = engine_throughput_table() if table is None else table
    versions = [v for v, e in VERSION_ENGINE.items() if e == engine]
    mine = t[[engine_for_version(v) == engine for v in t["version"]]]
    rows = mine[(mine["split"] == "fit") & (mine["gpu"] == "h100")]
    if rows.empty:
        raise ValueError(f"no fit rows for engine {engine!r}")

    def resid(x: np.ndarray) -> np.ndarray:
        ef = EngineFit(float(x[0]), float(x[1]), float(x[2]))
        return np.log(predict(rows, ef, engine)["ratio"].to_numpy())

    res = least_squares(
        resid, x0=[0.5, 1.0, 0.8], bounds=([0.05, 0.0, 0.05], [1.0, 50.0, 1.0]), xtol=1e-10
    )
    ef = EngineFit(round(float(res.x[0]), 6), round(float(res.x[1]), 6), round(float(res.x[2]), 6))
    fitted = predict(mine, ef, engine)
    meta = {
        "fitted_on": "coredge/data/engines_trtllm_max_throughput.csv (split == fit, H100, "
        f"TensorRT-LLM {', '.join(versions)})",
        "rule": HOLDOUT_RULE,
        "fit_rows": len(rows),
        "fit_date": dt.date.today().isoformat(),
        "script": "scripts/fit_engine_efficiency.py",
        "not_fitted": "bw_eff and layer_overhead_ms come from serving_fit.json (measured H100 "
        "profile); engine limits are documented defaults (coredge.physics.engines)",
        "median_abs_error": {
            str(k): round(float(np.median(np.abs(g["ratio"] - 1.0))), 4)
            for k, g in fitted.groupby("split")
        },
    }
    return EngineFit(ef.compute_eff, ef.step_overhead_ms, ef.link_eff, meta)


def fit_engines(table: pd.DataFrame | None = None) -> dict[str, EngineFit]:
    """`fit_engine` for every engine version with H100 fit rows (``engine_fit.json``)."""
    return {e: fit_engine(table, e) for e in dict.fromkeys(VERSION_ENGINE.values())}
