"""Self-contained risk page: NPV distribution and a tornado chart of sensitivities."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from coredge.files import atomic_dir, write_json
from coredge.formatting import figure


def tornado_figure(tornado: list[dict[str, Any]], base_npv_usd: float) -> go.Figure:
    """Horizontal bars: portfolio NPV with each input at its P10 and P90, largest swing on top.

    Parameters
    ----------
    tornado : list of dict
        Rows with ``variable``, ``npv_low_usd``, ``npv_high_usd`` [USD].
    base_npv_usd : float
        Base-case NPV [USD], the axis the bars start from.
    """
    rows = list(reversed(tornado))  # plotly draws the first category at the bottom
    names = [r["variable"] for r in rows]
    lo = np.array([r["npv_low_usd"] for r in rows], dtype=np.float64) / 1e9
    hi = np.array([r["npv_high_usd"] for r in rows], dtype=np.float64) / 1e9
    base = base_npv_usd / 1e9
    fig = go.Figure()
    fig.add_trace(go.Bar(y=names, x=lo - base, base=base, orientation="h", name="input at P10",
                         marker_color="#d6604d"))
    fig.add_trace(go.Bar(y=names, x=hi - base, base=base, orientation="h", name="input at P90",
                         marker_color="#4393c3"))
    fig.update_layout(barmode="overlay", height=60 + 38 * max(len(names), 1),
                      xaxis={"title": "portfolio NPV [USD billion]"},
                      margin={"l": 170, "r": 20, "t": 10, "b": 50})
    return fig


def npv_histogram(npv_usd: np.ndarray) -> go.Figure:
    """Distribution of portfolio NPV over the Monte Carlo trials."""
    fig = go.Figure(go.Histogram(x=np.asarray(npv_usd, dtype=np.float64) / 1e9, nbinsx=60,
                                 marker_color="#5aae61"))
    fig.update_layout(height=320, xaxis={"title": "portfolio NPV [USD billion]"},
                      yaxis={"title": "trials"}, margin={"l": 60, "r": 20, "t": 10, "b": 50})
    return fig


def write_risk(
    out_dir: Path, summary: dict[str, Any], npv_usd: np.ndarray, title: str, overwrite: bool = False
) -> Path:
    """Write ``risk.json`` and ``risk.html`` into `out_dir` atomically; returns the directory."""
    divs = "".join(
        f.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False, div_id=i,
                  config={"displaylogo": False, "responsive": True})
        for i, f in (("npv_hist", npv_histogram(npv_usd)),
                     ("tornado", tornado_figure(summary["tornado"], summary["base_npv_usd"])))
    )
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(figure(v, kind))}</td></tr>"
        for k, v, kind in (
            ("trials", summary["n_trials"], "int"),
            ("seed", summary["seed"], "int"),
            ("base-case NPV", summary["base_npv_usd"], "usd"),
            ("NPV P10", summary["npv_p10_usd"], "usd"),
            ("NPV P50", summary["npv_p50_usd"], "usd"),
            ("NPV P90", summary["npv_p90_usd"], "usd"),
            ("probability of loss", summary["prob_loss"], "pct"),
            ("IRR P10", summary["irr_p10"], "pct"),
            ("IRR P50", summary["irr_p50"], "pct"),
            ("IRR P90", summary["irr_p90"], "pct"),
        )
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}
th{{text-align:left}}</style>
<script type="text/javascript">{get_plotlyjs()}</script></head>
<body><h1>{html.escape(title)}</h1>
<p>Generated {generated}. Monte Carlo over the scenario's uncertain inputs (finance.risk); the
tornado moves one input at a time to its P10 and P90 with everything else at the base case.</p>
<table>{rows}</table>
<h2>Portfolio NPV over the trials</h2>{divs}
</body></html>
"""
    with atomic_dir(out_dir, "risk", overwrite=overwrite) as tmp:
        write_json(tmp / "risk.json", summary)
        (tmp / "risk.html").write_text(page, encoding="utf-8")
    return Path(out_dir).resolve()
