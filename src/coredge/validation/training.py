"""Validation of the training estimator against published runs (registered as ``training``).

Data: ``data/training_runs.csv`` (runs, MFU, GPU-hours, energy, CO2) and
``data/training_power.csv`` (average system power at training load). The split is stated in
those files and fixed before fitting: per accelerator generation the flagship runs are fit,
every other figure is held out (`coredge.physics.training` docstring).

Stats (one `ErrorStat` per data set and subset; tolerances as documented in docs/training.md):

* ``step MFU``: the default MFU against published step-level (or whole-run / goodput) MFU.
* ``GPU-hours``: the estimate with default MFU and goodput against published GPU-hours.
* ``energy`` and ``CO2``: runs published with a *measured* average power (Patterson et al. 2021),
  with the MFU, PUE and grid intensity they state (whole-run MFU, so goodput 1) and the default
  power; the power was fitted on these runs, so this subset is ``fit``.
* ``power``: the default average power against the measurements (``fit``), and each measured
  accelerator predicted by the draw/nameplate ratio of the *other* ones (``held-out``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coredge.validation import ErrorStat, error_stat, register

SOURCE_RUNS = "data/training_runs.csv (Patterson 2021, Meta cards, Llama 3, OPT, BLOOM, DeepSeek-V3, ...)"
SOURCE_POWER = "data/training_power.csv (Patterson 2021; Newkirk et al. 2025)"

TOLERANCES: dict[tuple[str, str], tuple[float, float]] = {
    ("step MFU", "fit"): (10.0, 20.0),
    ("step MFU", "held-out"): (15.0, 50.0),
    ("GPU-hours", "fit"): (15.0, 20.0),
    ("GPU-hours", "held-out"): (15.0, 40.0),
    ("energy", "fit"): (15.0, 15.0),
    ("CO2", "fit"): (15.0, 15.0),
    ("power", "fit"): (5.0, 5.0),
    ("power", "held-out"): (5.0, 5.0),
}
"""Documented tolerances (median %, P90 %) per (data set, subset); docs/training.md."""


DISPLAY: dict[str, str] = {
    "step MFU": "published runs: step MFU",
    "GPU-hours": "published runs: GPU-hours",
    "energy": "published runs: energy (measured power)",
    "CO2": "published runs: CO2 (measured power)",
    "power": "average system power at training load",
}
"""Data-set names in the validation table."""


def _tol(dataset: str, subset: str) -> dict[str, float]:
    med, p90 = TOLERANCES[(dataset, subset)]
    return {"max_median_pct": med, "max_p90_pct": p90}


def run_predictions() -> list[dict[str, Any]]:
    """Per published figure: run, data set, subset, predicted and measured value."""
    from coredge.catalog.accelerators import get_accelerator
    from coredge.data import load_training_power, load_training_runs
    from coredge.physics.training import (
        DEFAULT_GOODPUT,
        default_mfu,
        draw_fraction,
        estimate,
        nameplate_w,
        run_flops,
    )

    out: list[dict[str, Any]] = []
    runs = load_training_runs().to_dict(orient="records")
    fit_groups = {str(r["group"]) for r in runs if str(r["fit_use"]) != "none"}
    for r in runs:
        gpu = str(r["accelerator"])
        subset = "fit" if str(r["group"]) in fit_groups else "held-out"
        if str(r["mfu_kind"]) in ("step", "whole_run"):
            measured = float(r["mfu"]) / (DEFAULT_GOODPUT if r["mfu_kind"] == "whole_run" else 1.0)
            out.append({"run": r["run"], "dataset": "step MFU", "subset": subset,
                        "predicted": default_mfu(gpu)[0], "measured": measured})
        flops = run_flops(r) if not (np.isnan(r["tokens"]) and np.isnan(r["flops"])) else None
        if flops is not None and not np.isnan(r["gpu_hours"]):
            e = estimate(float(r["params"]), flops / (6.0 * float(r["params"])), gpu)
            # fitted only where these GPU-hours are the fitted figure itself (an MFU implied by
            # them, or a whole-run MFU computed from them); otherwise they test the goodput too
            same = r["fit_use"] == "hours" or (r["fit_use"] == "mfu" and r["mfu_kind"] == "whole_run")
            out.append({"run": r["run"], "dataset": "GPU-hours", "subset": "fit" if same else "held-out",
                        "predicted": e.gpu_hours, "measured": float(r["gpu_hours"])})
        if flops is not None and r["energy_method"] == "measured":
            e = estimate(float(r["params"]), flops / (6.0 * float(r["params"])), gpu,
                         mfu=float(r["mfu"]), goodput=1.0, pue=float(r["pue"]),
                         grid_gco2_per_kwh=float(r["grid_gco2_per_kwh"]))
            if not np.isnan(r["energy_mwh"]):
                out.append({"run": r["run"], "dataset": "energy", "subset": "fit",
                            "predicted": e.energy_mwh, "measured": float(r["energy_mwh"])})
            out.append({"run": r["run"], "dataset": "CO2", "subset": "fit",
                        "predicted": e.co2_t, "measured": float(r["co2_t"])})
    power = load_training_power()
    fit = power[power["split"] == "fit"]
    means = fit.groupby("accelerator")["avg_system_power_w"].mean()
    f_all = draw_fraction()
    for row in fit.to_dict(orient="records"):
        gpu = str(row["accelerator"])
        out.append({"run": row["run"], "dataset": "power", "subset": "fit",
                    "predicted": f_all * nameplate_w(gpu) if gpu not in means else float(means[gpu]),
                    "measured": float(row["avg_system_power_w"])})
    for gpu in means.index:
        others = [float(means[o]) / nameplate_w(str(o)) for o in means.index if o != gpu]
        if others:
            get_accelerator(str(gpu))
            out.append({"run": f"{gpu} from the others' draw/nameplate", "dataset": "power",
                        "subset": "held-out", "predicted": float(np.mean(others)) * nameplate_w(str(gpu)),
                        "measured": float(means[gpu])})
    return out


@register("training")
def check_training() -> list[ErrorStat]:
    """The training estimator against published runs and power measurements."""
    rows = run_predictions()
    stats: list[ErrorStat] = []
    for (dataset, subset) in TOLERANCES:
        sel = [r for r in rows if r["dataset"] == dataset and r["subset"] == subset]
        if not sel:
            continue
        src = SOURCE_POWER if dataset == "power" else SOURCE_RUNS
        stats.append(error_stat(
            "training estimator", DISPLAY[dataset], subset,
            [r["predicted"] for r in sel], [r["measured"] for r in sel], src, "2019-2025",
            **_tol(dataset, subset),
        ))
    return stats
