"""The one safe loader for YAML and JSON input (scenarios, network specs, run directories).

Every YAML or JSON file coredge reads from a user goes through `load_yaml` / `load_json` (or the
``loads_*`` forms for text). Besides the syntax, each enforces limits that keep a hostile or
mistaken file from exhausting memory or the interpreter's stack:

- `MAX_YAML_BYTES`, `MAX_JSON_BYTES`: the file size, checked before it is read;
- `MAX_DEPTH`: nesting of mappings and lists (checked before anything recursive runs, so a
  100,000-deep file is refused at once, not with a ``RecursionError``);
- `MAX_NODES`: values after YAML aliases are expanded (a "billion laughs" file is refused after
  reading its few hundred bytes, not with a ``MemoryError``);
- duplicate keys in a mapping (YAML and JSON alike; with most parsers the second silently wins);
- JSON ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON; coredge never writes them).

Each violation raises `coredge.errors.InputError` naming the file, the line and the limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from coredge.errors import InputError

MAX_YAML_BYTES = 8 * 1024 * 1024
"""Largest YAML file read [bytes] (8 MiB; a scenario with every option set is under 20 KiB)."""

MAX_JSON_BYTES = 512 * 1024 * 1024
"""Largest JSON file read [bytes] (512 MiB; room for a network spec with a dense RTT matrix)."""

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists [levels] (coredge's own formats need fewer than 10)."""

MAX_NODES = 1_000_000
"""Most values in a YAML document once its aliases are expanded [values]."""

__all__ = [
    "MAX_DEPTH",
    "MAX_JSON_BYTES",
    "MAX_NODES",
    "MAX_YAML_BYTES",
    "load_json",
    "load_yaml",
    "loads_json",
    "loads_yaml",
]


def _fail(field: str, source: str, why: str, line: int | None = None) -> InputError:
    where = f" at line {line}" if line is not None else ""
    return InputError.of(field, source, f"{why}{where}", context=f"refused input {source}")


