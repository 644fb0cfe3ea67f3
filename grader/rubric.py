"""Rubric items: a check is a pytest test that carries its points and its words.

    from grader.rubric import check

    @check(points=2, expected="The image prints exactly 'Hello container'.",
           hint="Use CMD in exec form.", reproduce="docker run --rm {image}")
    def test_says_hello(run):
        result = run()
        assert result.stdout == "Hello container\\n", f"it printed {result.stdout!r}"

The assertion's own message is what the student reads as "found".

This module is a leaf every layer may import, so it holds `check` alone. An exercise's checks
import `check` with the rest of the authors' toolkit from `grader.checks.toolkit` (`wait_until`,
`said`, `run`, `runs_image`, `layers_start_with`, `Problems`, the registry's HTTP API), which needs
the engine's modules and so cannot be re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., Any])

MARK = "rubric"


@dataclass(frozen=True)
class Item:
    """The grading words attached to one check."""

    points: float
    expected: str
    hint: str = ""
    reproduce: str = ""
    hidden: bool = False


def check(
    *, points: float, expected: str, hint: str = "", reproduce: str = "", hidden: bool = False
) -> Callable[[F], F]:
    """Mark a test function as a rubric item worth `points`.

    A hidden item counts like any other, but students only ever read its
    `expected` and whether it passed: never what was found, a hint or a command.
    """
    if points <= 0:
        raise ValueError("a rubric item is worth more than 0 points")
    item = Item(points=points, expected=expected, hint=hint, reproduce=reproduce, hidden=hidden)
    mark: Callable[[F], F] = getattr(pytest.mark, MARK)(item)
    return mark


def item_of(node: pytest.Item) -> Item | None:
    """The rubric item a collected test carries, if any."""
    marker = node.get_closest_marker(MARK)
    return marker.args[0] if marker else None
