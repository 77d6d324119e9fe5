"""Univariate distributions of uncertain inputs (the finance Monte Carlo and the scenario's
``finance.risk`` block both use them): normal, lognormal, uniform, triangular, fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

from coredge.errors import InputError

FloatArray = npt.NDArray[np.float64]

DistKind = Literal["normal", "lognormal", "uniform", "triangular", "fixed"]
_N_PARAMS: Final = {"normal": 2, "lognormal": 2, "uniform": 2, "triangular": 3, "fixed": 1}


@dataclass(frozen=True)
class Distribution:
    """A univariate distribution.

    Parameters by kind: ``normal`` (mean, sd); ``lognormal`` (mu, sigma) of the underlying
    normal, so the median is ``exp(mu)``; ``uniform`` (low, high); ``triangular`` (low, mode,
    high); ``fixed`` (value,).
    """

    kind: DistKind
    params: tuple[float, ...]

    def __post_init__(self) -> None:
        if self.kind not in _N_PARAMS:
            raise InputError.of("distribution.kind", self.kind, "one of: " + ", ".join(_N_PARAMS))
        p = tuple(float(x) for x in self.params)
        object.__setattr__(self, "params", p)
        if len(p) != _N_PARAMS[self.kind]:
            raise InputError.of(
                f"distribution.{self.kind}.params", p, f"{_N_PARAMS[self.kind]} numbers"
            )
        ok = True
        if self.kind in ("normal", "lognormal"):
            ok = p[1] >= 0
        elif self.kind == "uniform":
            ok = p[0] <= p[1]
        elif self.kind == "triangular":
            ok = p[0] <= p[1] <= p[2] and p[0] < p[2]
        if not ok or not all(np.isfinite(p)):
            raise InputError.of(
                f"distribution.{self.kind}.params",
                p,
                "finite; sd/sigma >= 0, low <= high, low <= mode <= high (low < high)",
            )

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> FloatArray:
        """Draw ``size`` values [unit of the variable]."""
        p = self.params
        if self.kind == "normal":
            out = rng.normal(p[0], p[1], size)
        elif self.kind == "lognormal":
            out = rng.lognormal(p[0], p[1], size)
        elif self.kind == "uniform":
            out = rng.uniform(p[0], p[1], size)
        elif self.kind == "triangular":
            out = rng.triangular(p[0], p[1], p[2], size)
        else:
            out = np.full(size, p[0])
        return np.asarray(out, dtype=np.float64)

    def ppf(self, q: float) -> float:
        """Quantile function (inverse CDF) at probability ``q`` in (0, 1).

        Examples
        --------
        >>> round(Distribution("triangular", (0.0, 0.0, 1.0)).ppf(0.75), 4)
        0.5
        """
        p = self.params
        if self.kind == "normal":
            return float(p[0] + p[1] * ndtri(q))
        if self.kind == "lognormal":
            return float(np.exp(p[0] + p[1] * ndtri(q)))
        if self.kind == "uniform":
            return p[0] + q * (p[1] - p[0])
        if self.kind == "triangular":
            a, c, b = p
            fc = (c - a) / (b - a)
            if q < fc:
                return float(a + np.sqrt(q * (b - a) * (c - a)))
            return float(b - np.sqrt((1 - q) * (b - a) * (b - c)))
        return p[0]