def _read(path: Path, limit: int, field: str, kind: str) -> str:
    p = Path(path)
    if not p.is_file():
        raise InputError.of(field, str(p), f"an existing {kind} file")
    try:
        size = p.stat().st_size
        if size > limit:
            raise _fail(field, str(p), f"a {kind} file of at most {limit:,} bytes; this one has {size:,}")
        with p.open("rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise InputError.of(field, str(p), f"a readable {kind} file ({exc})") from None
    if len(raw) > limit:
        raise _fail(field, str(p), f"a {kind} file of at most {limit:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail(field, str(p), f"UTF-8 text; byte {exc.start} is not", line) from None


# --------------------------------------------------------------------------------------------
# YAML


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader refusing duplicate keys (merge keys ``<<`` still override)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # the base class reports unhashable keys
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def _yaml_depth(text: str, source: str, field: str) -> None:
    """Refuse nesting deeper than `MAX_DEPTH` from the event stream (the parser is not recursive)."""
    depth = 0
    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(ev, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = ev.start_mark.line + 1 if ev.start_mark is not None else None
                raise _fail(field, source, f"nesting at most {MAX_DEPTH} levels deep", line)
        elif isinstance(ev, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for kv in node.value for n in kv]
    return []


def _yaml_expansion(root: yaml.Node, source: str, field: str) -> None:
    """Refuse a node graph whose aliases expand past `MAX_NODES` values or `MAX_DEPTH` levels."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            on_stack.discard(key)
            if size[key] > MAX_NODES:
                raise _fail(field, source, f"at most {MAX_NODES:,} values once aliases are expanded "
                            "(an alias bomb?)", node.start_mark.line + 1)
            if depth[key] > MAX_DEPTH + 1:
                raise _fail(field, source, f"nesting at most {MAX_DEPTH} levels deep once aliases "
                            "are expanded", node.start_mark.line + 1)
            continue
        if key in size:
            continue
        if key in on_stack:
            raise _fail(field, source, "no alias inside its own anchor (a recursive structure)",
                        node.start_mark.line + 1)
        on_stack.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


def loads_yaml(text: str, source: str = "(text)", field: str = "scenario") -> Any:
    """Parse YAML text under the module's limits.

    Parameters
    ----------
    text : str
        The document.
    source : str
        Its name in messages (a file path).
    field : str
        What it is in messages (a CLI argument or option name).

    Returns
    -------
    Any
        The parsed value (None for an empty document).

    Raises
    ------
    InputError
        Malformed YAML, more than one document, nesting, alias expansion or a duplicate key past
        the limits, naming `source` and the line.

    Examples
    --------
    >>> loads_yaml("a: 1\\nb: [1, 2]")
    {'a': 1, 'b': [1, 2]}
    """
    try:
        _yaml_depth(text, source, field)
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _yaml_expansion(node, source, field)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError.of(
            field, source, f"well-formed YAML; parser error{where}: {problem}",
            context=f"malformed YAML in {source}",
        ) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise _fail(field, source, f"nesting at most {MAX_DEPTH} levels deep") from None


def load_yaml(path: str | Path, field: str = "scenario") -> Any:
    """Read a YAML file under the module's limits (see `loads_yaml`; size: `MAX_YAML_BYTES`)."""
    text = _read(Path(path), MAX_YAML_BYTES, field, "YAML")
    return loads_yaml(text, str(path), field)


# --------------------------------------------------------------------------------------------
# JSON

_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def _json_depth(text: str, source: str, field: str) -> None:
    """Refuse nesting deeper than `MAX_DEPTH` before the (recursive) decoder sees the text."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    bare = _JSON_STRING.sub('""', text)  # brackets inside strings do not nest
    b = np.frombuffer(bare.encode("utf-8"), dtype=np.uint8)
    level = np.cumsum(_OPEN[b], dtype=np.int64)
    over = np.flatnonzero(level > MAX_DEPTH)
    if over.size:
        line = int(np.count_nonzero(b[: over[0]] == ord("\n"))) + 1
        raise _fail(field, source, f"nesting at most {MAX_DEPTH} levels deep", line)


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(k)
        out[k] = v
    return out


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (non-finite values are not accepted)")


def _duplicate_line(text: str, key: str) -> int | None:
    """Line of the object holding a duplicate `key` (with the pure-Python decoder, which says where)."""
    found: list[int] = []
    base: Any = vars(json.decoder)["JSONObject"]  # the pure-Python object parser

    def hook_at(start: int) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
        def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            keys = [k for k, _ in pairs]
            if len(set(keys)) < len(keys):
                found.append(start)
                raise _Duplicate(key)
            return dict(pairs)

        return hook

    def located(s_and_end: tuple[str, int], strict: bool, scan_once: Any, object_hook: Any,
                object_pairs_hook: Any, memo: Any = None) -> tuple[dict[str, Any], int]:
        return base(s_and_end, strict, scan_once, object_hook, hook_at(s_and_end[1] - 1), memo)

    decoder = json.JSONDecoder(object_pairs_hook=_no_duplicates)
    vars(decoder).update(parse_object=located)
    vars(decoder).update(scan_once=py_make_scanner(decoder))
    try:
        decoder.decode(text)
    except (_Duplicate, ValueError):
        pass
    return text.count("\n", 0, found[0]) + 1 if found else None


def loads_json(text: str, source: str = "(text)", field: str = "SPEC") -> Any:
    """Parse JSON text under the module's limits.

    Parameters
    ----------
    text : str
        The document.
    source : str
        Its name in messages (a file path).
    field : str
        What it is in messages (a CLI argument name).

    Raises
    ------
    InputError
        Malformed JSON, nesting past `MAX_DEPTH`, a duplicate key, or ``NaN``/``Infinity``,
        naming `source` and the line.

    Examples
    --------
    >>> loads_json('{"a": [1, 2.5]}')
    {'a': [1, 2.5]}
    """
    _json_depth(text, source, field)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except _Duplicate as exc:
        raise _fail(field, source, f"JSON without duplicate keys; key {exc.key!r} appears twice "
                    "in the object starting", _duplicate_line(text, exc.key)) from None
    except json.JSONDecodeError as exc:
        raise InputError.of(field, source, f"valid JSON; {exc.msg} at line {exc.lineno}, column {exc.colno}",
                            context=f"malformed JSON in {source}") from None
    except ValueError as exc:
        bare = _JSON_STRING.sub('""', text)
        m = re.search(r"-?\b(?:NaN|Infinity)\b", bare)
        line = bare.count("\n", 0, m.start()) + 1 if m else None
        raise _fail(field, source, f"valid JSON; {exc}", line) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise _fail(field, source, f"nesting at most {MAX_DEPTH} levels deep") from None


def load_json(path: str | Path, field: str = "SPEC") -> Any:
    """Read a JSON file under the module's limits (see `loads_json`; size: `MAX_JSON_BYTES`)."""
    text = _read(Path(path), MAX_JSON_BYTES, field, "JSON")
    return loads_json(text, str(path), field)
