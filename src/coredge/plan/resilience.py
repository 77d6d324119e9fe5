"""Single-site failure, explained: what the plan survives, what it leaves unprotected and why.

The planner may serve some (demand point, class) pairs **unprotected** on purpose (the MILP's
``plan.solver["unprotected_pairs"]``, priced like unmet load; docs/planner.md): their load is lost
while their site is down. `single_site_failure_summary` reports, for the summary and the report,

* ``survives``: no load is lost when any one site fails **other than the listed unprotected
  load** (the exact re-homing check, `coredge.plan.result.single_site_failure_shortfall`, with
  the unprotected pairs left out);
* ``survives_all``: no load at all is lost when any one site fails (unprotected pairs counted);
* the unprotected load: MW, which demand points and classes, and why (how many open and
  candidate sites serve the pair's class within its RTT budget).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from coredge.formatting import site_display_name
from coredge.inputs.build import Inputs
from coredge.plan.result import Plan, single_site_failure_shortfall

MAX_LISTED_PAIRS: int = 20
"""Unprotected (point, class) pairs listed one by one in the summary (largest load first)."""

SURVIVES_MEANING: str = (
    "survives: no load is lost when any one site fails, other than the unprotected load listed "
    "(served on purpose without a backup); survives_all: no load at all is lost."
)
"""The plain definition written into the summary next to the flags."""

GREEDY_NOTE: str = ("The greedy planner keeps no failure reserve: plan with planning.planner: milp "
                    "(the default) for a plan that survives the loss of any one site.")
"""Why a greedy plan falls short of a required single-site-failure resilience."""


def _reason(budget_ms: float, n_open: int, n_cand: int) -> str:
    """Why a pair is unprotected, from the sites that serve its class within its budget."""
    within = "any distance" if math.isinf(budget_ms) else f"its {budget_ms:g} ms RTT budget"
    if n_cand <= 1:
        return f"only one candidate site within {within}: no backup site exists"
    if n_open <= 1:
        return (f"only one open site within {within}: a backup needs another site there, "
                "and the planner served it unprotected (priced like unmet load) instead")
    return (f"{n_open} open sites within {within}, but no spare capacity reserved for it: the "
            "planner served it unprotected (priced like unmet load) instead of adding a backup")


def _candidate_reach(inputs: Inputs) -> dict[tuple[int, int], list[tuple[int, float]]]:
    """For each (point, class): the candidate sites (any tier they allow that serves the class)
    within budget, one entry per candidate."""
    import pandas as pd

    from coredge.plan.reach import reachable_pairs

    c = inputs.candidates
    parts = [c.loc[c[f"allow_{t}"].astype(bool), ["id", "lat", "lon"]].assign(tier=t)
             for t in ("core", "regional", "micro") if f"allow_{t}" in c.columns]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["id", "lat", "lon", "tier"])
    ids = frame["id"].astype(str).to_numpy()
    out: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for key, lst in reachable_pairs(inputs, frame).items():
        seen: dict[str, tuple[int, float]] = {}
        for s, r in lst:
            seen.setdefault(str(ids[s]), (s, r))
        out[key] = list(seen.values())
    return out


def single_site_failure_summary(inputs: Inputs, plan: Plan, required: bool) -> dict[str, Any]:
    """The summary's ``single_site_failure`` block (final plan year).

    Parameters
    ----------
    inputs, plan
        From the pipeline.
    required : bool
        Whether the scenario asks for single-site-failure resilience
        (``planning.single_site_failure``).

    Returns
    -------
    dict
        ``required``, ``survives``, ``survives_all``, ``meaning``, ``note`` (only for a greedy
        plan when resilience is required: why it falls short), ``sites_short`` /
        ``worst_site`` / ``worst_site_name`` / ``worst_shortfall_mw`` (load lost beyond the
        unprotected load [MW]), ``sites_short_all`` / ``worst_shortfall_mw_all`` (everything
        counted), ``unprotected_mw`` (the planner's figure [MW]), ``unprotected_pairs`` (count),
        ``unprotected_by_class`` (class -> ``{"points", "load_mw", "reason"}``) and
        ``unprotected`` (the largest `MAX_LISTED_PAIRS` pairs: ``point_id``, ``point``,
        ``class_id``, ``load_mw``, ``open_sites_within_budget``,
        ``candidate_sites_within_budget``, ``reason``).
    """
    from coredge.plan.reach import reachable_pairs

    s = plan.sites
    pairs = {(int(p), int(k)) for p, k in plan.solver.get("unprotected_pairs") or []}
    if len(s) == 0:
        zero = np.zeros(0)
        short, short_all = zero, zero
        reach: dict[tuple[int, int], list[tuple[int, float]]] = {}
    else:
        reach = reachable_pairs(inputs, s)
        short_all = single_site_failure_shortfall(inputs, plan, reach=reach)
        short = (single_site_failure_shortfall(inputs, plan, exempt=pairs, reach=reach)
                 if pairs else short_all)
    worst = int(np.argmax(short)) if short.size else -1
    out: dict[str, Any] = {
        "required": bool(required),
        "survives": bool(short.size == 0 or float(short.max()) <= 1e-6),
        "survives_all": bool(short_all.size == 0 or float(short_all.max()) <= 1e-6),
        "meaning": SURVIVES_MEANING,
        "sites_short": int((short > 1e-6).sum()),
        "worst_site": str(s["site_id"].iat[worst]) if worst >= 0 and short[worst] > 1e-6 else None,
        "worst_site_name": (site_display_name(s.iloc[worst]) if worst >= 0 and short[worst] > 1e-6
                            else None),
        "worst_shortfall_mw": float(short.max()) if short.size else 0.0,
        "sites_short_all": int((short_all > 1e-6).sum()),
        "worst_shortfall_mw_all": float(short_all.max()) if short_all.size else 0.0,
        "unprotected_mw": float(plan.solver.get("unprotected_mw") or 0.0),
        "unprotected_pairs": len(pairs),
        "unprotected_by_class": {},
        "unprotected": [],
    }
    if required and plan.method == "greedy":
        out["note"] = GREEDY_NOTE
    if not pairs:
        return out
    cand_reach = _candidate_reach(inputs)
    a = plan.assignments
    served = a.groupby(["point_index", "class_index"])["share"].sum()
    load = inputs.load_mw[:, :, -1]
    d = inputs.demand
    rows: list[dict[str, Any]] = []
    for p, k in sorted(pairs):
        budget = float(inputs.rtt_budget_ms[k])
        n_open = len(reach.get((p, k), []))
        n_cand = len(cand_reach.get((p, k), []))
        mw = float(load[p, k] * served.get((p, k), 0.0))
        name = str(d["name"].iat[p]) if "name" in d.columns else ""
        st = str(d["state"].iat[p]) if "state" in d.columns else ""
        rows.append({
            "point_id": str(d["id"].iat[p]),
            "point": ", ".join(x for x in (name, st) if x and x != "nan") or str(d["id"].iat[p]),
            "class_id": inputs.classes[k], "load_mw": mw,
            "open_sites_within_budget": n_open, "candidate_sites_within_budget": n_cand,
            "reason": _reason(budget, n_open, n_cand),
        })
    by_class: dict[str, dict[str, Any]] = {}
    for r in rows:
        c = by_class.setdefault(str(r["class_id"]), {"points": 0, "load_mw": 0.0, "reasons": {}})
        c["points"] += 1
        c["load_mw"] += r["load_mw"]
        c["reasons"][r["reason"]] = c["reasons"].get(r["reason"], 0) + 1
    out["unprotected_by_class"] = {
        cid: {"points": c["points"], "load_mw": c["load_mw"],
              "reason": max(c["reasons"].items(), key=lambda kv: kv[1])[0]}
        for cid, c in by_class.items()
    }
    rows.sort(key=lambda r: -float(r["load_mw"]))
    out["unprotected"] = rows[:MAX_LISTED_PAIRS]
    return out


def explain(block: dict[str, Any], max_points: int = 5) -> list[str]:
    """Plain sentences for a ``single_site_failure`` block (terminal and report).

    Examples
    --------
    >>> explain({"required": True, "survives": True, "survives_all": True, "unprotected_mw": 0.0,
    ...          "unprotected_pairs": 0, "unprotected_by_class": {}, "unprotected": []})
    ['Single-site failure (required): the plan survives the loss of any one site with all its load re-homed within budget.']
    """
    req = "required" if block.get("required") else "not required"
    out: list[str] = []
    if block.get("survives_all"):
        out.append(f"Single-site failure ({req}): the plan survives the loss of any one site with "
                   "all its load re-homed within budget.")
        return out
    if block.get("survives"):
        out.append(f"Single-site failure ({req}): the plan survives the loss of any one site except "
                   "for the load it serves unprotected on purpose (listed below).")
    else:
        worst = block.get("worst_site_name") or block.get("worst_site")
        out.append(f"Single-site failure ({req}): {block.get('sites_short', 0)} site(s) cannot be lost "
                   "without leaving protected load unserved within budget; worst: "
                   f"{worst}, {block.get('worst_shortfall_mw', 0.0):.3g} MW lost.")
        if block.get("note"):
            out.append(str(block["note"]))
    n = int(block.get("unprotected_pairs") or 0)
    if n:
        out.append(f"Unprotected: {block.get('unprotected_mw', 0.0):.3g} MW over {n} (demand point, "
                   "class) pairs, lost while their site is down:")
        for cid, c in (block.get("unprotected_by_class") or {}).items():
            out.append(f"  {cid}: {c['points']} demand point(s), {c['load_mw']:.3g} MW of served load; "
                       f"{c['reason']}.")
        top = (block.get("unprotected") or [])[:max_points]
        if top:
            out.append("  largest: " + "; ".join(f"{r['point']} {r['class_id']} {r['load_mw']:.3g} MW"
                                                  for r in top) + ".")
    return out


__all__ = ["MAX_LISTED_PAIRS", "SURVIVES_MEANING", "explain", "single_site_failure_summary"]
