"""The `grader` command as a whole: every command documented, in --help and in README.md."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from docker.errors import DockerException

from grader import __version__
from grader.cli import main
from grader.commands import batch, did_you_mean, replay
from grader.exit_codes import Exit, meanings
from grader.host.engine import EngineUnavailable
from grader.model.exercise import ROOT, all_exercises

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

    def unavailable(**_: object) -> int:
        raise EngineUnavailable("Start it with `sudo dockerd`.")

    monkeypatch.setattr(exercises, "main", unavailable)
    done = grader("exercises")
    assert done.exit_code == 1
    assert "The Docker engine is not available. Start it with `sudo dockerd`." in done.stderr
    assert "Traceback" not in done.output


# -- the top-level help: by audience, every summary whole -------------------------


def piped(*args: str) -> Result:
    """`grader ARGS` with its output piped (not a terminal), in an 80-column world."""
    return CliRunner().invoke(main, list(args), prog_name="grader", env={"COLUMNS": "80", "NO_COLOR": "1"})


TOP = {path[0]: command for path, command in COMMANDS.items() if len(path) == 1}
AUDIENCES = {
    "For students:": ["check", "exercises", "quiz", "notebooks"],
    "For instructors:": ["batch", "autograde", "replay", "demo"],
    "For this machine:": ["doctor", "images", "gc"],
}


def _section(help_text: str, title: str) -> str:
    """The lines of one section of a help text, up to the next blank line."""
    return help_text.split(f"\n{title}\n", 1)[1].split("\n\n", 1)[0]


def test_the_top_level_help_lists_the_commands_by_audience() -> None:
    done = piped("--help")
    assert done.exit_code == 0, done.output
    for title, names in AUDIENCES.items():
        listed = [line.split()[0] for line in _section(done.output, title).splitlines() if line[2:3] != " "]
        assert listed[: len(names)] == names, title


def test_piped_top_level_help_shows_every_summary_whole() -> None:
    done = piped("--help")
    listing = done.output.split("\n", 1)[1]  # after "Usage: grader [OPTIONS] COMMAND [ARGS]..."
    assert "..." not in listing and "…" not in listing
    for name, command in TOP.items():
        assert _flat(command.get_short_help_str(limit=1000)) in _flat(done.output), name


@pytest.mark.parametrize("path", list(COMMANDS), ids=IDS)
def test_every_summary_fits_one_line_of_80_columns(path: tuple[str, ...]) -> None:
    """In the listing of its group (`grader --help`, `grader images --help`), piped."""
    summary = COMMANDS[path].get_short_help_str(limit=1000)
    listing = piped(*path[:-1], "--help").output.splitlines()
    line = next(line for line in listing if line.split()[:1] == [path[-1]])
    assert line.endswith(summary), f"grader {' '.join(path)}: {summary!r} does not fit one line"


@pytest.mark.parametrize("path", list(COMMANDS), ids=IDS)
def test_piped_help_fits_80_columns_and_lists_the_exit_codes(path: tuple[str, ...]) -> None:
    done = piped(*path, "--help")
    assert done.exit_code == 0, done.output
    assert max(len(line) for line in done.output.splitlines()) <= 80, done.output
    codes = _flat(done.output.split("Exit codes:", 1)[1])
    for code, meaning in meanings(" ".join(path)).items():
        assert f"{int(code)} {meaning}" in codes


def test_the_exit_codes_are_one_table() -> None:
    assert [int(code) for code in Exit] == [0, 1, 2, 70, 130]
    assert replay.REPRODUCED == Exit.OK and replay.DIFFERS == Exit.FAILED and replay.CANNOT == Exit.USAGE
    assert batch.INTERRUPTED == Exit.INTERRUPTED
    for path in COMMANDS:
        assert set(meanings(" ".join(path))) <= set(Exit)
        assert Exit.OK in meanings(" ".join(path))


# -- exit codes: what a command returns, mapped once by the group ----------------


@pytest.mark.parametrize("code", list(Exit))
def test_what_a_command_returns_is_the_exit_code(code: Exit, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.commands import exercises

    monkeypatch.setattr(exercises, "main", lambda **_: code)
    assert grader("exercises").exit_code == code


@pytest.mark.parametrize(
    ("failure", "code", "says"),
    [
        (KeyboardInterrupt(), Exit.INTERRUPTED, "Aborted!"),
        (EngineUnavailable("Start it."), Exit.FAILED, "The Docker engine is not available. Start it."),
        (DockerException("500 \x1b[2J"), Exit.FAILED, "The Docker engine refused: 500 ␛[2J"),
    ],
)
def test_known_failures_are_one_line_on_stderr(
    failure: BaseException, code: Exit, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from grader.commands import doctor

    def fail(**_: object) -> int:
        raise failure

    monkeypatch.setattr(doctor, "main", fail)
    done = grader("doctor")
    assert done.exit_code == code
    assert says in done.stderr and done.stdout == ""
    assert "Traceback" not in done.output


# -- errors on stderr, with "did you mean" ----------------------------------------


def test_an_unknown_exercise_is_on_stderr_with_did_you_mean(tmp_path: Path) -> None:
    done = grader("check", "dockerfiles.helo", str(tmp_path))
    assert done.exit_code == Exit.USAGE
    assert done.stdout == ""
    assert "Did you mean 'dockerfiles.hello'?" in _flat(done.stderr)
    assert "Traceback" not in done.output


def test_an_exercise_like_none_gets_no_suggestion(tmp_path: Path) -> None:
    done = grader("check", "zzzz", str(tmp_path))
    assert done.exit_code == Exit.USAGE
    assert "There is no exercise 'zzzz'" in _flat(done.stderr) and "Did you mean" not in done.stderr


def test_an_unknown_command_is_on_stderr_with_did_you_mean() -> None:
    done = grader("chek")
    assert done.exit_code == Exit.USAGE
    assert done.stdout == ""
    assert "No such command 'chek'. Did you mean 'check'?" in done.stderr


def test_did_you_mean() -> None:
    assert did_you_mean("netwroks", ["volumes", "networks"]) == " Did you mean 'networks'?"
    assert did_you_mean("zzz", ["volumes", "networks"]) == ""


# -- exercises --json -------------------------------------------------------------


def test_exercises_as_json() -> None:
    done = grader("exercises", "--json")
    assert done.exit_code == 0, done.output
    listed = json.loads(done.stdout)
    assert [e["id"] for e in listed] == [e.id for e in all_exercises()]
    assert listed[0] == {key: getattr(all_exercises()[0], key) for key in ("id", "title", "topic", "kind")}


# -- one meaning per option name across batch, autograde and demo -----------------

INSTRUCTORS = ("batch", "autograde", "demo")


def _option(command: str, name: str) -> click.Option:
    found = [p for p in TOP[command].params if isinstance(p, click.Option) and name in p.opts]
    assert len(found) == 1, f"grader {command} has no {name}"
    return found[0]


@pytest.mark.parametrize("command", INSTRUCTORS)
def test_jobs_and_out_mean_the_same_everywhere(command: str) -> None:
    jobs, out = _option(command, "--jobs"), _option(command, "--out")
    assert (jobs.opts, jobs.help, jobs.default) == (
        _option("batch", "--jobs").opts,
        _option("batch", "--jobs").help,
        None,
    )
    assert isinstance(jobs.type, click.IntRange) and jobs.type.min == 1
    assert isinstance(out.type, click.Path) and not out.type.file_okay, "--out is a folder"


@pytest.mark.parametrize("command", ["batch", "autograde"])
def test_regrade_means_the_same_in_batch_and_autograde(command: str) -> None:
    regrade, regrade_all = _option(command, "--regrade"), _option(command, "--regrade-all")
    assert regrade.multiple and regrade.metavar == "STUDENT" and not regrade.hidden
    assert regrade_all.is_flag and not regrade_all.hidden


def test_assignment_is_an_assignment_file_wherever_it_is_shown() -> None:
    for command in INSTRUCTORS:
        for parameter in TOP[command].params:
            if "--assignment" in getattr(parameter, "opts", ()) and not getattr(parameter, "hidden", False):
                assert isinstance(parameter.type, click.Path) and not parameter.type.dir_okay


@pytest.fixture
def autograded(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """What `grader autograde` passes to its command, which is not run."""
    from grader.commands import autograde

    seen: dict[str, object] = {}

    def record(**options: object) -> int:
        seen.update(options)
        return 0

    monkeypatch.setattr(autograde, "main", record)
    return seen


def test_autograde_s_options(tmp_path: Path, autograded: dict[str, object]) -> None:
    done = grader(
        "autograde", str(tmp_path), "week1", "week2", "--regrade", "ana", "--regrade-all", "--out", "o"
    )
    assert done.exit_code == 0, done.output
    assert done.stderr == ""
    assert autograded["assignments"] == ("week1", "week2")
    assert (autograded["regrade"], autograded["regrade_all"]) == (("ana",), True)
    assert autograded["grades"] == Path("o") / "grades.csv"


def test_autograde_s_old_spellings_still_work_and_warn(tmp_path: Path, autograded: dict[str, object]) -> None:
    done = grader("autograde", str(tmp_path), "--assignment", "week1", "--force", "--grades", "g.csv")
    assert done.exit_code == 0, done.output
    assert autograded["assignments"] == ("week1",)
    assert autograded["regrade_all"] is True
    assert autograded["grades"] == Path("g.csv")
    warnings = _flat(done.stderr)
    for old, new in (
        ("--force", "--regrade-all"),
        ("--grades", "--out"),
        ("--assignment", "COURSE ASSIGNMENT"),
    ):
        assert f"Warning: {old} is deprecated" in warnings and new in warnings
    assert done.stdout == ""


def test_old_spellings_are_hidden(tmp_path: Path) -> None:
    done = piped("autograde", "--help")
    for old in ("--force", "--grades", "--assignment"):
        assert old not in done.output


def test_autograde_refuses_out_and_grades_together(tmp_path: Path, autograded: dict[str, object]) -> None:
    done = grader("autograde", str(tmp_path), "--out", "o", "--grades", "g.csv")
    assert done.exit_code == Exit.USAGE
    assert "Give --out only" in done.stderr
    assert not autograded


def _readme_commands() -> str:
    """The README's "All commands" section."""
    return README.read_text().split("\n## All commands\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("path", list(COMMANDS), ids=IDS)
def test_every_command_and_its_options_are_in_the_readme_s_listing(path: tuple[str, ...]) -> None:
    rows = [line for line in _readme_commands().splitlines() if f"`grader {' '.join(path)}" in line]
    assert rows, f'grader {" ".join(path)} is not in the README\'s "All commands"'
    for parameter in COMMANDS[path].params:
        if isinstance(parameter, click.Option) and not parameter.hidden:
            assert any(parameter.opts[0] in row for row in rows), (
                f"{parameter.opts[0]} of grader {' '.join(path)}"
            )


def test_help_through_a_real_pipe_shows_every_summary_whole() -> None:
    """`grader --help | less`: no terminal, no COLUMNS, every summary whole."""
    env = {key: value for key, value in os.environ.items() if key not in {"COLUMNS", "LINES"}}
    done = subprocess.run(
        [sys.executable, "-c", "from grader.cli import main; main(prog_name='grader')", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listing = done.stdout.split("\n", 1)[1]
    assert "..." not in listing and "…" not in listing
    for name, command in TOP.items():
        assert _flat(command.get_short_help_str(limit=1000)) in _flat(listing), name
