"""`grader worker` and `grader cluster`: the commands of a grading cluster over several machines."""

from __future__ import annotations

from pathlib import Path

import click

from grader.batch import defaults
from grader.cli import options
from grader.cli.group import Grader


@click.command(
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
@options.certs
@click.argument("dask_options", nargs=-1, type=click.UNPROCESSED)
def worker(address: str, nthreads: int | None, cert_dir: Path | None, dask_options: tuple[str, ...]) -> int:
    """Grade submissions of `grader batch --scheduler ADDRESS` with this machine's engine.

    Checks first that the engine answers and the base images are there, then runs a Dask worker
    process per slot. Options after `--` go to `dask worker` (e.g. `--worker-port 9000:9009`).
    """
    from grader.commands import worker as command

    return command.worker(address, nthreads=nthreads, cert_dir=cert_dir, extra=dask_options)


@click.group(cls=Grader, short_help="Run a grading cluster's scheduler; make its certificates.")
def cluster() -> None:
    """A grading cluster over several machines: its scheduler and its certificates."""


@cluster.command(
    "scheduler",
    context_settings={"ignore_unknown_options": True},
    short_help="Run the cluster's Dask scheduler on this machine.",
)
@click.option("--host", default="", help="The address to listen on (default: every interface).")
@click.option(
    "--port",
    type=click.IntRange(min=0),
    default=defaults.SCHEDULER_PORT,
    show_default=True,
    help="The port to listen on.",
)
@options.certs
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
