"""Options that mean the same in every `grader` command that has them, and deprecated spellings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

F = TypeVar("F", bound=Callable[..., Any])


def deprecated(*decls: str, instead: str, **attributes: Any) -> Callable[[F], F]:
    """A hidden option, an old spelling that still works as it did and warns on stderr to use `instead`."""

    def warn(ctx: click.Context, parameter: click.Parameter, value: Any) -> Any:
        if parameter.name and ctx.get_parameter_source(parameter.name) is ParameterSource.COMMANDLINE:
            click.echo(f"Warning: {decls[0]} is deprecated and will go; use {instead}.", err=True)
        return value

    return click.option(*decls, hidden=True, callback=warn, help=f"Deprecated: use {instead}.", **attributes)


jobs = click.option(  # one meaning wherever grader grades several things at once
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="How many are graded at once, each in its sandbox (default: as cores and memory allow).",
)

certs = click.option(
    "--certs",
    "cert_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Use TLS with the keys of this folder (`grader cluster certs`).",
)


def out(
    default: Path | None, help: str = "Where results, gradebooks, feedback and reports go."
) -> Callable[[F], F]:
    """--out, a folder; shown with its default when it has one."""
    return click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=default,
        show_default=default is not None,
        help=help,
    )
