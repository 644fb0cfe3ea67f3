"""The `grader` command: a thin layer over grader.commands, one module per verb."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from grader import __version__
from grader.exit_codes import Exit, epilog

F = TypeVar("F", bound=Callable[..., Any])

SECTIONS = {  # `grader --help` lists the commands by audience; any other under "Other commands"
    "For students": ("check", "exercises", "quiz", "notebooks"),
    "For instructors": ("batch", "autograde", "replay", "demo", "worker", "cluster"),
    "For this machine": ("doctor", "images", "gc"),
}


class Grader(click.Group):
    """The command group: lists its commands by audience, shows each command's exit codes in its
    --help, and makes what a command returns the exit code (the one place that does), known
    failures one clear message on stderr, never a traceback."""

    group_class = type  # `images` is a Grader too
    path: tuple[str, ...] = ()  # a nested group's place: ("images",)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(cmd, name)
        path = (*self.path, name or cmd.name or "")
        if isinstance(cmd, Grader):
            cmd.path = path
        cmd.epilog = "\n\n".join(filter(None, [cmd.epilog, epilog(" ".join(path))]))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with its summary in full (wrapped, never cut), by audience at the top."""
        shown = {name: self.get_command(ctx, name) for name in self.list_commands(ctx)}
        rows = {
            name: cmd.get_short_help_str(limit=1000) for name, cmd in shown.items() if cmd and not cmd.hidden
        }
        sections = {} if self.path else SECTIONS
        listed = {name for names in sections.values() for name in names}
        other = tuple(name for name in rows if name not in listed)
        titles = [*sections.items(), ("Other commands" if sections else "Commands", other)]
        width = max(map(len, rows), default=0)  # one column for every section
        for title, names in titles:
            if any(name in rows for name in names):
                with formatter.section(title):
                    formatter.write_dl([(name.ljust(width), rows[name]) for name in names if name in rows])

    def invoke(self, ctx: click.Context) -> Any:
        if ctx.parent is not None:
            return super().invoke(ctx)
        import docker.errors

        from grader.host.engine import EngineUnavailable

        try:
            code = super().invoke(ctx)
        except EngineUnavailable as unavailable:
            _error(f"The Docker engine is not available. {unavailable}")
            code = Exit.FAILED
        except docker.errors.DockerException as refused:
            _error(f"The Docker engine refused: {refused}")
            code = Exit.FAILED
        except KeyboardInterrupt:
            _error("\nAborted!")
            code = Exit.INTERRUPTED
        ctx.exit(int(code or Exit.OK))


def _error(message: str) -> None:
    """An error on stderr, red on a terminal; it may quote an engine's or a student's words."""
    from grader.safe_text import for_terminal

    click.secho(for_terminal(message), fg="red", err=True)


def deprecated(*decls: str, instead: str, **attributes: Any) -> Callable[[F], F]:
    """A hidden option, an old spelling that still works as it did and warns on stderr to use `instead`."""

    def warn(ctx: click.Context, parameter: click.Parameter, value: Any) -> Any:
        if parameter.name and ctx.get_parameter_source(parameter.name) is ParameterSource.COMMANDLINE:
            click.echo(f"Warning: {decls[0]} is deprecated and will go; use {instead}.", err=True)
        return value

    return click.option(*decls, hidden=True, callback=warn, help=f"Deprecated: use {instead}.", **attributes)


jobs_option = click.option(  # one meaning wherever grader grades several things at once
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="How many are graded at once, each in its sandbox (default: as cores and memory allow).",
)


@click.group(
    cls=Grader,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Each command's --help lists what its exit codes mean.",
)
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


