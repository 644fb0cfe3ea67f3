"""What went wrong when a build or a setup script failed: one block a student reads first.

A build (BuildKit's plain progress, `#7 [3/5] RUN ...`, or the classic builder's
`Step 4/6 : RUN ...`) or a setup.sh that failed, timed out or was killed gives a
`Failure`: what happened, the step that failed or was running (and its line of
the Dockerfile), what that step printed (bounded), and one hint that fits. It is made
when grading, where the Dockerfile or the script is at hand, and stored with the
result; `block` turns it into the parts every student-facing output renders in
its own syntax (Markdown, HTML, a terminal, JUnit's text).

Parser errors, from hadolint or the builder, become one plain sentence:
"line 1: `FORM` is not an instruction; did you mean `FROM`?".
"""

from __future__ import annotations

import difflib
import re
import tempfile
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from grader.model.build_log import Step, last_step, source_line
from grader.text import last_lines, shorten

if TYPE_CHECKING:
    from grader.model.result import Result

INSTRUCTIONS = (
    *("ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL"),
    *("MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"),
)
"""Every instruction a Dockerfile may hold (the Dockerfile reference)."""
OUTPUT_LINES = 12
OUTPUT_CHARS = 2000
NOT_RUN_BUILD = "the image did not build (see what went wrong above)"
RUN_FAILED = re.compile(
    r"The command '(.*)' returned a non-zero code: (\d+)"
    r"|process \"(.*)\" did not complete successfully: exit code: (\d+)",
    re.DOTALL,
)
COPY_MISSING = re.compile(
    r"(?:COPY|ADD) failed: .*?stat (\S+): file does not exist"
    r"|failed to calculate checksum of .*?\"/?(.+)\": not found"
)
BASE_MISSING = "failed to resolve source metadata"
PARSE_ERROR = re.compile(r"dockerfile parse error (?:on )?line (\d+): (.*)", re.IGNORECASE)
UNKNOWN = re.compile(r"unknown instruction: ([^\s(]+)", re.IGNORECASE)
BLANK_BASE = re.compile(r"base name \((.*)\) should not be blank")
SCRIPT_LINE = re.compile(r"^(?:\S*/)?([\w.-]+): line (\d+): (.*)$")
FIRST_WORD = re.compile(r"^\s*(\S+)")
_END = r"[^\s'\":,;)\]]*"
BUILD_CONTEXT = re.compile(r"/var/lib/docker/tmp/docker-builder\d+/")
SUBMISSION = re.compile(rf"(?<![\w.~/-])/submission(?:/({_END}))?")
INTERNAL = re.compile(
    r"(?:unix://)?(?<![\w.~-])(?:/var/lib/docker|/run/sandbox|/run/guard|/\.grader|/grader/probe"
    rf"|{re.escape(tempfile.gettempdir())}/grader-\d+-|/tmp/grader-\d+-){_END}"
)
INTERNAL_WORDS = "(a path inside the grader)"
EMPTY = "your Dockerfile is empty: start it with `FROM <image>`."
PARSE_WHAT = "The image did not build: Docker could not read your Dockerfile."
KILLED = 137  # SIGKILL: the kernel's answer to a process over its memory limit
Kind = Literal["words", "block"]
Part = tuple[Kind, str]


@dataclass(frozen=True)
class Failure:
    """A failed build or script, in a student's words: `what` happened, the `step` that failed or
    was running (course words with the student's text in `code`), its `output`, one `hint`."""

    what: str
    step: str = ""
    output: str = ""
    hint: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Failure:
        return cls(**{key: str(data.get(key, "")) for key in ("what", "step", "output", "hint")})


# -- what a student reads ----------------------------------------------------------------------


def block(result: Result) -> list[Part]:
    """The failure block of `result` (empty when nothing failed), as parts every output renders:
    "words" (course text whose `code` spans are code) and "block" (printed output, shown as is).
    Pass a result's `for_student()`, so that no sandbox path reaches a student."""
    failure = result.failure
    if failure is None:
        return []
    parts: list[Part] = [("words", failure.what)]
    parts += [("words", failure.step)] if failure.step else []
    parts += [("words", "What it printed:"), ("block", failure.output)] if failure.output.strip() else []
    parts += [("words", f"Hint: {failure.hint}")] if failure.hint else []
    return parts


def code(text: str, limit: int = 200) -> str:
    """Student text for a `code` span of course words: one line, no backtick, bounded."""
    line = " ".join(text.replace("`", "'").split())
    return f"`{shorten(line, limit) or ' '}`"


def without_sandbox_paths(text: str) -> str:
    """`text` with the grader's own paths rewritten: `/submission/data` is `data/` of the student's
    folder, a build context's path is dropped, and an engine's, sandbox's, guard's, probe's or temporary
    folder's path becomes INTERNAL_WORDS. Applied to whatever a student reads (Result.for_student)."""
    text = BUILD_CONTEXT.sub("", text)
    text = SUBMISSION.sub(_in_folder, text)
    return INTERNAL.sub(INTERNAL_WORDS, text)


