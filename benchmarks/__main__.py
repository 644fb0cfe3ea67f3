"""`python -m benchmarks` (`make bench`): every figure in one run, printed and saved as JSON.

1. what one check costs (stock testinfra, a bare `docker exec`, the grader's backend);
2. a sandbox's start and close, and loading base images into it;
3. grading each exercise's reference solution, phase by phase, and with the sandbox as hardened
   beside it as it was before the hardening (interleaved);
4. grading a generated class of 40 submissions with 1, 2 and 4 workers, and with two slots here
   beside a scheduler and two workers on this machine (a Dask cluster);
5. autograding a class's notebooks with 1 and 2 at once;
6. every solution and variant graded on each sandbox engine present (26.1, 28.5) and image store
   (`benchmarks.engines`: the README's supported versions).

The figures also go to build/bench.json. They are taken on whatever else the machine is doing:
the JSON records the load average and the other sandboxes running when the bench began.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks import (
    autograde_bench,
    checks_bench,
    class_bench,
    cluster_bench,
    engines,
    grading_bench,
    hardening_bench,
)
from grader.host import engine
from grader.model.exercise import ROOT

OUTPUT = ROOT / "build" / "bench.json"


def main(output: Path = OUTPUT) -> dict[str, Any]:
    """Run every benchmark, print the tables, write `output`, and return the figures."""
    console = Console()
    host = engine.connect()
    started = time.perf_counter()
    figures: dict[str, Any] = {"environment": grading_bench.environment(host)}
    console.rule("What one check costs")
    figures["checks_ms"] = checks_bench.main()
    console.rule("Sandboxes")
    figures["sandbox"] = grading_bench.sandbox_start(host, console)
    figures["image_load"] = grading_bench.image_loads(host, console)
    console.rule("One submission")
    figures["solutions"] = grading_bench.solutions(host, console)
    console.rule("What the hardening costs")
    figures["hardening"] = hardening_bench.main(console, host)
    console.rule("A class")
    figures["class"] = class_bench.main(console)
    console.rule("A class on a cluster")
    figures["cluster"] = cluster_bench.main(console)
    console.rule("Notebooks")
    figures["autograde"] = autograde_bench.main(console)
    console.rule("Sandbox engines")
    figures["engines"] = engines.main(console)
    figures["environment"]["bench_s"] = time.perf_counter() - started
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(figures, indent=2) + "\n")
    console.print(f"Figures written to {output} (the bench took {figures['environment']['bench_s']:.0f} s).")
    return figures


if __name__ == "__main__":
    main()
