"""Error types shared by every stage.

`InputError` is raised for bad user input anywhere in coredge. The CLI turns it into a
one-paragraph message and exit code 2 (no traceback). Anything else that escapes is an internal
error (exit code 1).
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError, ValidationInfo, field_validator


@dataclass(frozen=True)
class Problem:
    """One problem with user input.

    Attributes
    ----------
    field : str
        Dotted path of the offending field (``workloads.voice.rtt_budget_ms``) or a CLI option
        (``--gpu``).
    value : Any
        The value that was given.
    allowed : str
        What would have been accepted, in words.
    """

    field: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        shown = repr(self.value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return f"{self.field}: got {shown}; {self.allowed}"


class InputError(Exception):
    """Bad user input: one or more `Problem` s. Exit code 2 in the CLI."""

    def __init__(self, problems: Problem | Sequence[Problem], context: str = "") -> None:
        self.problems: list[Problem] = (
            [problems] if isinstance(problems, Problem) else list(problems)
        )
        self.context = context
        super().__init__(self.message())

    @classmethod
    def of(cls, field: str, value: Any, allowed: str, context: str = "") -> InputError:
        """Shorthand for a single problem."""
        return cls(Problem(field, value, allowed), context)

    def message(self) -> str:
        """The whole message: context line, then one line per problem."""
        head = self.context or "invalid input"
        n = len(self.problems)
        lines = [f"{head} ({n} problem{'s' if n != 1 else ''}):"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# pydantic errors -> problems (the one translator: scenarios, network specs, CLI options)


def _unwrap(ann: Any) -> list[Any]:
    """The concrete types inside Optional/Union/Annotated annotations."""
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(ann) for t in _unwrap(a)]
    return [ann]


def _number_only(ann: Any) -> bool:
    """True if `ann` takes numbers (float or int) but not booleans."""
    kinds = _unwrap(ann)
    return bool(kinds) and bool not in kinds and any(k in (float, int) for k in kinds)


def bool_for_number(ann: Any, value: Any) -> bool:
    """True if `value` holds a boolean where `ann` wants a number (in lists and mapping values too).

    YAML reads ``yes``/``true`` as booleans and pydantic would take them as 1; no user means that.

    Examples
    --------
    >>> bool_for_number(float, True), bool_for_number(float, 1.0), bool_for_number(dict[str, float], {"TX": True})
    (True, False, True)
    """
    if isinstance(value, bool):
        return _number_only(ann)
    for kind in _unwrap(ann):
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if origin is dict and isinstance(value, dict) and len(args) == 2:
            if any(bool_for_number(args[1], v) for v in value.values()):
                return True
        elif origin in (list, tuple) and isinstance(value, list | tuple) and args:
            if all(type(v) is float or type(v) is int for v in value):
                continue  # plain numbers (a bool is neither): nothing nested to look into
            if any(bool_for_number(args[0], v) for v in value):
                return True
    return False


class NoBooleanNumbers(BaseModel):
    """Base of coredge's input models: a boolean is never read as a number (`bool_for_number`),
    and the error names the field. Subclasses set their own ``model_config``."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and bool_for_number(field.annotation, value):
            raise ValueError("must be a number, not a boolean")
        return value


def model_at(loc: Sequence[int | str], root: type[BaseModel]) -> type[BaseModel] | None:
    """The pydantic model class reached by following `loc` from `root` (None if not a model).

    Parameters
    ----------
    loc : sequence of str or int
        Field names, list indices and mapping keys, as in a pydantic error's ``loc``.
    root : type of BaseModel
        The model the path starts from.
    """
    current: Any = root
    for part in loc:
        nxt: Any = None
        for cand in _unwrap(current):
            origin = typing.get_origin(cand)
            if isinstance(cand, type) and issubclass(cand, BaseModel) and isinstance(part, str):
                field = cand.model_fields.get(part)
                if field is not None:
                    nxt = field.annotation
                    break
            elif origin is dict:
                nxt = typing.get_args(cand)[1]
                break
            elif origin is list and isinstance(part, int):
                nxt = typing.get_args(cand)[0]
                break
        if nxt is None:
            return None
        current = nxt
    for cand in _unwrap(current):
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            return cand
    return None


def field_path(loc: Sequence[int | str], prefix: str = "", whole: str = "") -> str:
    """Dotted path of a pydantic ``loc``: ``sites[0].servers`` (``whole`` when `loc` is empty).

    Examples
    --------
    >>> field_path(("sites", 0, "servers"))
    'sites[0].servers'
    >>> field_path((), whole="(spec)")
    '(spec)'
    """
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        else:
            parts.append(("." if parts else "") + str(p))
    return prefix + "".join(parts) if parts else (prefix.rstrip(".") or whole)


def did_you_mean(name: str, options: Sequence[str], what: str = "allowed fields here") -> str:
    """``did you mean 'x'? allowed fields here: a, b`` (the hint only when a name is close).

    Parameters
    ----------
    name : str
        The unknown name that was given.
    options : sequence of str
        The names that are allowed.
    what : str
        What the options are, in words.

    Examples
    --------
    >>> did_you_mean("horizn", ["name", "horizon"])
    "did you mean 'horizon'? allowed fields here: name, horizon"
    """
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{hint}{what}: {', '.join(options)}"


def problems_from_validation(
    err: ValidationError, root: type[BaseModel], prefix: str = "", whole: str = "(input)"
) -> list[Problem]:
    """Turn a pydantic `ValidationError` into `Problem` s naming path, value and what is allowed.

    Parameters
    ----------
    err : ValidationError
        Raised by ``root.model_validate`` (or a model constructor).
    root : type of BaseModel
        The model that was validated (to list the fields allowed next to an unknown one).
    prefix : str
        Put before every path (``"plan.json scenario."``).
    whole : str
        The path shown for a problem with the whole input (an empty ``loc``).

    Returns
    -------
    list of Problem
        One per pydantic error, in pydantic's order: an unknown field lists the allowed ones
        (with a did-you-mean hint), a missing one says it is required, anything else gives
        pydantic's message with "Input should be" worded as "must be".
    """
    problems: list[Problem] = []
    for e in err.errors(include_url=False):
        # drop the tags pydantic adds for validators and unions ("function-after[...]")
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and "[" in p and "]" in p))
        path = field_path(loc, prefix, whole)
        kind = e["type"]
        if kind == "extra_forbidden":
            model = model_at(loc[:-1], root)
            options = list(model.model_fields) if model is not None else []
            allowed = "unknown field" + ("; " + did_you_mean(str(loc[-1]), options) if options else "")
            problems.append(Problem(path, e.get("input"), allowed))
            continue
        if kind == "missing":
            problems.append(Problem(path, "(missing)", "this field is required"))
            continue
        msg = str(e["msg"])
        msg = msg.replace("Input should be", "must be").replace("Value error, ", "")
        if kind == "literal_error":
            msg = msg.replace("must be", "must be one of")
        problems.append(Problem(path, e.get("input"), msg))
    return problems
