"""The rule of the arrows (docs/architecture.md), checked on the source: every import of every
module of ``src/coredge`` (module level, inside functions and under ``TYPE_CHECKING`` alike).

- a module imports only modules on its own layer or below (`LAYERS`, bottom first);
- `coredge.cflp`, the generic facility-location engine, imports nothing but the bottom layer;
- there are no import cycles between modules;
- no module is over 800 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "coredge"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("coredge", "coredge.errors", "coredge.units", "coredge.files", "coredge.distributions",
     "coredge.geo", "coredge.latency", "coredge.formatting", "coredge.safeload"),
    ("coredge.data", "coredge.catalog"),
    ("coredge.physics",),
    ("coredge.scenario",),
    ("coredge.inputs",),
    ("coredge.cflp",),
    ("coredge.plan",),
    ("coredge.finance",),
    ("coredge.sim", "coredge.training", "coredge.power"),
    ("coredge.results",),
    ("coredge.store",),
    ("coredge.report",),
    ("coredge.pipeline",),
    ("coredge.studies", "coredge.validation"),
    ("coredge.service",),
    ("coredge.cli", "coredge.__main__"),
)  # fmt: skip
"""Layers, bottom first; a module belongs to the layer of its longest matching prefix."""

MAX_LINES = 800


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def layer_of(module: str) -> int:
    best, best_len = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for pre in prefixes:
            if (module == pre or module.startswith(pre + ".")) and len(pre) > best_len:
                best, best_len = i, len(pre)
    assert best >= 0, f"{module} is in no layer of tests/test_architecture.py"
    return best


def _resolve(name: str) -> str:
    """The module a dotted name refers to (a module, or the module defining the attribute)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def imports_of(module: str) -> Iterator[tuple[str, int]]:
    """(imported coredge module, line) for every import statement of `module`."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "coredge":
                    yield _resolve(a.name), node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_pkg else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != "coredge":
                continue
            for a in node.names:
                sub = f"{target}.{a.name}"
                yield (sub if sub in MODULES else _resolve(target)), node.lineno


EDGES: dict[str, list[tuple[str, int]]] = {
    m: [(t, ln) for t, ln in imports_of(m) if t and t != m] for m in MODULES
}


def test_every_module_has_a_layer() -> None:
    for m in MODULES:
        layer_of(m)


def test_imports_point_down() -> None:
    bad = [
        f"{MODULES[m].relative_to(SRC)}:{ln} imports {t} (layer {layer_of(t)} above {layer_of(m)})"
        for m, edges in EDGES.items()
        for t, ln in edges
        if layer_of(t) > layer_of(m)
    ]
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_cflp_imports_no_stage() -> None:
    bad = [
        f"{MODULES[m].relative_to(SRC)}:{ln} imports {t}"
        for m, edges in EDGES.items()
        if m.startswith("coredge.cflp")
        for t, ln in edges
        if not t.startswith("coredge.cflp") and layer_of(t) > 0
    ]
    assert not bad, "coredge.cflp must import only the bottom layer:\n" + "\n".join(bad)


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), ignoring the implicit
    import of a package's ``__init__`` by its submodules."""
    graph = {m: sorted({t for t, _ in e if not m.startswith(t + ".")}) for m, e in EDGES.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles() -> None:
    cycles = _cycles()
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_size(module: str) -> None:
    n = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{MODULES[module].relative_to(SRC)} has {n} lines (at most {MAX_LINES})"


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The import walker finds a function-level upward import (so the rule can fail)."""
    assert ("coredge.pipeline", 1) not in EDGES["coredge.plan.result"]
    assert any(t == "coredge.pipeline" for t, _ in EDGES["coredge.cli.run"])
    assert layer_of("coredge.pipeline") > layer_of("coredge.plan.result")