def _in_folder(found: re.Match[str]) -> str:
    """A path of the submission as its student knows it: relative to their folder (a folder ends
    with `/`: a last name without a dot is taken for one)."""
    relative = (found[1] or "").strip("/")
    if not relative:
        return "./"
    return relative if "." in relative.rsplit("/", 1)[-1] else f"{relative}/"


# -- parser errors ---------------------------------------------------------------------------


def unknown_instruction(line: int | str, word: str) -> str:
    """The sentence for a word that is not an instruction, with the closest instruction if any."""
    closest = difflib.get_close_matches(word.upper(), INSTRUCTIONS, n=1, cutoff=0.6)
    if closest:
        return f"line {line}: {code(word, 40)} is not an instruction; did you mean `{closest[0]}`?"
    if word.islower() or "-" in word:  # a command (apt-get) whose RUN line above lost its `\`
        return (
            f"line {line}: {code(word, 40)} is not an instruction; if it belongs to the RUN above, "
            "end the line before it with `\\`."
        )
    return f"line {line}: {code(word, 40)} is not an instruction (a line starts with FROM, RUN, COPY, ...)."


def first_word(dockerfile: str, line: int) -> str:
    """The first word of line `line` (counted from 1) of `dockerfile`, or ""."""
    lines = dockerfile.splitlines()
    found = FIRST_WORD.match(lines[line - 1]) if 0 < line <= len(lines) else None
    return found[1] if found else ""


def before_from(dockerfile: str) -> str:
    """The sentence for a Dockerfile with no FROM, or with an instruction other than ARG before it
    ("" when neither)."""
    words = [line.split()[0] if line.split() else "" for line in dockerfile.splitlines()]
    if not any(word.upper() == "FROM" for word in words):
        return "there is no FROM: a Dockerfile starts with `FROM <image>` (only ARG may come before it)."
    for number, word in enumerate(words, 1):
        if word.upper() == "FROM":
            return ""
        if word and word.upper() != "ARG" and not word.startswith("#"):
            return (
                f"line {number}: {code(word, 40)} comes before any FROM; only ARG may come before the "
                "first `FROM <image>`."
            )
    return ""


def parse_sentence(error: str, dockerfile: str) -> str:
    """A plain sentence for a builder's parse error, or "" when `error` is none."""
    if "cannot be empty" in error or "file with no instructions" in error:
        return EMPTY
    if "no build stage in current context" in error:
        return before_from(dockerfile) or "an instruction comes before the first FROM."
    blank = BLANK_BASE.search(error)
    if blank:
        return (
            f"FROM {code(blank[1], 60)} names an ARG that has no value: give it a default "
            "(`ARG NAME=busybox`) before FROM."
        )
    parsed = PARSE_ERROR.search(error)
    if parsed is None:
        return ""
    unknown = UNKNOWN.search(parsed[2])
    if unknown:
        written = first_word(dockerfile, int(parsed[1]))  # the builder gives it in capitals
        return unknown_instruction(
            parsed[1], written if written.upper() == unknown[1].upper() else unknown[1]
        )
    return f"line {parsed[1]}: {parsed[2].strip()}."


# -- a build -----------------------------------------------------------------------------------


def bounded(lines: list[str]) -> str:
    """The last lines of some output, at most OUTPUT_LINES and OUTPUT_CHARS."""
    text = last_lines("\n".join(lines), OUTPUT_LINES)
    return text if len(text) <= OUTPUT_CHARS else "[...]" + text[-OUTPUT_CHARS:]


def of_build(
    log: str,
    cause: str,
    *,
    timed_out: bool,
    timeout_s: float,
    dockerfile: str = "",
    images: tuple[str, ...] = (),
) -> Failure:
    """The failure of a build that did not give an image: `cause` is the engine's own error."""
    step = last_step(log)
    printed = [line for line in step.printed if line.strip() != cause.strip()] if step else []
    where = f"step {step.number}" if step else ""
    line = (step.line or source_line(dockerfile, step.instruction)) if step else 0
    on_line = f" (line {line} of your Dockerfile)" if line else ""
    shown = f"Step {step.number}{on_line}: {code(step.instruction)}" if step else ""
    if timed_out:
        while_ = f", while {where} was running" if step else ""
        hint = _timeout_hint(step)
        return Failure(f"The build timed out after {timeout_s:.0f} s{while_}.", shown, bounded(printed), hint)
    sentence = parse_sentence(cause, dockerfile)
    if sentence:
        return Failure(PARSE_WHAT, _parse_line(cause, dockerfile), hint=sentence)
    what, hint = _failed(step, cause, images)
    output = bounded(printed) if step and step.instruction.upper().startswith("RUN") else ""
    return Failure(f"{what} at {where}." if step else f"{what}.", shown, output or cause.strip(), hint)


REFUSED_WHAT = "The image was not built: your Dockerfile asks for the network, which builds here do not have."
REFUSED_HINT = (
    "Build only from the images the exercise provides (or earlier stages), and `COPY` files from your "
    "folder instead of downloading them."
)


