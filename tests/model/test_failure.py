"""The failure block: canned BuildKit logs (and one classic builder's) and a failed setup.sh, read
into one block that every student-facing output shows first, with checks that could not run marked
"not run" and no sandbox path."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from xml.etree import ElementTree

import pytest
from rich.console import Console

from grader.batch.gradebook import Gradebook
from grader.model import failure
from grader.model.result import CheckResult, Result
from grader.outputs import feedback, feedback_html, gradescope, junit, report
from grader.sandbox.build import BuildLog
from tests.results import HOSTILE, dangerous_in, markdown_html

BUSYBOX = ("busybox:latest",)
DOCKERFILE = "FROM busybox\nRUN echo about to fail && exit 3\nCMD echo hi\n"
FAILED_RUN = """#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 90B done
#1 DONE 0.0s

#4 [1/3] FROM docker.io/library/busybox:latest
#4 CACHED

#5 [2/3] RUN echo about to fail && exit 3
#5 0.041 about to fail
#5 ERROR: process "/bin/sh -c echo about to fail && exit 3" did not complete successfully: exit code: 3
------
 > [2/3] RUN echo about to fail && exit 3:
0.041 about to fail
------
Dockerfile:2
--------------------
   1 |     FROM busybox
   2 | >>> RUN echo about to fail && exit 3
   3 |     CMD echo hi
--------------------
ERROR: failed to solve: process "/bin/sh -c echo about to fail && exit 3" did not complete \
successfully: exit code: 3
"""
FAILED_CAUSE = FAILED_RUN.rstrip().splitlines()[-1].removeprefix("ERROR: ")
HUNG_DOCKERFILE = "FROM busybox\nWORKDIR /app\nRUN echo start\nRUN while true; do echo tick; sleep 1; done\n"
HUNG_RUN = """#4 [1/6] FROM docker.io/library/busybox:latest
#4 DONE 0.0s

#5 [2/6] WORKDIR /app
#5 DONE 0.0s

#6 [3/6] RUN echo start
#6 0.050 start
#6 DONE 0.1s

#7 [4/6] RUN while true; do echo tick; sleep 1; done
#7 0.061 tick
#7 1.062 tick
"""
CLASSIC_RUN = """Step 1/3 : FROM busybox
 ---> f7b35718e6ec
Step 2/3 : RUN echo about to fail && exit 3
 ---> Running in 9a59f849ccb8
about to fail
Removing intermediate container 9a59f849ccb8
The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3
"""
CLASSIC_CAUSE = "The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3"
FORM_CAUSE = (
    "failed to solve: dockerfile parse error on line 1: unknown instruction: FORM (did you mean FROM?)"
)
COPY_LOG = """#4 [1/3] FROM docker.io/library/busybox:latest
#4 DONE 0.0s

#6 [2/3] COPY hello.txt /hello.txt
#6 ERROR: failed to calculate checksum of ref 4f0c::oqjx0wi0kba0l: "/hello.txt": not found
------
 > [2/3] COPY hello.txt /hello.txt:
