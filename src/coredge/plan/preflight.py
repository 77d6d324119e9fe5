"""The one gate before solving: every check `coredge run` makes, at once, for `coredge validate` too.

`gate` takes a validated scenario and runs, without stopping at the first failure:

* data availability: the demand points, the serving operating point of every class, the
  electricity price and grid carbon intensity of every candidate's country or state;
* reachability: every class with an RTT budget is within budget of some candidate of a tier
  that serves it (a warning with the share of its load out of reach; the run goes ahead and
  leaves that load unserved);
* training: the core candidates can host the training load of every year (a warning naming the
  unserved MW, never an error: the plan still runs and prices what can be built).

`check_source` is what both CLI commands call: it loads a scenario file (schema and semantic
problems listed together, `coredge.scenario.load.collect_scenario`) and adds the gate's findings
to the same list, so ``coredge validate`` rejects exactly what ``coredge run`` would reject, and
both report every problem in one message.

Examples
--------
``gate(load_scenario("us")).errors`` is ``[]``; nothing found at all is

>>> Findings().errors, Findings().warnings
([], [])
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coredge.errors import InputError, Problem
from coredge.inputs.build import (
    Inputs,
    build_candidates,
    build_demand_points,
    build_inputs,
    class_capacity,
)
from coredge.plan.facilities import Facilities, build_facilities
from coredge.scenario.schema import Scenario

UNREACHABLE_WARN_FRAC = 1e-3
"""Share of a class's final-year load out of every candidate's reach above which the gate warns
[fraction] (assumption: below 0.1 % the coverage figures round it away)."""


@dataclass(frozen=True)
class Findings:
    """What the gate found in one scenario.

    Attributes
    ----------
    errors : list of Problem
        Problems that stop a run (exit 2 at the CLI).
    warnings : list of dict
        ``{kind, message, ...}`` records the run goes ahead with (kinds ``training_unhostable``,
        ``unreachable``).
    inputs : Inputs or None
        The planner's inputs, when they could be built (reused by `coredge.pipeline.execute`).
    stages : list of str
        The stages that failed, in words (``missing tariff or grid data``), for the message.
    seconds : float
        Wall time the checks took, building the inputs included [s].
    """

    errors: list[Problem] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    inputs: Inputs | None = None
    stages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def raise_errors(self, context: str = "scenario cannot be run") -> None:
        """Raise one `InputError` with every error, if there is any."""
        if self.errors:
            raise InputError(self.errors, context=_with_stages(context, self.stages))


def _with_stages(context: str, stages: list[str]) -> str:
    return context + (f" ({'; '.join(dict.fromkeys(stages))})" if stages else "")


def _collect(problems: list[Problem], stages: list[str], fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except InputError as exc:
        problems.extend(exc.problems)
        if exc.context:
            stages.append(exc.context)
        return None


_LAST: list[tuple[Scenario, Any, Findings]] = []


def gate(sc: Scenario, prepare: Callable[[Inputs], Inputs] | None = None) -> Findings:
    """Every pre-solve check of a validated scenario (see the module docstring).

    Parameters
    ----------
    sc : Scenario
        A scenario that passed the schema and semantic checks.
    prepare : callable, optional
        Applied to the inputs before the checks (the pipeline's
        `coredge.power.planner_paths.with_power_paths`, so that the checks see the facilities
        the planner will have); the findings' inputs are the prepared ones.

    Returns
    -------
    Findings
        Errors (the run cannot start), warnings (it can) and, without errors, the inputs.
    """
    if _LAST and _LAST[0][0] is sc and _LAST[0][1] is prepare:
        return _LAST[0][2]
    t0 = time.perf_counter()
    errors: list[Problem] = []
    stages: list[str] = []
    inputs: Inputs | None = None
    try:
        inputs = build_inputs(sc)
    except InputError:
        # find every problem, not only the first stage's: each stage on its own
        demand = _collect(errors, stages, build_demand_points, sc)
        _collect(errors, stages, class_capacity, sc)
        if demand is not None:
            _collect(errors, stages, build_candidates, sc, demand)
        if not errors:
            inputs = _collect(errors, stages, build_inputs, sc)
    warnings: list[dict[str, Any]] = []
    if inputs is not None and prepare is not None:
        inputs = prepare(inputs)
    if inputs is not None:
        fac = build_facilities(inputs)
        warnings.extend(_reach_warnings(inputs, fac))
        warnings.extend(_training_warnings(inputs, fac))
    out = Findings(_dedupe(errors), warnings, inputs if not errors else None, stages,
                   time.perf_counter() - t0)
    _LAST[:] = [(sc, prepare, out)]
    return out


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    out: list[Problem] = []
    for p in problems:
        key = str(p)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _reach_warnings(inputs: Inputs, fac: Facilities) -> list[dict[str, Any]]:
    """Classes whose load no candidate (of a tier serving them) can reach within budget.

    Warnings, not errors: the plan still runs and leaves that load unserved (the strategy
    comparison's all-core plan of a scenario whose campuses come online late, for instance).
    """
    from coredge.plan.reach import class_pairs, tier_serves

    warnings: list[dict[str, Any]] = []
    lat = fac.table["lat"].to_numpy(dtype=np.float64)
    lon = fac.table["lon"].to_numpy(dtype=np.float64)
    for k, cid in enumerate(inputs.classes):
        budget = float(inputs.rtt_budget_ms[k])
        serves = np.array([tier_serves(inputs, str(t), cid) for t in fac.tier], dtype=bool)
        load = inputs.load_mw[:, k, -1]
        total = float(load.sum())
        if not total > 0:
            continue
        if not serves.any():
            warnings.append({
                "kind": "unreachable", "class": cid, "share_of_load": 1.0,
                "message": f"{cid}: no candidate site of the tiers serving it (tiers.*.serves) comes "
                           "online within the horizon; all of its load will go unserved",
            })
            continue
        if math.isinf(budget):
            continue
        pr = class_pairs(inputs, lat[serves], lon[serves], k)
        reached = np.zeros(inputs.n_points, dtype=bool)
        reached[pr.point] = True
        share_out = float(load[~reached].sum()) / total
        if share_out > UNREACHABLE_WARN_FRAC:
            warnings.append({
                "kind": "unreachable", "class": cid, "share_of_load": share_out,
                "message": f"{cid}: {share_out:.1%} of its load is beyond every candidate site's "
                           f"reach within its {budget:g} ms budget and will go unserved",
            })
    return warnings


def _training_warnings(inputs: Inputs, fac: Facilities) -> list[dict[str, Any]]:
    """The training load the core candidates cannot host, per year (a warning, not an error)."""
    training = np.asarray(inputs.training_mw, dtype=np.float64)
    if not (training > 0).any():
        return []
    years = [int(y) for y in inputs.years]
    cap = np.array([
        float((fac.max_modules * fac.module_mw)[fac.serves_training & (fac.online_year <= y)].sum())
        for y in years
    ])
    short = np.maximum(training - cap, 0.0)
    bad = short > 1e-6 * np.maximum(training, 1.0)
    if not bad.any():
        return []
    worst = int(np.argmax(short))
    n_core = int(np.unique(fac.site[fac.serves_training & (fac.online_year <= years[-1])]).size)
    first = years[int(np.flatnonzero(bad)[0])]
    core_years = fac.online_year[fac.serves_training]
    first_online = int(core_years.min()) if core_years.size else 0
    return [{
        "kind": "training_unhostable", "class": "training", "years": [years[i] for i in np.flatnonzero(bad)],
        "worst_year": years[worst], "unserved_mw": float(short[worst]),
        "training_mw": float(training[worst]), "hostable_mw": float(cap[worst]),
        "message": (
            f"training: {short[worst]:,.0f} MW of {training[worst]:,.0f} MW cannot be hosted in "
            f"{years[worst]} (unserved from {first}): "
            + (f"the core candidates online by then hold at most {cap[worst]:,.0f} MW IT at their "
               f"grid and size limits (the first of {n_core} comes online in {first_online})"
               if n_core else
               "no candidate site can hold one core campus module online within the horizon "
               "(outside the US the candidates are cities, with an edge-sized grid connection); "
               "add existing_sites of tier core, or lower training.it_mw_start")
        ),
    }]


def _gate_behind(sc: Scenario, problems: list[Problem],
                 prepare: Callable[[Inputs], Inputs] | None = None) -> Findings:
    """The gate on a scenario that had problems already (pruned of the fields pydantic rejected,
    or semantically wrong): its errors are extra information, so anything it cannot check is
    left to the problems already found."""
    if not problems:
        return gate(sc, prepare)
    try:
        return gate(sc, prepare)
    except Exception:
        return Findings()


def check_source(source: str | Path | None, variant: str | None = None,
                 prepare: Callable[[Inputs], Inputs] | None = None) -> tuple[Scenario, Findings]:
    """Load a scenario and run the gate (with `gate`'s ``prepare``); raise one `InputError` with
    every problem found.

    Schema and semantic problems (`coredge.scenario.load.collect_scenario`) and the gate's
    errors on what could be validated go into the same list.

    Returns
    -------
    (Scenario, Findings)
        The scenario and its findings (warnings only).
    """
    from coredge.scenario.load import collect_scenario

    sc, problems, label = collect_scenario(source, variant)
    found = _gate_behind(sc, problems, prepare) if sc is not None else Findings()
    everything = _dedupe([*problems, *found.errors])
    if everything or sc is None:
        raise InputError(everything, context=_with_stages(f"invalid scenario{label}", found.stages))
    return sc, found


def check_file(source: str | Path, prepare: Callable[[Inputs], Inputs] | None = None,
               ) -> tuple[Scenario, dict[str, Scenario], dict[str, Findings]]:
    """`coredge validate`: the base and every variant through the schema, the semantic checks
    and the gate; one `InputError` with every problem of all of them.

    Returns
    -------
    (Scenario, dict, dict)
        The base, the variants by name, and the findings (warnings) by ``"base"`` / variant name.
    """
    from coredge.scenario.load import collect_file

    entries, name = collect_file(source)
    problems: list[Problem] = []
    stages: list[str] = []
    findings: dict[str, Findings] = {}
    for label, sc, found in entries:
        problems.extend(found)
        if sc is None:
            continue
        f = _gate_behind(sc, found, prepare)
        findings[label] = f
        stages.extend(f.stages)
        prefix = "" if label == "base" else f"variants.{label}: "
        base_errs = {str(p) for p in findings["base"].errors} if label != "base" and "base" in findings else set()
        problems.extend(Problem(prefix + p.field, p.value, p.allowed) for p in f.errors
                        if str(p) not in base_errs)
    problems = _dedupe(problems)
    base = entries[0][1]
    if problems or base is None:
        raise InputError(problems, context=_with_stages(f"invalid scenario {name}", stages))
    variants = {label: sc for label, sc, _ in entries[1:] if sc is not None}
    return base, variants, findings


__all__ = ["UNREACHABLE_WARN_FRAC", "Findings", "check_file", "check_source", "gate"]
