"""The `grader` command as a whole: every command documented, in --help and in README.md."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from grader import __version__
from grader.cli import main
from grader.engine import EngineUnavailable
from grader.exercise import ROOT, all_exercises

README = ROOT / "README.md"


def _commands(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


COMMANDS = dict(_commands(main))
IDS = [" ".join(path) for path in COMMANDS]


@pytest.fixture(autouse=True)
def _keep_sigterm() -> Iterator[None]:
    """`grader` turns SIGTERM into Ctrl-C for its own process; give the test process its handler back."""
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


def grader(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="grader", env={"COLUMNS": "200", "NO_COLOR": "1"})


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_command_tree_is_the_documented_one() -> None:
    assert set(IDS) >= {
        "check",
        "doctor",
        "images",
        "images prepare",
        "images list",
        "demo",
        "gc",
        "exercises",
    }


def test_the_top_level_help_lists_every_command() -> None:
    done = grader("--help")
    assert done.exit_code == 0, done.output
    assert "Grade what students built with Docker" in _flat(done.output)
    for path in COMMANDS:
        if len(path) == 1:
            assert f" {path[0]} " in done.output


def test_version() -> None:
    done = grader("--version")
    assert done.exit_code == 0
    assert __version__ in done.output


@pytest.mark.parametrize("path", list(COMMANDS), ids=IDS)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_every_command_has_help_with_a_description(path: tuple[str, ...], flag: str) -> None:
    command = COMMANDS[path]
    assert command.help, f"grader {' '.join(path)} has no docstring"
    done = grader(*path, flag)
    assert done.exit_code == 0, done.output
    assert f"Usage: grader {' '.join(path)}" in done.output
    first_sentence = command.help.strip().split("\n\n")[0]
    assert _flat(first_sentence) in _flat(done.output)
    for parameter in command.params:
        if isinstance(parameter, click.Option) and not parameter.hidden:
            assert parameter.opts[0] in done.output
            assert parameter.help, f"{parameter.opts[0]} of grader {' '.join(path)} has no help"


@pytest.mark.parametrize("path", list(COMMANDS), ids=IDS)
def test_every_command_is_in_the_readme(path: tuple[str, ...]) -> None:
    assert README.is_file(), "README.md is missing"
    assert f"grader {' '.join(path)}" in README.read_text()


def test_check_with_an_unknown_exercise_exits_2_naming_the_known_ones(tmp_path: Path) -> None:
    done = grader("check", "no.such-exercise", str(tmp_path))
    assert done.exit_code == 2, done.output
    text = _flat(done.output)
    assert "There is no exercise 'no.such-exercise'" in text
    for exercise in all_exercises():
        assert exercise.id in text
    assert "Traceback" not in done.output


def test_check_json_with_an_unknown_exercise_keeps_stdout_clean(tmp_path: Path) -> None:
    done = grader("check", "--json", "no.such-exercise", str(tmp_path))
    assert done.exit_code == 2
    assert done.stdout == ""
    assert "There is no exercise 'no.such-exercise'" in _flat(done.stderr)


def test_check_of_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    done = grader("check", "dockerfiles.hello", str(tmp_path / "nowhere"))
    assert done.exit_code == 2
    assert "does not exist" in done.output


def test_exercises_lists_the_four_dockerfile_exercises() -> None:
    done = grader("exercises")
    assert done.exit_code == 0, done.output
    for exercise_id in (
        "dockerfiles.hello",
        "dockerfiles.webserver",
        "dockerfiles.cli-tool",
        "dockerfiles.multistage",
    ):
        assert exercise_id in done.output
    for exercise in all_exercises():
        assert exercise.title in done.output


def test_an_unavailable_engine_is_one_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.commands import exercises

    def unavailable() -> int:
        raise EngineUnavailable("Start it with `sudo dockerd`.")

    monkeypatch.setattr(exercises, "main", unavailable)
    done = grader("exercises")
    assert done.exit_code == 1
    assert "The Docker engine is not available. Start it with `sudo dockerd`." in done.stderr
    assert "Traceback" not in done.output
