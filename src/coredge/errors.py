"""Error types shared by every stage.

`InputError` is raised for bad user input anywhere in coredge. The CLI turns it into a
one-paragraph message and exit code 2 (no traceback). Anything else that escapes is an internal
error (exit code 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


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