------
Dockerfile:2
ERROR: failed to solve: failed to compute cache key: failed to calculate checksum of ref \
4f0c::oqjx0wi0kba0l: "/hello.txt": not found
"""
COPY_CAUSE = COPY_LOG.rstrip().splitlines()[-1].removeprefix("ERROR: ")
SCRIPT = "docker run -d --name vol1 -v /shared-data busybox\necho made vol1\ndockr run --name vol2 busybox\n"
SCRIPT_OUTPUT = "3f1e2d\nmade vol1\nsetup.sh: line 3: dockr: command not found\n"


def _built(log: str, cause: str, *, timed_out: bool = False, dockerfile: str = DOCKERFILE) -> failure.Failure:
    return failure.of_build(
        log, cause, timed_out=timed_out, timeout_s=60, dockerfile=dockerfile, images=BUSYBOX
    )


def _script() -> failure.Failure | None:
    return failure.of_script(
        "setup.sh", SCRIPT_OUTPUT, exit_code=127, timed_out=False, timeout_s=60, script=SCRIPT
    )


CASES = {
    "failed RUN": lambda: _built(FAILED_RUN, FAILED_CAUSE),
    "hung RUN": lambda: _built(HUNG_RUN, "", timed_out=True, dockerfile=HUNG_DOCKERFILE),
    "FORM busybox": lambda: _built("", FORM_CAUSE, dockerfile="FORM busybox\n"),
    "COPY missing": lambda: _built(COPY_LOG, COPY_CAUSE),
    "setup.sh line 3": _script,
}
EXPECTED = {  # what each output must show of each case, in the order shown
    "failed RUN": [
        "a command failed at step 2/3",
        "line 2 of your Dockerfile",
        "`RUN echo about to fail && exit 3`",
        "about to fail",
        "exit code 3",
        "`docker run --rm -it busybox sh`",
    ],
    "hung RUN": [
        "timed out after 60 s, while step 4/6 was running",
        "line 4 of your Dockerfile",
        "`RUN while true; do echo tick; sleep 1; done`",
        "tick",
        "a loop that never ends or a command waiting for input",
    ],
    "FORM busybox": [
        "could not read your Dockerfile",
        "line 1: `FORM` is not an instruction; did you mean `FROM`?",
    ],
    "COPY missing": [
        "a file to copy is missing at step 2/3",
        "`COPY hello.txt /hello.txt`",
        "the file is not in your folder (or is in .dockerignore)",
    ],
    "setup.sh line 3": [
        "setup.sh failed: it ended with exit code 127 after line 3",
        "`dockr run --name vol2 busybox`",
        "command not found",
        "did you mean `docker`?",
    ],
}


def _result(made: failure.Failure | None, *, status: str = "graded") -> Result:
    checks = [
        CheckResult("prints_hello", 3, passed=False, expected="It prints hello.", hint="NOT-A-HINT-HERE"),
        CheckResult("small_image", 2, passed=True, expected="It is small."),
    ]
    checks[0].not_run, checks[0].found = True, failure.NOT_RUN_BUILD
    return Result("dockerfiles.hello", "s", status=status, checks=checks, failure=made, log="LOG-TAIL")  # type: ignore[arg-type]


def _markdown(result: Result) -> str:
    return feedback.exercise_markdown(result)


def _html(result: Result) -> str:
    return feedback_html.exercise_section(result)


def _terminal(result: Result, *, tty: bool) -> str:
    console = Console(record=True, width=200, color_system=None, force_terminal=tty)
    report.show(result, console)
    return console.export_text()


def _line(result: Result) -> object:
    return Gradebook.of([("ana", result)], weights={result.exercise: None}).grade("ana").exercises[0]


def _junit(result: Result) -> str:
    suite = junit.suite(_line(result), "ana")  # type: ignore[arg-type]
    error = suite.find("testcase/error")
    assert error is not None and suite.find("testcase").find("error") is error  # type: ignore[union-attr]
    return f"{error.get('message')}\n{error.text}\n{ElementTree.tostring(suite, encoding='unicode')}"


def _gradescope(result: Result) -> str:
    tests = gradescope.tests(_line(result))  # type: ignore[arg-type]
    assert tests[0]["name"] == "dockerfiles.hello: what went wrong"
    return "\n".join(f"{test['name']}\n{test['output']}" for test in tests)


OUTPUTS: dict[str, Callable[[Result], str]] = {
    "markdown": _markdown,
    "html": _html,
    "table": lambda r: _terminal(r, tty=True),
    "piped": lambda r: _terminal(r, tty=False),
    "junit": _junit,
    "gradescope": _gradescope,
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("output", OUTPUTS)
def test_each_output_shows_the_failure_block_first(case: str, output: str) -> None:
    shown = OUTPUTS[output](_result(CASES[case]())).replace("prints_hello", "prints hello")
    if output == "html":
        shown = html.unescape(shown.replace("<code>", "`").replace("</code>", "`"))
    places = [shown.find(part) for part in EXPECTED[case]]
    assert -1 not in places, (EXPECTED[case], places, shown)
    assert places == sorted(places), shown
    assert places[0] < shown.find("prints hello"), "the block comes before the checks"
    assert "NOT-A-HINT-HERE" not in shown, "a check that did not run gives no hint"
    assert "not run" in shown
    assert "LOG-TAIL" not in shown, "the block replaces the log's tail"


def test_a_failed_run_names_its_step_exit_code_and_base() -> None:
    made = _built(FAILED_RUN, FAILED_CAUSE)
    assert made.what == "The image did not build: a command failed at step 2/3."
    assert made.step == "Step 2/3 (line 2 of your Dockerfile): `RUN echo about to fail && exit 3`"
    assert made.output == "about to fail"
    assert made.hint == (
        "The command ended with exit code 3. Run it in `docker run --rm -it busybox sh` to see what it does."
    )


def test_a_classic_builders_failed_run_reads_the_same() -> None:
    """An engine given already up (a notebook's sandbox) still builds through the API, classic."""
    assert _built(CLASSIC_RUN, CLASSIC_CAUSE) == _built(FAILED_RUN, FAILED_CAUSE)


def test_a_failed_step_of_a_later_stage_names_its_stage_line_and_base() -> None:
    log = """#4 [build 1/2] FROM docker.io/library/debian:bookworm-slim@sha256:0123
#4 CACHED
#6 [final 1/3] FROM docker.io/library/busybox:latest
#6 CACHED
#7 [final 3/3] RUN <<EOT (echo one...)
#7 0.041 one
#7 ERROR: process "/bin/sh -c echo one\nexit 4\n" did not complete successfully: exit code: 4
------
 > [final 3/3] RUN <<EOT (echo one...):
0.041 one
------
Dockerfile:5-8
"""
    made = _built(log, 'process "/bin/sh -c echo one\nexit 4\n" did not complete successfully: exit code: 4')
    assert made.step == "Step 3/3 (line 5 of your Dockerfile): `RUN <<EOT (echo one...)`"
    assert made.output == "one"
    assert "exit code 4" in made.hint and "`docker run --rm -it busybox sh`" in made.hint


def test_a_run_killed_for_memory_says_so() -> None:
    log = FAILED_RUN.replace("code: 3", "code: 137")
    assert "code: 137" in log
    made = _built(log, FAILED_CAUSE.replace("code: 3", "code: 137"))
    assert made.what.startswith("The build was killed for using too much memory at step 2/3")


def test_a_hung_run_shows_what_it_printed_so_far() -> None:
    made = _built(HUNG_RUN, "", timed_out=True, dockerfile=HUNG_DOCKERFILE)
    assert made.what == "The build timed out after 60 s, while step 4/6 was running."
    assert made.step == "Step 4/6 (line 4 of your Dockerfile): `RUN while true; do echo tick; sleep 1; done`"
    assert made.output == "tick\ntick"


@pytest.mark.parametrize(
    ("cause", "dockerfile", "said"),
    [
        (FORM_CAUSE, "FORM busybox\n", "line 1: `FORM` is not an instruction; did you mean `FROM`?"),
        ("dockerfile parse error line 3: unknown instruction: APT-GET", "", "end the line before it with"),
        (
            "failed to solve: dockerfile parse error on line 2: unknown instruction: COPPY "
            "(did you mean COPY?)",
            "FROM busybox\nCOPPY a /a\n",
            "line 2: `COPPY` is not an instruction; did you mean `COPY`?",
        ),
        ("failed to solve: the Dockerfile cannot be empty", "", "your Dockerfile is empty"),
        ("the Dockerfile (Dockerfile) cannot be empty", "", "your Dockerfile is empty"),
        ("failed to parse Dockerfile: file with no instructions", "# hi\n", "your Dockerfile is empty"),
        ("no build stage in current context", "RUN echo hi\n", "there is no FROM"),
        (
            "no build stage in current context",
            "ARG V\nRUN x\nFROM busybox\n",
            "line 2: `RUN` comes before any FROM",
        ),
        (
            "dockerfile parse error line 1: ARG requires at least one argument",
            "ARG\n",
            "line 1: ARG requires",
        ),
        ("base name ($BASE) should not be blank", "ARG BASE\nFROM $BASE\n", "give it a default"),
    ],
)
def test_parser_errors_become_one_plain_sentence(cause: str, dockerfile: str, said: str) -> None:
    made = _built("", cause, dockerfile=dockerfile)
    assert made.what == failure.PARSE_WHAT
    assert said in made.hint


def test_unknown_words_get_the_closest_instruction() -> None:
    assert failure.unknown_instruction(2, "COPPY").endswith("did you mean `COPY`?")
    assert failure.unknown_instruction(1, "XYZZY") == (
        "line 1: `XYZZY` is not an instruction (a line starts with FROM, RUN, COPY, ...)."
    )


def test_a_script_without_a_line_shows_its_last_output_lines() -> None:
    made = failure.of_script("setup.sh", "a\nb\nError: boom\n", exit_code=1, timed_out=False, timeout_s=60)
    assert made is not None and made.step == "" and made.output == "a\nb\nError: boom"
    assert made.what == "setup.sh failed: it ended with exit code 1."
    assert "bash -x setup.sh" in made.hint


def test_a_hung_script_with_docker_run_in_the_foreground_is_told_about_d() -> None:
    output = "setup.sh: line 1: x: warning\n"
    made = failure.of_script(
        "setup.sh",
        output,
        exit_code=None,
        timed_out=True,
        timeout_s=30,
        script="docker run --name web nginx\n",
    )
    assert made is not None and made.what == "setup.sh timed out after 30 s and was stopped."
    assert "add `-d`" in made.hint


def test_a_script_that_ended_well_has_no_failure() -> None:
    assert failure.of_script("setup.sh", "ok\n", exit_code=0, timed_out=False, timeout_s=60) is None


INTERNAL = [
    "/var/lib/docker/overlay2/abc/merged",
    "/run/sandbox/docker.sock",
    "/run/guard/guard.sock",
    "/.grader/busybox",
    "/grader/probe/bin",
    "/tmp/grader-4242-abcd-xyz/socket",
]


def test_sandbox_paths_are_rewritten() -> None:
    assert failure.without_sandbox_paths("bind source path does not exist: /submission/data") == (
        "bind source path does not exist: data/"
    )
    assert (
        failure.without_sandbox_paths("stat /var/lib/docker/tmp/docker-builder123/a.txt: no")
        == "stat a.txt: no"
    )
    for path in INTERNAL:
        assert failure.without_sandbox_paths(f"at {path} here") == f"at {failure.INTERNAL_WORDS} here"


@pytest.mark.parametrize("output", OUTPUTS)
def test_no_sandbox_path_reaches_a_student(output: str) -> None:
    paths = " ".join(["/submission/data", *INTERNAL])
    made = failure.Failure(
        f"It failed in {paths}.", "Step 1/1: `FROM busybox`", f"out {paths}", f"hint {paths}"
    )
    result = _result(made)
    result.checks[1].passed, result.checks[1].found = False, f"found {paths}"
    result.advice, result.reason = [f"advice {paths}"], f"reason {paths}"
    shown = OUTPUTS[output](result)
    for path in ["/submission", *INTERNAL]:
        assert path not in shown, (path, shown)
    assert "data/" in shown


def test_a_stored_result_keeps_its_failure_and_its_checks_not_run() -> None:
    result = _result(_built(FAILED_RUN, FAILED_CAUSE))
    again = Result.from_dict(json.loads(result.to_json()))
    assert again.failure == result.failure and again.checks[0].not_run
    assert again.checks[0].message == f"Not run: {failure.NOT_RUN_BUILD}"


def test_junit_marks_a_check_not_run_as_skipped() -> None:
    suite = junit.suite(_line(_result(_built(FAILED_RUN, FAILED_CAUSE))), "ana")  # type: ignore[arg-type]
    skipped = suite.findall("testcase/skipped")
    assert [s.get("message") for s in skipped] == [f"not run: {failure.NOT_RUN_BUILD}"]
    assert (suite.get("skipped"), suite.get("errors"), suite.get("failures")) == ("1", "1", "0")


def test_gradescope_gives_a_check_not_run_failed_status_and_says_not_run() -> None:
    tests = gradescope.tests(_line(_result(_built(FAILED_RUN, FAILED_CAUSE))))  # type: ignore[arg-type]
    not_run = next(test for test in tests if "prints hello" in test["name"])
    assert not_run["status"] == "failed" and not_run["output"].startswith("not run: ")
    assert sum(test["max_score"] for test in tests) == 5


@pytest.mark.parametrize("output", OUTPUTS)
def test_a_hostile_failure_prints_as_text(output: str) -> None:
    made = failure.Failure(f"It failed {HOSTILE}", f"Step 1/1: {failure.code(HOSTILE)}", HOSTILE, HOSTILE)
    shown = OUTPUTS[output](_result(made))
    assert not dangerous_in(shown), dangerous_in(shown)
    if output in ("markdown", "gradescope"):
        assert "<script>" not in markdown_html(shown)


def test_a_flooding_step_keeps_its_step_line_when_the_log_is_cut() -> None:
    log = BuildLog(limit=200)
    for line in [
        "#4 [1/2] FROM docker.io/library/busybox:latest",
        "#4 DONE 0.0s",
        "#5 [2/2] RUN while true; do echo tick; done",
    ]:
        log.add(f"{line}\n")
    for _ in range(100):
        log.add("#5 0.100 tick\n")
    kept = log.text()
    assert len(kept) < 400 and "characters cut" in kept
    made = failure.of_build(kept, "", timed_out=True, timeout_s=20)
    assert made.step == "Step 2/2: `RUN while true; do echo tick; done`"
    assert made.output.endswith("tick") and "a loop that never ends" in made.hint
    assert failure.last_step(kept) is not None and failure.last_step(kept).base == "busybox"  # type: ignore[union-attr]


def test_a_flooding_classic_step_keeps_its_step_line_when_the_log_is_cut() -> None:
    log = BuildLog(limit=200)
    for line in [
        "Step 1/2 : FROM busybox",
        " ---> f7b35718e6ec",
        "Step 2/2 : RUN while true; do echo tick; done",
    ]:
        log.add(f"{line}\n")
    for _ in range(100):
        log.add("tick\n")
    made = failure.of_build(log.text(), "", timed_out=True, timeout_s=20)
    assert made.step == "Step 2/2: `RUN while true; do echo tick; done`"
