"""`grader demo`: grade the bundled sample class with `grader batch`, every submission afresh."""

from __future__ import annotations

from pathlib import Path

from grader.commands import batch
from grader.model.exercise import ROOT

SAMPLE_CLASS = ROOT / "demo" / "submitted"
ASSIGNMENT = ROOT / "demo" / "assignment.toml"


def main(*, jobs: int | None, out: Path, submissions: Path = SAMPLE_CLASS) -> int:
    """Grade every submission under `submissions` against the demo assignment; outputs go to `out`."""
    return batch.main(
        submissions=submissions, out=out, assignment_file=ASSIGNMENT, jobs=jobs, regrade_all=True
    )
