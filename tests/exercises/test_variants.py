"""Known submissions of each exercise lose exactly the rubric items they should.

Each folder tests/exercises/variants/<exercise-id>/<variant>/ is a submission (a
Dockerfile or a setup.sh, and its files) with an expected.toml:

    about = "What is special about this submission."
    hostile = true                # optional: it tries to fool the grader (marked `hostile`)
    fails = ["check_name", ...]   # exactly the items that must fail; [] for a correct variant

Each variant is graded on both image stores (grader/sandbox/stores.py).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from grader.grading.grade import grade
from grader.model.exercise import Exercise, load
from grader.sandbox import stores

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

VARIANTS = Path(__file__).parent / "variants"
CASES = sorted(VARIANTS.glob("*/*/expected.toml"))


def _id(expected: Path) -> str:
    return f"{expected.parent.parent.name}/{expected.parent.name}"


def _expected_fails(expected: Path) -> set[str]:
    return set(tomllib.loads(expected.read_text())["fails"])


def _graded(expected: Path) -> object:
    """A case of the grading test; a hostile variant carries the `hostile` mark."""
    hostile = tomllib.loads(expected.read_text()).get("hostile", False)
    return pytest.param(expected, id=_id(expected), marks=[pytest.mark.hostile] if hostile else [])


def _rubric_names(exercise: Exercise) -> set[str]:
    """The rubric items of an exercise: its checks.py functions decorated with @check."""
    tree = ast.parse(exercise.checks.read_text())
    return {
        node.name.removeprefix("test_")
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and node.name.startswith("test_")
        and any(_is_check(decorator) for decorator in node.decorator_list)
    }


def _is_check(decorator: ast.expr) -> bool:
    if not isinstance(decorator, ast.Call):
        return False
    return getattr(decorator.func, "id", getattr(decorator.func, "attr", "")) == "check"


@pytest.mark.parametrize("expected", CASES, ids=[_id(case) for case in CASES])
def test_expected_names_real_rubric_items(expected: Path) -> None:
    exercise = load(expected.parent.parent.name)
    unknown = _expected_fails(expected) - _rubric_names(exercise)
    assert unknown == set(), f"not rubric items of {exercise.id}: {sorted(unknown)}"
    assert (expected.parent / exercise.submitted_file).is_file()


EXERCISE_FOLDERS = sorted(p for p in VARIANTS.iterdir() if p.is_dir())


@pytest.mark.parametrize("folder", EXERCISE_FOLDERS, ids=[p.name for p in EXERCISE_FOLDERS])
def test_each_exercise_has_wrong_and_right_variants(folder: Path) -> None:
    fails = [_expected_fails(case) for case in folder.glob("*/expected.toml")]
    assert sum(1 for f in fails if f) >= 3, "fewer than 3 known-wrong variants"
    assert any(not f for f in fails), "no correct variant written differently from the solution"


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("store", stores.STORES)
@pytest.mark.parametrize("expected", [_graded(case) for case in CASES])
def test_the_variant_fails_exactly_its_items(
    expected: Path, store: stores.ImageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(stores.VARIABLE, store)
    exercise = load(expected.parent.parent.name)
    result = grade(exercise, expected.parent)
    assert result.status == "graded", f"{result.status}: {result.reason}"
    failed = {check.name: check.found for check in result.checks if not check.passed}
    want = _expected_fails(expected)
    unexpected = {name: found for name, found in failed.items() if name not in want}
    missing = sorted(want - failed.keys())
    assert not unexpected and not missing, (
        f"failed but should pass: {unexpected}\npassed but should fail: {missing}"
    )
