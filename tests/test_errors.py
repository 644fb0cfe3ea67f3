"""The grader's one error tree, and what the `grader` command does with what reaches it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import grader
from grader import errors
from grader.batch.layout import LayoutError
from grader.cli import failures, main
from grader.exit_codes import BY_BRANCH, Exit
from grader.host.engine import EngineUnavailable
from grader.quiz.terminal import Quit
from grader.sandbox.walk import Refused


def _exception_classes() -> Iterator[type[BaseException]]:
    """Every exception class a module of grader/ defines."""
    for module_info in pkgutil.walk_packages(grader.__path__, "grader."):
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                yield value


def test_every_exception_class_of_the_grader_is_in_the_tree() -> None:
    found = set(_exception_classes())
    assert len(found) >= 33, sorted(kind.__qualname__ for kind in found)
    outside = [
        f"{kind.__module__}.{kind.__qualname__}" for kind in found if not issubclass(kind, errors.GraderError)
    ]
    assert not outside, f"not in grader.errors' tree: {outside}"
    for kind in found - {errors.GraderError, *errors.BRANCHES}:
        assert errors.branch(kind.__new__(kind)) in errors.BRANCHES, kind  # in a branch, not at the root


def test_the_tree_keeps_the_built_in_bases_callers_catch() -> None:
    assert issubclass(LayoutError, ValueError) and issubclass(EngineUnavailable, RuntimeError)
    from grader.model.exercise import UnknownExercise

    assert issubclass(UnknownExercise, LookupError) and issubclass(UnknownExercise, errors.InputError)


@pytest.fixture(autouse=True)
def _keep_sigterm() -> Iterator[None]:
    """`grader` turns SIGTERM into Ctrl-C for its own process; give the test process its handler back."""
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


def _failing(monkeypatch: pytest.MonkeyPatch, failure: BaseException) -> Result:
    """`grader exercises`, its command raising `failure`."""
    from grader.commands import exercises

    def fail(**_: object) -> int:
        raise failure

    monkeypatch.setattr(exercises, "main", fail)
    return CliRunner().invoke(main, ["exercises"], env={"COLUMNS": "200", "NO_COLOR": "1"})


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (LayoutError("The folder holds no class."), Exit.USAGE),
        (EngineUnavailable("Start it."), Exit.FAILED),
        (Refused("Too many files."), Exit.FAILED),
        (Quit("The quiz stopped."), Exit.INTERRUPTED),
    ],
    ids=["input", "setup", "submission", "interrupted"],
)
def test_each_branch_has_its_exit_code_and_says_its_message(
    failure: errors.GraderError, code: Exit, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert BY_BRANCH[errors.branch(failure)] == code
    done = _failing(monkeypatch, failure)
    assert done.exit_code == code
    assert str(failure) in done.stderr and done.stdout == ""
    assert "Traceback" not in done.output


def test_every_branch_has_an_exit_code() -> None:
    assert set(BY_BRANCH) == {errors.GraderError, *errors.BRANCHES}


def test_an_internal_error_says_to_tell_the_instructor_and_logs_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(failures.LOG_DIR_ENV, str(tmp_path / "logs"))
    done = _failing(monkeypatch, ZeroDivisionError("division by zero"))
    assert done.exit_code == Exit.INTERNAL == 70
    assert "The grader failed" in done.stderr and "Tell your instructor" in done.stderr
    assert "Traceback" not in done.output and "ZeroDivisionError" not in done.output
    found = re.search(r"is in (\S+\.log)", done.stderr)
    assert found, done.stderr
    log = Path(found[1])
    assert log.parent == tmp_path / "logs"
    text = log.read_text()
    assert (
        "Traceback" in text and "ZeroDivisionError: division by zero" in text and grader.__version__ in text
    )


def test_an_internal_error_whose_log_folder_cannot_be_written_logs_in_the_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv(failures.LOG_DIR_ENV, str(tmp_path / "file" / "logs"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr("tempfile.tempdir", None)
    done = _failing(monkeypatch, KeyError("x"))
    assert done.exit_code == Exit.INTERNAL
    assert str(tmp_path / "tmp") in done.stderr