@main.command(short_help="Grade a submission folder, or your engine with --live.")
@click.argument("exercise_id")
@click.argument("submission", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--live", is_flag=True, help="Check what you built on your own Docker engine (setup exercises)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON instead of a table.")
def check(exercise_id: str, submission: Path | None, live: bool, as_json: bool) -> int:
    """Grade SUBMISSION (a folder) against exercise EXERCISE_ID in a fresh sandbox.

    With --live and no folder, check what you built on your own Docker engine instead.
    """
    from grader.commands import check as command

    if live == (submission is not None):
        raise click.UsageError("Give either a SUBMISSION folder or --live.")
    return command.main(exercise_id=exercise_id, submission=submission, live=live, as_json=as_json)


@main.command(short_help="Say whether this machine is ready, with a fix per problem.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(as_json: bool) -> int:
    """Report whether this machine can run the course and the grader, with a fix for each problem."""
    from grader.commands import doctor as command

    return command.main(as_json=as_json)


@main.group(short_help="Prepare or list the base images.")
def images() -> None:
    """The base images the course and the grader use."""


@images.command("prepare", short_help="Make every base image available: pull or build it.")
@click.argument("names", nargs=-1)
@click.option(
    "--offline",
    is_flag=True,
    envvar="GRADER_OFFLINE",
    help="Never try a registry: build what is missing from local packages.",
)
def images_prepare(names: tuple[str, ...], offline: bool) -> int:
    """Make every base image available: present, else pulled, else built from local packages."""
    from grader.commands import images as command

    return command.prepare(names=list(names), pull=not offline)


@images.command("list", short_help="Show each base image and how it was made.")
def images_list() -> int:
    """Show each base image, whether it is present and how it was made."""
    from grader.commands import images as command

    return command.show()


@main.command(short_help="Grade a class's submissions: gradebook, feedback, reports.")
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
@jobs_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("graded"),
    show_default=True,
    help="Where results, gradebooks, feedback and reports go.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but a one-line summary at the end.")
@click.option(
    "--regrade",
    multiple=True,
    metavar="STUDENT",
    help="Grade this student again, even if unchanged (repeatable).",
)
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
@click.option(
    "--overrides",
    "overrides_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Instructor overrides (TOML or CSV: student, exercise, points or delta, comment).",
)
@click.option(
    "--roster",
    "roster_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A CSV of student,id: an id column in gradebook.csv for an LMS import.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Grade on a Dask cluster (tcp://HOST:PORT or tls://HOST:PORT) instead of this machine.",
)
@click.option(
    "--certs",
    "cert_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="With a tls:// scheduler: the folder `grader cluster certs` made (its client key and CA).",
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
    overrides_file: Path | None,
    roster_file: Path | None,
    scheduler: str | None,
    cert_dir: Path | None,
) -> int:
    """Grade a class's SUBMISSIONS folder in parallel and write its gradebook, feedback and reports.

    SUBMISSIONS is nbgrader's `submitted/` folder (or the folder holding it):
    submitted/<student>/<exercise-id>/. Results are saved as they come: run the
    same command again after a stop and only what is missing or changed is graded.
    """
    from grader.commands import batch as command

    return command.main(
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
        overrides_file=overrides_file,
        roster_file=roster_file,
        scheduler=scheduler,
        cert_dir=cert_dir,
    )


@main.command(short_help="Grade a stored result again and compare the scores.")
@click.argument("result_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def replay(result_json: Path) -> int:
    """Grade again the submission of a stored result (OUT/results/<student>/<exercise>.json).

    Stops if the submission's files changed since; warns where the exercise, the
    tools or the base images differ from the record; prints old and new points
    per check.
    """
    from grader.commands import replay as command

    return command.main(result_json=result_json)


@main.command(short_help="Run and grade an nbgrader course's submitted notebooks.")
@click.argument("course", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("assignments", nargs=-1, metavar="[ASSIGNMENT]...")
@click.option(
    "--student",
    "students",
    multiple=True,
    metavar="STUDENT",
    help="Autograde this student only (repeatable).",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=1),
    default=600,
    show_default=True,
    help="Seconds one notebook may run; a notebook still running then is graded on what ran.",
)
@jobs_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the grades go, as OUT/grades.csv (default: COURSE).",
)
@click.option(
    "--regrade",
    multiple=True,
    metavar="STUDENT",
    help="Autograde this student again, even if already autograded (repeatable).",
)
@click.option(
    "--regrade-all", is_flag=True, help="Autograde every submission again, even those already done."
)
@deprecated("--assignment", "old_assignments", instead="grader autograde COURSE ASSIGNMENT", multiple=True)
@deprecated("--force", instead="--regrade-all", is_flag=True)
@deprecated("--grades", instead="--out DIR", type=click.Path(dir_okay=False, path_type=Path))
def autograde(
    course: Path,
    assignments: tuple[str, ...],
    students: tuple[str, ...],
    timeout_s: float,
    jobs: int | None,
    out: Path | None,
    regrade: tuple[str, ...],
    regrade_all: bool,
    old_assignments: tuple[str, ...],
    force: bool,
    grades: Path | None,
) -> int:
    """Autograde an nbgrader COURSE folder's submitted notebooks, each run in a sandbox.

    Each ASSIGNMENT named (by default, each of source/ that someone submitted):
    locked and graded cells are restored from source/, each notebook runs in a
    kernel container inside a sandboxed engine within its time limit (several
    side by side), nbgrader scores it, writes feedback/ and exports the grades.
    Submissions already autograded are kept unless --regrade or --regrade-all.
    """
    from grader.commands import autograde as command

    if out is not None and grades is not None:
        raise click.UsageError("Give --out only (--grades is its deprecated spelling).")
    return command.main(
        course=course,
        assignments=(*assignments, *old_assignments),
        students=students,
        timeout_s=timeout_s,
        regrade=regrade,
        regrade_all=regrade_all or force,
        grades=grades or (out / command.GRADES if out else None),
        jobs=jobs,
    )


@main.command()
@jobs_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Where results, gradebooks, feedback and reports go.",
)
def demo(jobs: int | None, out: Path) -> int:
    """Grade the bundled sample class and print its gradebook."""
    from grader.commands import demo as command

    return command.main(jobs=jobs, out=out)


