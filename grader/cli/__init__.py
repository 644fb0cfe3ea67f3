"""The `grader` command: a thin layer over grader.commands, one module per verb.

The group (cli/group.py) lists the commands and turns what each returns or raises into the exit
code (cli/failures.py); options shared by several commands are in cli/options.py.
"""

from __future__ import annotations

from pathlib import Path

import click

from grader import __version__
from grader.batch import defaults
from grader.cli import cluster, options
from grader.cli.group import Grader, interrupt_on_sigterm


@click.group(
    cls=Grader,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Each command's --help lists what its exit codes mean.",
)
@click.version_option(__version__, prog_name="grader")
def main() -> None:
    """Grade what students built with Docker, each submission in a sandboxed engine."""
    interrupt_on_sigterm()


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
@click.option(
    "--engine",
    "engines",
    multiple=True,
    metavar="MAJOR",
    help="Also make the sandbox engine image of Docker MAJOR (26 grades; 28 is measured, on Debian sid).",
)
def images_prepare(names: tuple[str, ...], offline: bool, engines: tuple[str, ...]) -> int:
    """Make every base image available: present, else pulled, else built from local packages."""
    from grader.commands import images as command

    return command.prepare(names=list(names), pull=not offline, engines=engines)


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
@options.jobs
@options.out(defaults.OUT)
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
    default=defaults.ENGINE_WAIT_S,
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
    default=defaults.NOTEBOOK_TIMEOUT_S,
    show_default=True,
    help="Seconds one notebook may run; a notebook still running then is graded on what ran.",
)
@options.jobs
@options.out(None, help="Where the grades go, as OUT/grades.csv (default: COURSE).")
@click.option(
    "--regrade",
    multiple=True,
    metavar="STUDENT",
    help="Autograde this student again, even if already autograded (repeatable).",
)
@click.option(
    "--regrade-all", is_flag=True, help="Autograde every submission again, even those already done."
)
@options.deprecated(
    "--assignment", "old_assignments", instead="grader autograde COURSE ASSIGNMENT", multiple=True
)
@options.deprecated("--force", instead="--regrade-all", is_flag=True)
@options.deprecated("--grades", instead="--out DIR", type=click.Path(dir_okay=False, path_type=Path))
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
@options.jobs
@options.out(defaults.DEMO_OUT)
def demo(jobs: int | None, out: Path) -> int:
    """Grade the bundled sample class and print its gradebook."""
    from grader.commands import demo as command

    return command.main(jobs=jobs, out=out)


@main.command(short_help="Remove what crashed grading runs left on the engine and in /tmp.")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Remove what any grading run left, not only runs whose process is gone.",
)
def gc(everything: bool) -> int:
    """Remove the containers, volumes and networks that crashed grading runs left on the engine, and
    their folders in the temporary folder (guards' sockets, workers' copies of submissions)."""
    from grader.commands import gc as command

    return command.main(everything=everything)


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
def quiz(topic: str | None, list_topics: bool, show_progress: bool, as_json: bool, seed: int | None) -> int:
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
    return command.main(
        topic=topic, list_topics=list_topics, show_progress=show_progress, as_json=as_json, seed=seed
    )


@main.command(short_help="Make the students' notebooks from the source notebooks.")
@click.option("--force", is_flag=True, help="Regenerate notebooks already there (their answers are lost).")
def notebooks(force: bool) -> int:
    """Make the students' notebooks (notebooks/release) from the course's source notebooks.

    nbgrader clears the solutions and locks the graded cells; a notebook already made is kept.
    """
    from grader.commands import notebooks as command

    return command.main(force=force)


@main.command(short_help="Open your notebooks in JupyterLab, on a current Docker engine.")
@click.option(
    "--engine",
    type=click.Choice(["auto", "host", "course"]),
    default="auto",
    show_default=True,
    help="host: your own engine; course: a current engine of the course's own; auto: yours when it is "
    "25 or newer with buildx and compose, else the course's.",
)
@click.option(
    "--folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Serve the notebooks of this folder instead of notebooks/release.",
)
@click.argument("jupyter_args", nargs=-1, metavar="[-- JUPYTERLAB_OPTIONS...]")
def lab(engine: str, folder: Path | None, jupyter_args: tuple[str, ...]) -> int:
    """Open your notebooks (notebooks/release, see `grader notebooks`) in JupyterLab; options after
    `--` go to JupyterLab (`grader lab -- --port 9999`).

    The notebooks need Docker 25 or newer with `docker buildx` and `docker compose`. Your own engine
    runs them when it has these; otherwise the course starts a current engine of its own (Docker
    26.1 in a container) and runs the notebooks' kernels beside it. Ctrl-C stops JupyterLab and
    removes the course engine with everything made in it.
    """
    from grader.commands import lab as command

    return command.main(engine=engine, folder=folder, jupyter_args=jupyter_args)  # type: ignore[arg-type]


main.add_command(cluster.worker)
main.add_command(cluster.cluster)
