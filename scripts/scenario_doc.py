"""Write docs/scenario.md: every scenario field with its type and description (from the schema).

Usage: python scripts/scenario_doc.py
"""

from __future__ import annotations

from pathlib import Path

from coredge.scenario.schema import TierHardware, TierSpec, WorkloadClass, describe

ROOT = Path(__file__).resolve().parents[1]


def _table(rows: list[tuple[str, str, str]]) -> list[str]:
    out = ["| field | type | meaning |", "|---|---|---|"]
    for path, typ, desc in rows:
        typ_md = typ.replace("|", "\\|")
        out.append(f"| `{path}` | {typ_md} | {desc.replace('|', '/')} |")
    return out


def main() -> None:
    lines = [
        "# Scenario fields",
        "",
        "Every field of a coredge scenario, generated from `coredge.scenario.schema` by",
        "`python scripts/scenario_doc.py`. Units are in the field names; `coredge validate FILE` checks a",
        "file. `tiers.<core|regional|micro>` and `workloads.<id>` default to the built-in archetypes",
        "(`coredge data` lists their sources); a scenario overrides any of their fields by id, and a",
        "file may hold named `variants` (deep-merged overrides, `--scenario-variant NAME`).",
        "",
        *_table(describe()),
        "",
        "## `tiers.<id>`",
        "",
        *_table(describe(TierSpec, "tiers.<id>.")),
        "",
        "## `workloads.<id>`",
        "",
        *_table(describe(WorkloadClass, "workloads.<id>.")),
        "",
        "## `hardware.tiers.<id>`",
        "",
        *_table(describe(TierHardware, "hardware.tiers.<id>.")),
        "",
    ]
    (ROOT / "docs" / "scenario.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
