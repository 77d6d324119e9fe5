"""The validation table as files: validation.html (self-contained, offline), .json and .csv."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from coredge.files import atomic_dir, atomic_write_text, write_json
from coredge.formatting import num
from coredge.validation import ErrorStat

VALIDATION_KIND = "validation"
"""Output-marker kind of a ``coredge validation --out`` folder."""

COLUMNS = ("model", "dataset", "subset", "n", "median_pct", "p90_pct", "bias_pct",
           "max_median_pct", "max_p90_pct", "within_tolerance", "source", "date")


def validation_frame(stats: Sequence[ErrorStat]) -> pd.DataFrame:
    """One row per `ErrorStat`, in `COLUMNS` order."""
    return pd.DataFrame([s.as_dict() for s in stats], columns=list(COLUMNS))


def _tol(x: float) -> str:
    return "none" if x == float("inf") else num(x, 1) + "%"


def render_html(stats: Sequence[ErrorStat], title: str = "coredge validation") -> str:
    """A self-contained page: the table of errors, one row per model, data set and subset."""
    rows = []
    for s in stats:
        ok = s.within_tolerance
        rows.append(
            "<tr class='{}'><td>{}</td><td>{}</td><td>{}</td><td class='n'>{}</td><td class='n'>{}</td>"
            "<td class='n'>{}</td><td class='n'>{}</td><td class='n'>{} / {}</td><td>{}</td><td>{}</td></tr>".format(
                "ok" if ok else "over", html.escape(s.model), html.escape(s.dataset), html.escape(s.subset),
                s.n, num(s.median_pct, 1) + "%", num(s.p90_pct, 1) + "%", num(s.bias_pct, 1) + "%",
                _tol(s.max_median_pct), _tol(s.max_p90_pct), html.escape(s.source), html.escape(s.date)))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }} th, td {{ padding: 4px 8px; border-bottom: 1px solid #ddd; text-align: left; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr.over td {{ background: #fde0dd; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Every model of coredge against the public data sets it ships. Error = |predicted / measured - 1|:
median and 90th percentile per data set and subset ("fit": the data the model's constants were fitted on;
"held-out": data it was not fitted to); bias = median signed error (&gt; 0: the model is high).
The tolerance is what docs/validation.md promises; rows past it are shaded. Generated {stamp}.</p>
<table><thead><tr><th>model</th><th>data set</th><th>subset</th><th>n</th><th>median</th><th>P90</th>
<th>bias</th><th>tolerance (median / P90)</th><th>source</th><th>date</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""


def write_validation(stats: Sequence[ErrorStat], out_dir: Path, overwrite: bool = False) -> dict[str, str]:
    """Write validation.html, validation.json and validation.csv into ``out_dir`` (atomically,
    under the ``--out`` rule of `coredge.files`); returns the paths written."""
    final = Path(out_dir)
    with atomic_dir(final, VALIDATION_KIND, overwrite=overwrite) as tmp:
        atomic_write_text(tmp / "validation.html", render_html(stats))
        write_json(tmp / "validation.json", {"checks": [s.as_dict() for s in stats]})
        atomic_write_text(tmp / "validation.csv", validation_frame(stats).to_csv(index=False))
    return {name: str(final / name) for name in ("validation.html", "validation.json", "validation.csv")}


def render_markdown(stats: Sequence[ErrorStat]) -> str:
    """The validation table as markdown (the generated part of docs/validation.md)."""
    lines = ["| model | data set | subset | n | median | P90 | bias | tolerance (median / P90) | source (date) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for s in stats:
        tol = "none" if s.max_median_pct == float("inf") else f"{_tol(s.max_median_pct)} / {_tol(s.max_p90_pct)}"
        cells = [s.model, s.dataset, s.subset, str(s.n), num(s.median_pct, 1) + "%", num(s.p90_pct, 1) + "%",
                 num(s.bias_pct, 1) + "%", tol, f"{s.source} ({s.date})"]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"
