"""Rebuild BENCHMARKS.md from the per-area results in benchmarks/results_<area>.md.

Usage: python scripts/collect_benchmarks.py
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = ("sim", "planner", "cflp", "finance", "irr", "studies", "physics", "data")

HEADER = """# coredge benchmarks

Speed is measured by the scripts in `benchmarks/`, never asserted in tests. Each section below gives
the machine, date, command and figures, and the ratio against the peer measured in the same run.
Each section is copied from `benchmarks/results_<area>.md` by `python scripts/collect_benchmarks.py`.

Machine for all figures unless a section says otherwise: the development container, 2 CPU cores
(shared with other work while measuring, so figures are noisy), 24 GiB RAM, Python 3.11.7.
"""


def main() -> None:
    files = sorted(ROOT.glob("benchmarks/results_*.md"))
    rank = {name: i for i, name in enumerate(ORDER)}
    files.sort(key=lambda p: (rank.get(p.stem.removeprefix("results_"), len(ORDER)), p.name))
    parts = [HEADER]
    for f in files:
        text = f.read_text(encoding="utf-8").strip()
        lines = [("#" + ln if ln.startswith("# ") else ln) for ln in text.splitlines()]
        parts.append(f"\n<!-- from {f.relative_to(ROOT)} -->\n" + "\n".join(lines) + "\n")
    (ROOT / "BENCHMARKS.md").write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