def of_refusal(sentences: list[str]) -> Failure:
    """The failure of a build refused before it started (grader.grading.dockerfile_refs): one sentence per
    line that would have fetched from the network, each naming the line and what to do."""
    return Failure(REFUSED_WHAT, " ".join(sentences), hint=REFUSED_HINT)


def _parse_line(cause: str, dockerfile: str) -> str:
    """The Dockerfile's line a parse error names, quoted, or ""."""
    parsed = PARSE_ERROR.search(cause)
    lines = dockerfile.splitlines()
    number = int(parsed[1]) if parsed else 0
    return f"Line {number}: {code(lines[number - 1])}" if 0 < number <= len(lines) else ""


def _timeout_hint(step: Step | None) -> str:
    if step is not None and step.instruction.upper().startswith("RUN"):
        return (
            "This RUN did not end: a loop that never ends or a command waiting for input "
            "(`apt-get install` needs `-y`; nothing can be typed during a build)."
        )
    return "The build took too long: make it do less, or use a smaller base image."


def _failed(step: Step | None, cause: str, images: tuple[str, ...]) -> tuple[str, str]:
    """What happened and a hint, for a build step that failed with the engine's `cause`."""
    ran = RUN_FAILED.search(cause)
    if ran:
        exit_code = int(ran[2] or ran[4])
        base = step.base if step and step.base else "<base image>"
        try_it = f"Run it in {code(f'docker run --rm -it {base} sh')} to see what it does."
        if exit_code == KILLED:
            return "The build was killed for using too much memory", (
                f"The command was killed (exit code {KILLED}), most likely for memory: make it use less. "
                f"{try_it}"
            )
        return "The image did not build: a command failed", (
            f"The command ended with exit code {exit_code}{_exit_meaning(exit_code)}. {try_it}"
        )
    missing = COPY_MISSING.search(cause)
    if missing:
        return "The image did not build: a file to copy is missing", (
            f"{code(missing[1] or missing[2])}: the file is not in your folder (or is in .dockerignore). "
            "Paths in COPY are relative to your folder."
        )
    if BASE_MISSING in cause or (step and step.instruction.upper().startswith("FROM ")):
        allowed = ", ".join(f"`{image}`" for image in images)
        there = f" The grader has only {allowed}." if allowed else ""
        return "The image did not build: its base image could not be found", (
            f"Check the name after FROM.{there}"
        )
    return "The image did not build", ""


def _exit_meaning(exit_code: int) -> str:
    return {127: " (command not found: check its spelling)", 126: " (the file is not executable)"}.get(
        exit_code, ""
    )


# -- a setup script ----------------------------------------------------------------------------


def of_script(
    name: str,
    output: str,
    *,
    exit_code: int | None,
    timed_out: bool,
    timeout_s: float,
    script: str = "",
) -> Failure | None:
    """The failure of a script `name` (None when it ended well): its last command when bash named
    its line (`setup.sh: line 3: ...`), else its last output lines."""
    if not timed_out and not exit_code:
        return None
    line, said = _last_line(name, output)
    command = _script_line(script, line)
    shown = f"Line {line} of {name}: {code(command)}" if command else ""
    printed = bounded(output.splitlines())
    if timed_out:
        what = f"{name} timed out after {timeout_s:.0f} s and was stopped."
        return Failure(what, shown, printed, _script_timeout_hint(command))
    if exit_code == KILLED:
        what = f"{name} was killed (exit code {KILLED}), most likely for using too much memory."
        hint = "Start fewer or smaller containers, or stop those you no longer need."
        return Failure(what, shown, printed, hint)
    what = f"{name} failed: it ended with exit code {exit_code}" + (f" after line {line}." if line else ".")
    return Failure(what, shown, printed, _script_hint(name, said, command))


def _last_line(name: str, output: str) -> tuple[int, str]:
    """The last line number bash named in an error of script `name`, and its message."""
    found = [SCRIPT_LINE.match(line) for line in output.splitlines()]
    ours = [match for match in found if match and match[1] == name]
    return (int(ours[-1][2]), ours[-1][3]) if ours else (0, "")


def _script_line(script: str, line: int) -> str:
    lines = script.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _script_hint(name: str, said: str, command: str) -> str:
    if said.endswith("command not found"):
        word = said.split(":")[0].strip()
        closest = difflib.get_close_matches(word, ["docker", "echo", "sleep", "curl"], n=1, cutoff=0.6)
        better = f"; did you mean `{closest[0]}`?" if closest else ": check its spelling."
        return f"{code(word, 40)} is not a command{better}"
    run = code(f"bash -x {name}")
    return f"Run it yourself with {run}: it shows each command as it runs, then the error."


def _script_timeout_hint(command: str) -> str:
    words = command.split()
    if "docker" in words and "run" in words and not any(w in ("-d", "--detach") for w in words):
        return (
            "`docker run` without `-d` waits until its container stops: add `-d` to run it in the background."
        )
    return "A command that never ends or waits for input: a loop, `docker run` without `-d`, or `-it`."
