"""Validation: every model of coredge against the public data sets it ships, with its error.

A *check* compares a model's predictions with measurements (or with exact results: queueing
theory, published optima) and reports the relative error ``|predicted / measured - 1|`` as a
median and a 90th percentile, per data set and subset (held-out vs fitted, distance band, GPU).
Each check module of this package (``validation/<topic>.py``) registers its checks with
`register`; `run_checks` imports every module of the package and runs them all.

A check's documented tolerance (`ErrorStat.max_median_pct`, `ErrorStat.max_p90_pct`) is what
docs/validation.md promises; the test suite fails when an error grows past it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from coredge.errors import InputError


@dataclass(frozen=True)
class ErrorStat:
    """One model against one data set (or one subset of it).

    Attributes
    ----------
    model : str
        What is checked, e.g. ``"backbone RTT"``.
    dataset : str
        The measurements, e.g. ``"AWS inter-region latency medians"``.
    subset : str
        ``"held-out"``, ``"fit"``, ``"all"`` or a band such as ``"< 1,500 km"``.
    n : int
        Number of compared points.
    median_pct : float
        Median of ``|predicted / measured - 1|`` [%].
    p90_pct : float
        90th percentile of the same [%].
    bias_pct : float
        Median of ``predicted / measured - 1`` (signed: > 0 = the model is high) [%].
    source : str
        Where the measurements come from (publisher, document or table).
    date : str
        When they were taken or published (e.g. ``"2025-03"``).
    max_median_pct : float
        Documented tolerance on `median_pct` [%] (inf = none promised).
    max_p90_pct : float
        Documented tolerance on `p90_pct` [%] (inf = none promised).
    """

    model: str
    dataset: str
    subset: str
    n: int
    median_pct: float
    p90_pct: float
    bias_pct: float
    source: str
    date: str
    max_median_pct: float = float("inf")
    max_p90_pct: float = float("inf")

    @property
    def within_tolerance(self) -> bool:
        """Whether both errors are inside the documented tolerances."""
        return self.median_pct <= self.max_median_pct and self.p90_pct <= self.max_p90_pct

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record (tolerances as None when none is promised)."""
        d = asdict(self)
        for k in ("max_median_pct", "max_p90_pct"):
            if not np.isfinite(d[k]):
                d[k] = None
        d["within_tolerance"] = self.within_tolerance
        return d


def relative_errors(predicted: npt.ArrayLike, measured: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Signed relative errors ``predicted / measured - 1`` [fraction].

    Examples
    --------
    >>> relative_errors([11.0, 9.0], [10.0, 10.0]).round(6).tolist()
    [0.1, -0.1]
    """
    p = np.asarray(predicted, dtype=np.float64)
    m = np.asarray(measured, dtype=np.float64)
    if p.shape != m.shape:
        raise ValueError(f"predicted {p.shape} and measured {m.shape} differ in shape")
    if np.any(~np.isfinite(m)) or np.any(m == 0):
        raise ValueError("measured values must be finite and non-zero")
    return p / m - 1.0


def error_stat(
    model: str,
    dataset: str,
    subset: str,
    predicted: npt.ArrayLike,
    measured: npt.ArrayLike,
    source: str,
    date: str,
    max_median_pct: float = float("inf"),
    max_p90_pct: float = float("inf"),
) -> ErrorStat:
    """Summarise predicted against measured values as an `ErrorStat`.

    Examples
    --------
    >>> s = error_stat("m", "d", "all", [11.0, 9.0, 10.0], [10.0, 10.0, 10.0], "src", "2025")
    >>> round(s.median_pct, 6), round(s.p90_pct, 6), s.n
    (10.0, 10.0, 3)
    """
    e = relative_errors(predicted, measured)
    if e.size == 0:
        raise ValueError(f"{model} / {dataset} / {subset}: nothing to compare")
    a = np.abs(e)
    return ErrorStat(
        model=model, dataset=dataset, subset=subset, n=int(e.size),
        median_pct=float(np.median(a) * 100.0), p90_pct=float(np.quantile(a, 0.9) * 100.0),
        bias_pct=float(np.median(e) * 100.0), source=source, date=date,
        max_median_pct=max_median_pct, max_p90_pct=max_p90_pct,
    )


Check = Callable[[], list[ErrorStat]]
"""A check: computes its predictions and returns one `ErrorStat` per data set and subset."""

CHECKS: dict[str, Check] = {}
"""Registered checks by name (e.g. ``"rtt"``, ``"serving"``, ``"training"``)."""


def register(name: str) -> Callable[[Check], Check]:
    """Decorator: add a check to `CHECKS` under ``name``."""

    def deco(fn: Check) -> Check:
        CHECKS[name] = fn
        return fn

    return deco


def load_checks() -> dict[str, Check]:
    """Import every module of this package (each registers its checks) and return `CHECKS`."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return CHECKS


def run_checks(names: Iterable[str] | None = None) -> list[ErrorStat]:
    """Run the named checks (all when None), in name order."""
    checks = load_checks()
    wanted = sorted(checks) if names is None else list(names)
    unknown = [n for n in wanted if n not in checks]
    if unknown:
        raise InputError.of("--check", unknown[0], "one of: " + ", ".join(sorted(checks)))
    out: list[ErrorStat] = []
    for n in wanted:
        out.extend(checks[n]())
    return out
