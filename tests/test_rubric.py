"""Rubric items: a check carries its points and its words as a pytest marker."""

from __future__ import annotations

import pytest

from grader.rubric import MARK, Item, check, item_of

pytest_plugins = ["pytester"]


@pytest.mark.parametrize("points", [0, -1, -0.5])
def test_a_check_worth_nothing_or_less_is_refused(points: float) -> None:
    with pytest.raises(ValueError, match="more than 0 points"):
        check(points=points, expected="anything")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")
def test_check_attaches_an_item_with_the_words() -> None:
    @check(points=2, expected="It works.", hint="Try harder.", reproduce="docker run x")
    def test_it() -> None: ...

    marks = [mark for mark in test_it.pytestmark if mark.name == MARK]  # type: ignore[attr-defined]
    assert [mark.args[0] for mark in marks] == [
        Item(points=2, expected="It works.", hint="Try harder.", reproduce="docker run x")
    ]


def test_item_of_reads_the_marker_of_a_collected_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        checks="""
        from grader.rubric import check

        @check(points=1.5, expected="Marked.")
        def test_marked():
            pass

        def test_plain():
            pass
        """
    )
    items, _ = pytester.inline_genitems("checks.py", "-p", "no:cacheprovider")
    found = {item.name: item_of(item) for item in items}
    assert found == {"test_marked": Item(points=1.5, expected="Marked."), "test_plain": None}
