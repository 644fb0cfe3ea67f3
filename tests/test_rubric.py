"""Rubric items: a check carries its points and its words as a pytest marker."""

from __future__ import annotations

from pathlib import Path

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


def test_a_hidden_check_is_graded_and_its_result_is_marked_hidden(tmp_path: Path) -> None:
    from grader.checks.plugin import Target, run_checks
    from grader.model.exercise import load

    folder = tmp_path / "tiny.hidden"
    folder.mkdir()
    (folder / "exercise.toml").write_text('id = "tiny.hidden"\ntitle = "t"\ntopic = "t"\nkind = "image"\n')
    (folder / "checks.py").write_text(
        "from grader.rubric import check\n\n"
        '@check(points=2, expected="It prints ok.", hint="secret hint", reproduce="x", hidden=True)\n'
        "def test_secret(run):\n    run()\n\n"
        '@check(points=1, expected="Always.")\n'
        "def test_plain():\n    pass\n"
    )
    secret, plain = run_checks(Target(load("tiny.hidden", tmp_path)))
    assert (secret.name, secret.hidden, secret.passed, secret.max_points) == ("secret", True, False, 2)
    assert secret.found == "This exercise builds no image.", "instructors still see what was found"
    assert secret.hint == "secret hint"
    assert (plain.hidden, plain.passed) == (False, True)
