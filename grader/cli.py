"""The `grader` command: a thin layer over grader.commands, one module per verb."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import click

from grader import __version__


class Grader(click.Group):
    """The command group: known failures become one clear message, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from grader.engine import EngineUnavailable

        try:
            return super().invoke(ctx)
        except EngineUnavailable as unavailable:
            click.secho(f"The Docker engine is not available. {unavailable}", fg="red", err=True)
            raise SystemExit(1) from None


@click.group(cls=Grader, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grader")
def main() -> None:
    """Grade what students built with Docker, each submission in a sandboxed engine."""
    _interrupt_on_sigterm()


def _interrupt_on_sigterm() -> None:
    """Let SIGTERM (kill, a batch system, a CI timeout) clean up like Ctrl-C: sandboxes get removed.

    Left alone, Python dies on SIGTERM without running `finally` blocks or context exits.
    An ignored SIGTERM (or one a host program handles) is left as it is.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, interrupt)


@main.command()
@click.argument("exercise_id")
@click.argument("submission", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--live", is_flag=True, help="Check what you built on your own Docker engine (setup exercises)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON instead of a table.")
def check(exercise_id: str, submission: Path | None, live: bool, as_json: bool) -> None:
    """Grade SUBMISSION (a folder) against exercise EXERCISE_ID in a fresh sandbox.

    With --live and no folder, check what you built on your own Docker engine instead.
    """
    from grader.commands import check as command

    if live == (submission is not None):
        raise click.UsageError("Give either a SUBMISSION folder or --live.")
    raise SystemExit(command.main(exercise_id=exercise_id, submission=submission, live=live, as_json=as_json))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(as_json: bool) -> None:
    """Report whether this machine can run the course and the grader, with a fix for each problem."""
    from grader.commands import doctor as command

    raise SystemExit(command.main(as_json=as_json))


@main.group()
def images() -> None:
    """The base images the course and the grader use."""


@images.command("prepare")
@click.argument("names", nargs=-1)
@click.option(
    "--offline",
    is_flag=True,
    envvar="GRADER_OFFLINE",
    help="Never try a registry: build what is missing from local packages.",
)
def images_prepare(names: tuple[str, ...], offline: bool) -> None:
    """Make every base image available: present, else pulled, else built from local packages."""
    from grader.commands import images as command

    raise SystemExit(command.prepare(names=list(names), pull=not offline))


@images.command("list")
def images_list() -> None:
    """Show each base image, whether it is present and how it was made."""
    from grader.commands import images as command

    raise SystemExit(command.show())


@main.command()
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--assignment",
    "assignment_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An assignment file (TOML): which exercises are graded, their weights, the due date.",
)
@click.option(
    "--exercise",
    "exercise_ids",
    multiple=True,
    metavar="ID",
    help="Grade this exercise (repeatable); with exactly one, a flat folder of one submission per student.",
)
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Submissions graded at once.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("graded"),
    show_default=True,
    help="Where results, gradebooks, feedback and reports go.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but a one-line summary at the end.")
@click.option("--regrade", multiple=True, metavar="STUDENT", help="Grade this student again (repeatable).")
@click.option("--regrade-all", is_flag=True, help="Grade every submission again, even unchanged ones.")
@click.option(
    "--nbgrader",
    "nbgrader_course",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="An nbgrader course folder: also write OUT/course-gradebook.csv with its notebook grades.",
)
@click.option(
    "--engine-wait",
    "engine_wait_s",
    type=click.FloatRange(min=0),
    default=300,
    show_default=True,
    help="Seconds to wait for a Docker engine that stopped answering (a restart) before stopping.",
)
def batch(
    submissions: Path,
    assignment_file: Path | None,
    exercise_ids: tuple[str, ...],
    jobs: int | None,
    out: Path,
    quiet: bool,
    regrade: tuple[str, ...],
    regrade_all: bool,
    nbgrader_course: Path | None,
    engine_wait_s: float,
) -> None:
    """Grade a class's SUBMISSIONS folder in parallel and write its gradebook, feedback and reports.

    SUBMISSIONS is nbgrader's `submitted/` folder (or the folder holding it):
    submitted/<student>/<exercise-id>/. Results are saved as they come: run the
    same command again after a stop and only what is missing or changed is graded.
    """
    from grader.commands import batch as command

    raise SystemExit(
        command.main(
            submissions=submissions,
            out=out,
            assignment_file=assignment_file,
            exercise_ids=exercise_ids,
            jobs=jobs,
            quiet=quiet,
            regrade=regrade,
            regrade_all=regrade_all,
            nbgrader_course=nbgrader_course,
            engine_wait_s=engine_wait_s,
        )
    )


@main.command()
@click.argument("result_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def replay(result_json: Path) -> None:
    """Grade again the submission of a stored result (OUT/results/<student>/<exercise>.json).

    Stops if the submission's files changed since; warns where the exercise, the
    tools or the base images differ from the record; prints old and new points
    per check. Exits 0 when the grade is reproduced, 1 when it differs.
    """
    from grader.commands import replay as command

    raise SystemExit(command.main(result_json=result_json))


@main.command()
@click.argument("course", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--assignment", "assignments", multiple=True, help="Autograde this assignment (repeatable).")
@click.option("--student", "students", multiple=True, help="Autograde this student only (repeatable).")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=1),
    default=600,
    show_default=True,
    help="Seconds one notebook may run; a notebook still running then is graded on what ran.",
)
@click.option("--force", is_flag=True, help="Autograde again submissions already autograded.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Notebooks run at once (default: as cores and memory allow).",
)
@click.option(
    "--grades",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where nbgrader's grades go as CSV (default: COURSE/grades.csv).",
)
def autograde(
    course: Path,
    assignments: tuple[str, ...],
    students: tuple[str, ...],
    timeout_s: float,
    force: bool,
    grades: Path | None,
    jobs: int | None,
) -> None:
    """Autograde an nbgrader COURSE folder's submitted notebooks, each run in a sandbox.

    Locked and graded cells are restored from source/, each notebook runs in a
    kernel container inside a sandboxed engine within its time limit (several
    side by side), nbgrader scores it, writes feedback/ and exports the grades.
    """
    from grader.commands import autograde as command

    raise SystemExit(
        command.main(
            course=course,
            assignments=assignments,
            students=students,
            timeout_s=timeout_s,
            force=force,
            grades=grades,
            jobs=jobs,
        )
    )


@main.command()
@click.option("--jobs", "-j", type=int, default=None, help="Submissions graded at once.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Where the gradebook and feedback files go.",
)
def demo(jobs: int | None, out: Path) -> None:
    """Grade the bundled sample class and print its gradebook."""
    from grader.commands import demo as command

    raise SystemExit(command.main(jobs=jobs, out=out))


@main.command()
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Remove what any grading run left, not only runs whose process is gone.",
)
def gc(everything: bool) -> None:
    """Remove containers and volumes that crashed grading runs left on the engine."""
    from grader.commands import gc as command

    raise SystemExit(command.main(everything=everything))


@main.command()
def exercises() -> None:
    """List the course's exercises."""
    from grader.commands import exercises as command

    raise SystemExit(command.main())


@main.command()
@click.argument("topic", required=False)
@click.option("--list", "list_topics", is_flag=True, help="List the quiz topics and their questions.")
@click.option(
    "--progress",
    "show_progress",
    is_flag=True,
    help="Show your progress: each topic's questions, best score and last attempt.",
)
def quiz(topic: str | None, list_topics: bool, show_progress: bool) -> None:
    """Take the self-study quiz of TOPIC in the terminal, one question at a time.

    Your best score and last attempt per topic are saved on this machine; --progress shows them.
    """
    from grader.commands import quiz as command

    if sum([topic is not None, list_topics, show_progress]) != 1:
        raise click.UsageError("Give a TOPIC, --list or --progress (one of them).")
    raise SystemExit(command.main(topic=topic, list_topics=list_topics, show_progress=show_progress))


@main.command()
@click.option("--force", is_flag=True, help="Regenerate notebooks already there (their answers are lost).")
def notebooks(force: bool) -> None:
    """Make the students' notebooks (notebooks/release) from the course's source notebooks.

    nbgrader clears the solutions and locks the graded cells; a notebook already made is kept.
    """
    from grader.commands import notebooks as command

    raise SystemExit(command.main(force=force))
