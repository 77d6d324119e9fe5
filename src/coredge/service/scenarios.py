"""Scenarios as the service receives them: YAML text or a built-in name, checked as
``coredge validate`` checks a file (same problems: field path, value, what is allowed).

A scenario posted as text may not read files of the server: ``demand.points_csv`` (in the base or
a variant) is refused.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coredge.errors import InputError, Problem
from coredge.safeload import loads_yaml

MAX_SCENARIO_CHARS = 256 * 1024
"""Longest scenario text accepted [characters] (a scenario with every option set is under 20 KiB)."""


@dataclass(frozen=True)
class Checked:
    """A scenario that passed every check: its text, name and variants."""

    text: str
    name: str
    variants: list[str]
    builtin: str | None


def builtin_list() -> list[dict[str, Any]]:
    """Built-in scenarios: name, description, variants (as ``coredge scenarios --json``)."""
    from coredge.scenario.load import builtin_scenarios, read_yaml

    rows = []
    for name, path in builtin_scenarios().items():
        raw = read_yaml(path)
        rows.append({
            "name": name,
            "description": " ".join(str(raw.get("description", "")).split()),
            "variants": list((raw.get("variants") or {}).keys()),
        })
    return rows


def builtin_text(name: str) -> str:
    """The YAML text of built-in scenario `name`, or an `InputError` naming the known ones."""
    from coredge.scenario.load import builtin_scenarios

    known = builtin_scenarios()
    if name not in known:
        raise InputError.of("scenario_name", name, f"one of the built-in scenarios: {', '.join(known)}")
    return known[name].read_text(encoding="utf-8")


def _server_files(raw: Mapping[str, Any]) -> list[Problem]:
    problems = []
    sections: list[tuple[str, Any]] = [("", raw)]
    variants = raw.get("variants")
    if isinstance(variants, Mapping):
        sections += [(f"variants.{k}.", v) for k, v in variants.items()]
    for prefix, section in sections:
        demand = section.get("demand") if isinstance(section, Mapping) else None
        if isinstance(demand, Mapping) and demand.get("points_csv") is not None:
            problems.append(Problem(
                f"{prefix}demand.points_csv", demand["points_csv"],
                "no file paths in a scenario sent to the service (it never reads the server's "
                "files): use demand.source 'cities', or run it with the coredge CLI",
            ))
    return problems


def check_text(text: str, builtin: str | None = None) -> Checked:
    """Validate scenario YAML text: the base and every variant, as ``coredge validate`` does.

    Raises
    ------
    InputError
        Every problem found, with its field path, the value and what is allowed.
    """
    from coredge.inputs.build import build_demand_points
    from coredge.scenario.load import validate_file

    if len(text) > MAX_SCENARIO_CHARS:
        raise InputError.of("scenario", f"{len(text)} characters", f"at most {MAX_SCENARIO_CHARS} characters")
    raw = loads_yaml(text, "scenario", "scenario")
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InputError.of("scenario", type(raw).__name__, "a YAML mapping of scenario fields at the top level")
    if builtin is None:
        bad = _server_files(raw)
        if bad:
            raise InputError(bad, context="invalid scenario")
    with tempfile.TemporaryDirectory(prefix="coredge-validate-") as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            base, variants = validate_file(builtin if builtin is not None else path)
        except InputError as exc:  # the temporary file's name means nothing to the sender
            raise InputError(exc.problems, context=exc.context.replace(f" {path.name}", "")) from None
    for label, sc in [("base", base), *variants.items()]:
        try:
            build_demand_points(sc)
        except InputError as exc:
            raise InputError(exc.problems, context=f"invalid scenario ({label}): {exc.context}") from None
    return Checked(text, base.name, list(variants), builtin)


def check_request(text: str | None, name: str | None, variant: str | None) -> Checked:
    """Check a request naming a scenario by text or by built-in name, and its variant."""
    if (text is None) == (name is None):
        raise InputError.of("scenario", None, "exactly one of 'scenario' (YAML text) or 'scenario_name' (a built-in)")
    checked = check_text(builtin_text(name), builtin=name) if name is not None else check_text(str(text))
    if variant is not None and variant not in checked.variants:
        raise InputError.of("variant", variant, f"one of the scenario's variants: {', '.join(checked.variants) or '(none)'}")
    return checked


def problems_json(exc: InputError) -> dict[str, Any]:
    """An `InputError` as the API's 422 body: ``message``, ``context`` and ``problems``."""
    from coredge.files import jsonable

    def value(v: Any) -> Any:
        v = jsonable(v)
        return v if isinstance(v, str | int | float | bool | type(None) | list | dict) else str(v)

    return {
        "message": exc.message(),
        "context": exc.context,
        "problems": [{"field": p.field, "value": value(p.value), "allowed": p.allowed} for p in exc.problems],
    }


__all__ = ["MAX_SCENARIO_CHARS", "Checked", "builtin_list", "builtin_text", "check_request",
           "check_text", "problems_json"]
