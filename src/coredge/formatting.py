"""Human-readable figures: the one number formatting of the report and the command line.

Every function takes a number or None; None, NaN and infinities print as ``missing``.
"""

from __future__ import annotations

import math
from typing import Any

_USD_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _finite(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v + 0.0 if math.isfinite(v) else None  # + 0.0: no "-0"


def usd(x: Any, missing: str = "-") -> str:
    """Dollars with a thousands, millions, billions or trillions suffix.

    Examples
    --------
    >>> usd(2.5e9), usd(-1.234e6), usd(950.0), usd(12_500.0), usd(None)
    ('$2.50B', '$-1.23M', '$950', '$12.50k', '-')
    """
    v = _finite(x)
    if v is None:
        return missing
    a = abs(v)
    for div, unit in _USD_SCALES:
        if a >= div:
            return f"${v / div:,.2f}{unit}"
    return f"${v:,.0f}"


def pct(x: Any, digits: int = 1, missing: str = "-") -> str:
    """A fraction as a percentage.

    Examples
    --------
    >>> pct(0.071), pct(0.07123, 2), pct(float("nan"), missing="none")
    ('7.1%', '7.12%', 'none')
    """
    v = _finite(x)
    return missing if v is None else f"{100.0 * v:.{digits}f}%"


def num(x: Any, digits: int = 1, missing: str = "-") -> str:
    """A number with thousands separators and ``digits`` decimals.

    Examples
    --------
    >>> num(12345.678), num(12345.678, 0), num(None)
    ('12,345.7', '12,346', '-')
    """
    v = _finite(x)
    return missing if v is None else f"{v:,.{digits}f}"


FIGURE_KINDS = ("usd", "pct", "int", "mw", "num2", "num")
"""Kinds `figure` knows: dollars, percentage, integer, MW (2 decimals), 2 decimals, 1 decimal."""


def figure(value: Any, kind: str, missing: str = "-") -> str:
    """A figure of a table row by its kind (one of `FIGURE_KINDS`).

    Examples
    --------
    >>> figure(2.5e9, "usd"), figure(0.071, "pct"), figure(None, "num"), figure(3.14159, "mw")
    ('$2.50B', '7.1%', '-', '3.14')
    """
    if kind == "usd":
        return usd(value, missing)
    if kind == "pct":
        return pct(value, 1, missing)
    if kind == "int":
        return num(value, 0, missing)
    if kind in ("mw", "num2"):
        return num(value, 2, missing)
    if kind == "num":
        return num(value, 1, missing)
    raise ValueError(f"unknown figure kind {kind!r}; one of: {', '.join(FIGURE_KINDS)}")


def site_display_name(site: Any) -> str:
    """A site named for people: ``"City, ST (tier)"`` from its ``name``, ``state`` and ``tier``.

    ``site`` is a mapping or a pandas row with any of ``name``, ``state``, ``tier`` and
    ``site_id`` / ``id``; missing parts are left out (the id when there is no name).

    Examples
    --------
    >>> site_display_name({"site_id": "city-us-indianapolis-4259418", "name": "Indianapolis",
    ...                    "state": "IN", "tier": "regional"})
    'Indianapolis, IN (regional)'
    >>> site_display_name({"id": "core-homer-city", "name": "Homer City", "state": "PA", "tier": "core"})
    'Homer City, PA (core)'
    >>> site_display_name({"site_id": "x1"})
    'x1'
    """

    def part(key: str) -> str:
        try:
            v = site[key]
        except (KeyError, IndexError, TypeError):
            return ""
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        return str(v).strip()

    name = part("name") or part("site_id") or part("id")
    state = part("state")
    tier = part("tier")
    label = f"{name}, {state}" if state and state != name else name
    return f"{label} ({tier})" if tier else label
