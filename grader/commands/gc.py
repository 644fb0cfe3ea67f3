"""`grader gc`: remove what crashed grading runs left on the engine."""

from __future__ import annotations

from rich.console import Console

from grader.exit_codes import Exit
from grader.host import engine, leftovers


def main(*, everything: bool) -> int:
    console = Console()
    client = engine.connect(start=False, install=False)
    found = leftovers.find(client, everything=everything)
    leftovers.remove(client, found)
    for item in found:
        console.print(f"removed {item.kind} {item.name} (run {item.run_id})")
    console.print(f"{len(found)} leftover object(s) removed.")
    return Exit.OK
