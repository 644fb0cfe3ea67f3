"""`grader images prepare` and `grader images list`: the base images on the host engine."""

from __future__ import annotations

import os

import docker.errors
from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.exit_codes import Exit
from grader.host import baseimages, engine
from grader.host.baseimages import Outcome

OFFLINE_ENV = "GRADER_OFFLINE"  # set to 1 to never try a registry: build what is missing


def prepare(*, names: list[str], pull: bool = True) -> int:
    """Make the base images `names` (default: all) available; 0 when they all are."""
    console = Console()
    try:
        client = engine.connect()
        with console.status("Preparing base images...") as status:
            outcomes = baseimages.prepare(
                client,
                names or None,
                on_step=lambda name, step: status.update(f"{name}: {step}..."),
                pull=pull and not offline(),
            )
    except baseimages.PrepareFailed as error:
        if error.outcomes:
            console.print(_outcome_table(error.outcomes))
        return _fail(console, str(error))
    except (
        engine.EngineUnavailable,
        baseimages.UnknownImage,
        docker.errors.DockerException,
    ) as error:
        return _fail(console, str(error))
    console.print(_outcome_table(outcomes))
    return Exit.OK


def offline() -> bool:
    """Whether the user asked never to contact a registry."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes"}


def _outcome_table(outcomes: list[Outcome]) -> Table:
    table = Table(title="Base images")
    table.add_column("Image", overflow="fold", min_width=20)
    table.add_column("How", no_wrap=True)
    table.add_column("Seconds", no_wrap=True, justify="right")
    table.add_column("Detail")
    for outcome in outcomes:
        table.add_row(outcome.name, outcome.how, f"{outcome.seconds:.1f}", Text(outcome.detail))
    return table


def _fail(console: Console, message: str) -> int:
    """Say what failed, on stderr; the exit code."""
    Console(stderr=True).print(Text(message, style="red"))
    return Exit.FAILED


def show() -> int:
    """Print each base image: present or not, id, size and how it was made."""
    console = Console()
    try:
        client = engine.connect(start=False, install=False)
        images = baseimages.states(client)
    except (engine.EngineUnavailable, docker.errors.DockerException) as error:
        return _fail(console, str(error))
    table = Table(title="Base images")
    table.add_column("Image", overflow="fold", min_width=20)
    for column in ("Present", "Id", "MB"):
        table.add_column(column, no_wrap=True)
    table.add_column("How it was made", overflow="fold")
    for image in images:
        present = "yes" if image.present else "[red]no[/red]"
        size = f"{image.size_mb:.1f}" if image.present else ""
        table.add_row(image.name, present, image.id, size, Text(image.provenance))
    console.print(table)
    if not all(image.present for image in images):
        console.print("Make the missing ones: grader images prepare")
    return Exit.OK
