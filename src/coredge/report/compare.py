"""Strategy comparison outputs: ``compare.json``, ``compare.csv`` and a self-contained
``compare.html`` (table + charts; plotly.js embedded, no network access needed to view it)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from coredge.files import atomic_dir, write_json
from coredge.formatting import figure

COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("sites", "sites", "int"),
    ("it_mw", "IT MW (final year)", "mw"),
    ("capex_usd", "capex", "usd"),
    ("npv_usd", "NPV", "usd"),
    ("irr", "IRR", "pct"),
    ("payback_years", "payback [years]", "num"),
    ("lcoc_usd_per_gpu_hour", "LCOC [$/GPU-h]", "num2"),
    ("usd_per_mtok", "cost [$/Mtok]", "num2"),
    ("slo_coverage_min", "lowest SLO coverage", "pct"),
    ("years_to_first_capacity", "years to first capacity", "num"),
    ("years_to_first_inference", "years to first inference", "num"),
    ("latency_bound_mw_at_core", "latency-bound MW at core", "mw"),
    ("energy_mwh_final_year", "energy, final year [MWh]", "int"),
    ("co2_t_final_year", "CO2, final year [t]", "int"),
)
"""(key, label, format) of the comparison table's rows."""


def comparison_frame(table: dict[str, Any]) -> pd.DataFrame:
    """One row per strategy: the flat figures and ``coverage_<class>`` columns (CSV layout)."""
    rows = []
    for name, r in table["strategies"].items():
        row: dict[str, Any] = {"strategy": name}
        for k, v in r.items():
            if isinstance(v, dict):
                if k == "coverage":
                    row.update({f"coverage_{c}": x for c, x in v.items()})
                elif k.endswith("_by_tier"):
                    row.update({f"{k.removesuffix('_by_tier')}_{t}": x for t, x in v.items()})
                continue
            row[k] = v
        rows.append(row)
    return pd.DataFrame(rows)


def _figures(table: dict[str, Any]) -> list[go.Figure]:
    names = list(table["strategies"])
    s = table["strategies"]
    money = go.Figure()
    money.add_trace(go.Bar(x=names, y=[s[n]["capex_usd"] / 1e9 for n in names], name="capex [$B]"))
    money.add_trace(go.Bar(x=names, y=[(s[n]["npv_usd"] or 0.0) / 1e9 for n in names], name="NPV [$B]"))
    money.update_layout(barmode="group", height=320, yaxis={"title": "USD billion"},
                        margin={"l": 60, "r": 10, "t": 30, "b": 40}, title="capex and NPV")
    cov = go.Figure()
    classes = [c for c, b in table["classes"].items()]
    for n in names:
        cov.add_trace(go.Bar(x=classes, y=[100 * s[n]["coverage"].get(c, 0.0) for c in classes], name=n))
    cov.update_layout(barmode="group", height=340, yaxis={"title": "load served within budget [%]", "range": [0, 105]},
                      margin={"l": 60, "r": 10, "t": 30, "b": 80}, title="SLO coverage per workload class (final plan year)")
    return [money, cov]


def comparison_body(table: dict[str, Any]) -> tuple[str, list[go.Figure]]:
    """The comparison table as HTML and its charts (for `render_html` and the run report)."""
    names = list(table["strategies"])
    s = table["strategies"]
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = []
    for key, label, kind in COLUMNS:
        cells = "".join(f"<td>{html.escape(figure(s[n].get(key), kind))}</td>" for n in names)
        body.append(f"<tr><th>{html.escape(label)}</th>{cells}</tr>")
    for c, budget in table["classes"].items():
        b = "no budget" if budget is None else f"{budget:.0f} ms"
        cells = "".join(f"<td>{html.escape(figure(s[n]['coverage'].get(c), 'pct'))}</td>" for n in names)
        body.append(f"<tr><th>coverage: {html.escape(c)} ({b})</th>{cells}</tr>")
    out = f'<table id="compare"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    return out, _figures(table)


def render_html(table: dict[str, Any], title: str) -> str:
    """The comparison page as one self-contained HTML string."""
    table_html, figs = comparison_body(table)
    divs = "".join(
        fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False, div_id=f"fig{i}",
                    config={"displaylogo": False, "responsive": True})
        for i, fig in enumerate(figs)
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}
th:first-child{{text-align:left}}</style>
<script type="text/javascript">{get_plotlyjs()}</script></head>
<body><h1>{html.escape(title)}</h1>
<p>Generated {generated}. Same demand, prices and hardware in every strategy. <b>all-core</b>: regional and
micro sites serve nothing; <b>edge-heavy</b>: core campuses serve only training and batch;
<b>blended</b>: the planner's free choice. NPV, IRR and payback from coredge's finance model
(see docs/finance.md); coverage is the share of each class's final-year load served within its RTT budget.</p>
{table_html}
{divs}
</body></html>
"""


def write_comparison(
    out_dir: Path, table: dict[str, Any], title: str, overwrite: bool = False
) -> Path:
    """Write ``compare.json``, ``compare.csv`` and ``compare.html`` into `out_dir`, atomically
    (nothing is left behind if writing fails). Returns the final directory."""
    with atomic_dir(out_dir, "compare", overwrite=overwrite) as tmp:
        write_json(tmp / "compare.json", table)
        comparison_frame(table).to_csv(tmp / "compare.csv", index=False)
        (tmp / "compare.html").write_text(render_html(table, title), encoding="utf-8")
    return Path(out_dir).resolve()


__all__ = ["COLUMNS", "comparison_body", "comparison_frame", "render_html", "write_comparison"]
