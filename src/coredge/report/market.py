"""The report's market table: the whole market by year, the portfolio's share, the published
ranges it is checked against and their sources (from the summary's ``market`` block)."""

from __future__ import annotations

from typing import Any


def _tok(v: float) -> str:
    return f"{v / 1e9:,.2f} B" if v >= 1e8 else f"{v / 1e6:,.1f} M"


def market_rows(market: dict[str, Any] | None) -> list[dict[str, str]]:
    """One row per plan year: market tokens/s, market IT GW, portfolio share of each."""
    if not market:
        return []
    tok = market["inference_tokens_per_s_by_year"]
    mw = market["inference_it_mw_by_year"]
    st = market["portfolio_share_of_tokens_by_year"]
    sm = market["portfolio_share_of_it_mw_by_year"]
    return [
        {"year": y, "tokens": _tok(float(tok[y])), "gw": f"{float(mw[y]) / 1000:,.2f}",
         "share_tok": f"{100 * float(st[y]):.1f}%", "share_mw": f"{100 * float(sm[y]):.1f}%"}
        for y in tok
    ]  # fmt: skip


def range_rows(market: dict[str, Any] | None) -> list[dict[str, str]]:
    """One row per published range: view, year, range, the market's value, inside or not, source."""
    if not market:
        return []
    out = []
    for r in market.get("published_ranges") or []:
        gw = r["quantity"].endswith("_mw")

        def f(v: float, gw: bool = gw) -> str:
            return f"{v / 1000:,.1f} GW" if gw else _tok(v) + " tok/s"

        out.append({
            "view": r["view"], "year": str(r["year"]), "set": r["set"].replace("_", "-"),
            "range": f"{f(r['low'])} - {f(r['high'])}",
            "value": "outside the horizon" if r["value"] is None else f(r["value"]),
            "inside": "" if r["inside"] is None else ("yes" if r["inside"] else "NO"),
            "source": r["source"],
        })  # fmt: skip
    return out
