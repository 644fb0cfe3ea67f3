"""The defaults of grading a class, in a module of their own that imports nothing: the core uses
them, and the `grader` command shows them in its options' --help without loading the core."""

from __future__ import annotations

from pathlib import Path

OUT = Path("graded")  # `grader batch`'s outputs
DEMO_OUT = Path("demo-output")  # `grader demo`'s outputs
ENGINE_WAIT_S = 300.0  # how long a batch waits for an engine that stopped answering
NOTEBOOK_TIMEOUT_S = 600.0  # one autograded notebook, all its cells
SCHEDULER_PORT = 8786  # a grading cluster's Dask scheduler
