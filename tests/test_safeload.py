"""The one safe YAML/JSON loader (coredge.safeload): limits on size, nesting, alias expansion,
duplicate keys and non-finite JSON numbers, each refused with an InputError naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from coredge import safeload
from coredge.errors import InputError
from test_input_limits import LAUGHS


def _message(exc: pytest.ExceptionInfo[InputError]) -> str:
    return exc.value.message()


def test_alias_bomb_is_refused_at_once_naming_the_line() -> None:
    with pytest.raises(InputError) as exc:
        safeload.loads_yaml(LAUGHS, "bomb.yaml")
    msg = _message(exc)
    assert "bomb.yaml" in msg and "aliases are expanded" in msg and "line" in msg


def test_a_few_aliases_and_merge_keys_are_fine() -> None:
    text = "base: &b {p: 1, q: 2}\nuse:\n  <<: *b\n  q: 3\nlist: [*b, *b]\n"
    data = safeload.loads_yaml(text)
    assert data["use"] == {"p": 1, "q": 3} and data["list"] == [{"p": 1, "q": 2}] * 2


@pytest.mark.parametrize("depth", [safeload.MAX_DEPTH + 1, 5_000])
def test_deep_yaml_is_refused_without_recursion_error(depth: int) -> None:
    with pytest.raises(InputError) as exc:
        safeload.loads_yaml("a: " + "[" * depth + "]" * depth, "deep.yaml")
    assert "nesting at most" in _message(exc) and "line 1" in _message(exc)


def test_deep_yaml_through_aliases_is_refused() -> None:
    half = safeload.MAX_DEPTH - 2
    text = "a: &a " + "[" * half + "]" * half + "\nb: " + "[" * half + "*a" + "]" * half + "\n"
    with pytest.raises(InputError, match="once aliases"):
        safeload.loads_yaml(text)


def test_nesting_at_the_limit_is_read() -> None:
    d = safeload.MAX_DEPTH - 1
    assert safeload.loads_yaml("a: " + "[" * d + "]" * d) is not None
    assert safeload.loads_json("[" * safeload.MAX_DEPTH + "]" * safeload.MAX_DEPTH) is not None


def test_recursive_yaml_is_refused() -> None:
    with pytest.raises(InputError, match="recursive"):
        safeload.loads_yaml("a: &a [1, *a]\n")


def test_duplicate_yaml_key_names_both_lines() -> None:
    with pytest.raises(InputError) as exc:
        safeload.loads_yaml("name: a\nseed: 1\nname: b\n", "dup.yaml")
    msg = _message(exc)
    assert "duplicate key 'name'" in msg and "line 3" in msg and "first at line 1" in msg


@pytest.mark.parametrize("depth", [safeload.MAX_DEPTH + 1, 100_000])
def test_deep_json_is_refused_without_recursion_error(depth: int) -> None:
    with pytest.raises(InputError) as exc:
        safeload.loads_json("[" * depth + "]" * depth, "deep.json")
    assert "nesting at most" in _message(exc) and "deep.json" in _message(exc)


def test_brackets_inside_json_strings_do_not_count() -> None:
    text = '{"a": "' + "[" * 500 + '", "b": "\\"[[["}'
    assert safeload.loads_json(text)["b"] == '"[[['


def test_duplicate_json_key_names_the_object_line() -> None:
    text = '{\n "sites": [\n  {"id": "a",\n   "servers": 1, "servers": 2}\n ]\n}'
    with pytest.raises(InputError) as exc:
        safeload.loads_json(text, "spec.json")
    msg = _message(exc)
    assert "'servers' appears twice" in msg and "line 3" in msg


@pytest.mark.parametrize("const", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_json_numbers_are_refused(const: str) -> None:
    with pytest.raises(InputError) as exc:
        safeload.loads_json('{"a":\n ' + const + "}", "nan.json")
    assert "not a JSON number" in _message(exc) and "line 2" in _message(exc)


def test_malformed_json_and_yaml_name_line_and_column() -> None:
    with pytest.raises(InputError, match="line 2, column"):
        safeload.loads_json('{"a": 1,\n ]', "bad.json")
    with pytest.raises(InputError, match="line 3"):
        safeload.loads_yaml("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml")


def test_file_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safeload, "MAX_YAML_BYTES", 100)
    monkeypatch.setattr(safeload, "MAX_JSON_BYTES", 100)
    y, j = tmp_path / "big.yaml", tmp_path / "big.json"
    y.write_text("a: " + "x" * 200, encoding="utf-8")
    j.write_text('"' + "x" * 200 + '"', encoding="utf-8")
    with pytest.raises(InputError, match="at most 100 bytes"):
        safeload.load_yaml(y)
    with pytest.raises(InputError, match="at most 100 bytes"):
        safeload.load_json(j)


def test_not_utf8_and_missing_files(tmp_path: Path) -> None:
    p = tmp_path / "latin.yaml"
    p.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(InputError, match="UTF-8"):
        safeload.load_yaml(p)
    with pytest.raises(InputError, match="an existing JSON file"):
        safeload.load_json(tmp_path / "none.json")
