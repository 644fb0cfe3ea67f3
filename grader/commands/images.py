"""`grader images prepare` and `grader images list`: the base images on the host engine."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.exit_codes import Exit
from grader.host import machine
from grader.host.baseimages import Outcome, PrepareFailed, engine_image


def prepare(*, names: list[str], pull: bool = True, engines: tuple[str, ...] = ()) -> int:
    """Make the base images `names` and the sandbox engines `engines` (default: all but engines other
    than the grading one) available; 0 when they all are. What fails is raised, after the table of what
    was done before."""
    console = Console()
    names = [*names, *(engine_image(major) for major in engines)]
    try:
        with console.status("Preparing base images...") as status:
            outcomes = machine.prepare_images(
                names, pull=pull, on_step=lambda name, step: status.update(f"{name}: {step}...")
            )
    except PrepareFailed as error:
        if error.outcomes:
            console.print(_outcome_table(error.outcomes))
        raise
    console.print(_outcome_table(outcomes))
    return Exit.OK


def _outcome_table(outcomes: list[Outcome]) -> Table:
    table = Table(title="Base images")
    table.add_column("Image", overflow="fold", min_width=20)
    table.add_column("How", no_wrap=True)
    table.add_column("Seconds", no_wrap=True, justify="right")
    table.add_column("Detail")
    for outcome in outcomes:
        table.add_row(outcome.name, outcome.how, f"{outcome.seconds:.1f}", Text(outcome.detail))
    return table


def show() -> int:
    """Print each base image: present or not, id, size and how it was made."""
    console = Console()
    images = machine.image_states()
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
