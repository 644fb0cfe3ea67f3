"""The course's notebooks for the tests: where they are, and running one top to bottom as a student would."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import nbclient
import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbformat import NotebookNode

from grader.course.lab_engine import CourseEngine, kernel_manager
from grader.model.exercise import ROOT
from grader.quiz.bank import TOPICS

SOURCE = ROOT / "notebooks" / "source"
ASSIGNMENTS = [f"{number:02d}-{topic}" for number, topic in enumerate(TOPICS, 1)]
RUN_TIMEOUT_S = 300  # per cell


def notebook_path(assignment: str) -> Path:
    """notebooks/source/NN-topic/topic.ipynb"""
    return SOURCE / assignment / f"{assignment.split('-', 1)[1]}.ipynb"


def present() -> list[str]:
    """The assignments whose notebook exists (the course is being written topic by topic)."""
    return [assignment for assignment in ASSIGNMENTS if notebook_path(assignment).is_file()]


def nbgrader(cell: NotebookNode) -> dict:
    return dict(cell.metadata.get("nbgrader", {}))


def graded_cells(notebook: NotebookNode) -> list[NotebookNode]:
    return [cell for cell in notebook.cells if nbgrader(cell).get("grade") and cell.cell_type == "code"]


@dataclass
class Run:
    """A notebook after it ran: its cells with their outputs."""

    notebook: NotebookNode

    def errors(self) -> list[str]:
        return [
            f"cell {index}: {output.get('ename')}: {output.get('evalue')}"
            for index, cell in enumerate(self.notebook.cells)
            for output in cell.get("outputs", [])
            if output.output_type == "error"
        ]

    def stderr(self, cell: NotebookNode) -> str:
        return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr")

    def scores(self) -> dict[str, tuple[str, float]]:
        """Each graded cell's grade_id: the points it printed (nbgrader's partial credit) and its max."""
        return {
            nbgrader(cell)["grade_id"]: (_value(cell), float(nbgrader(cell)["points"]))
            for cell in graded_cells(self.notebook)
        }

    def feedback(self, grade_id: str) -> str:
        cell = next(cell for cell in graded_cells(self.notebook) if nbgrader(cell)["grade_id"] == grade_id)
        return "".join(o.get("data", {}).get("text/markdown", "") for o in cell.outputs)


def _value(cell: NotebookNode) -> str:
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    return results[-1].data.get("text/plain", "") if results else ""


def run_notebook(path: Path, engine: CourseEngine) -> Run:
    """Run a copy of the notebook's folder, every cell, as a student would in `grader lab` on the
    course engine: the copy in the engine's folder (binds of `$PWD/...` work there), its kernel
    started by the course engine's kernelspec."""
    workdir = engine.folder / f"{path.parent.name}-{uuid.uuid4().hex[:8]}"
    shutil.copytree(path.parent, workdir)
    notebook = nbformat.read(workdir / path.name, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        km=kernel_manager(engine, AsyncKernelManager),
        timeout=RUN_TIMEOUT_S,
        allow_errors=True,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()
    return Run(notebook)