@main.command(short_help="Remove what crashed grading runs left on the engine.")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Remove what any grading run left, not only runs whose process is gone.",
)
def gc(everything: bool) -> int:
    """Remove containers and volumes that crashed grading runs left on the engine."""
    from grader.commands import gc as command

    return command.main(everything=everything)


CERTS_OPTION = click.option(
    "--certs",
    "cert_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Use TLS with the keys of this folder (`grader cluster certs`).",
)


@main.command(
    short_help="Grade for a cluster's scheduler on this machine.",
    context_settings={"ignore_unknown_options": True},
)
@click.argument("address")
@click.option(
    "--nthreads",
    type=click.IntRange(min=1),
    default=None,
    help="Submissions graded at once (default: cores).",
)
@CERTS_OPTION
@click.argument("dask_options", nargs=-1, type=click.UNPROCESSED)
def worker(address: str, nthreads: int | None, cert_dir: Path | None, dask_options: tuple[str, ...]) -> int:
    """Grade submissions of `grader batch --scheduler ADDRESS` with this machine's engine.

    Checks first that the engine answers and the base images are there, then runs a Dask worker
    process per slot. Options after `--` go to `dask worker` (e.g. `--worker-port 9000:9009`).
    """
    from grader.commands import worker as command

    return command.worker(address, nthreads=nthreads, cert_dir=cert_dir, extra=dask_options)


@main.group(short_help="Run a grading cluster's scheduler; make its certificates.")
def cluster() -> None:
    """A grading cluster over several machines: its scheduler and its certificates."""


@cluster.command(
    "scheduler",
    context_settings={"ignore_unknown_options": True},
    short_help="Run the cluster's Dask scheduler on this machine.",
)
@click.option("--host", default="", help="The address to listen on (default: every interface).")
@click.option(
    "--port", type=click.IntRange(min=0), default=8786, show_default=True, help="The port to listen on."
)
@CERTS_OPTION
@click.argument("dask_options", nargs=-1, type=click.UNPROCESSED)
def cluster_scheduler(host: str, port: int, cert_dir: Path | None, dask_options: tuple[str, ...]) -> int:
    """Run the cluster's Dask scheduler here; workers and `grader batch --scheduler` connect to it."""
    from grader.commands import worker as command

    return command.scheduler(host=host, port=port, cert_dir=cert_dir, extra=dask_options)


@cluster.command("certs", short_help="Make the cluster's CA, keys and certificates.")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def cluster_certs(folder: Path) -> int:
    """Make a CA and the scheduler's, workers' and client's keys and certificates in FOLDER."""
    from grader.commands import worker as command

    return command.make_certs(folder)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the exercises as JSON.")
def exercises(as_json: bool) -> int:
    """List the course's exercises."""
    from grader.commands import exercises as command

    return command.main(as_json=as_json)


@main.command()
@click.argument("topic", required=False)
@click.option("--list", "list_topics", is_flag=True, help="List the quiz topics and their questions.")
@click.option(
    "--progress",
    "show_progress",
    is_flag=True,
    help="Show your progress: each topic's questions, best score and last attempt.",
)
@click.option("--json", "as_json", is_flag=True, help="With --list or --progress: print JSON.")
@click.option("--seed", type=int, help="Shuffle the choices the same way every time.")
def quiz(topic: str | None, list_topics: bool, show_progress: bool, as_json: bool, seed: int | None) -> None:
    """Take a topic's self-study quiz in the terminal.

    One question at a time, the choices shuffled (--seed N repeats an order). Type q at any
    prompt to quit (exit code 130; nothing is recorded). At the end, the questions
    you missed or skipped are reviewed, with the notebook section to reread. Your best score and
    last attempt per topic are saved on this machine; --progress shows them. In --list, the
    Engine column marks topics with questions answered from your own running Docker engine.
    """
    from grader.commands import quiz as command

    if sum([topic is not None, list_topics, show_progress]) != 1:
        raise click.UsageError("Give a TOPIC, --list or --progress (one of them).")
    if as_json and topic is not None:
        raise click.UsageError("--json goes with --list or --progress.")
    raise SystemExit(
        command.main(
            topic=topic, list_topics=list_topics, show_progress=show_progress, as_json=as_json, seed=seed
        )
    )


@main.command(short_help="Make the students' notebooks from the source notebooks.")
@click.option("--force", is_flag=True, help="Regenerate notebooks already there (their answers are lost).")
def notebooks(force: bool) -> int:
    """Make the students' notebooks (notebooks/release) from the course's source notebooks.

    nbgrader clears the solutions and locks the graded cells; a notebook already made is kept.
    """
    from grader.commands import notebooks as command

    return command.main(force=force)
