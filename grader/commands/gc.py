"""`grader gc`: remove what crashed grading runs left on the engine and in the temporary folder."""

from __future__ import annotations

from rich.console import Console

from grader.exit_codes import Exit
from grader.host import machine


def main(*, everything: bool) -> int:
    """Remove the leftovers and list them."""
    console = Console()
    found = machine.remove_leftovers(everything=everything)
    for item in found:
        line = f"removed {item.kind} {item.name}" + (f" (run {item.run_id})" if item.run_id else "")
        console.print(line, soft_wrap=True, markup=False, highlight=False)
    console.print(f"{len(found)} leftover(s) removed.")
    return Exit.OK
