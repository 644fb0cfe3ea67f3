"""The course's source notebooks: one per topic, in order, each with graded work, a quiz and a clean-up.

These read the notebooks only; tests/course/test_running_notebooks.py runs them.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from grader.quiz import bank
from tests.course.notebooks import ASSIGNMENTS, graded_cells, nbgrader, notebook_path

MIN_GRADED = 2
STALE = {  # what the notes this course grew from got wrong, never to come back
    r"ubuntu:14\.04": "ubuntu:14.04 is long gone: use the course's base images",
    r"EXPOSE\s+\d+:\d+": "EXPOSE takes a container port, never HOST:CONTAINER",
}


def load(assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(notebook_path(assignment), as_version=4)


def code_cells(assignment: str) -> list[nbformat.NotebookNode]:
    return [cell for cell in load(assignment).cells if cell.cell_type == "code"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_topic_has_its_notebook_in_course_order(assignment: str) -> None:
    assert notebook_path(assignment).is_file(), f"missing {notebook_path(assignment)}"
    nbformat.validate(load(assignment))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_notebook_has_graded_exercises_worth_points(assignment: str) -> None:
    graded = graded_cells(load(assignment))
    assert len(graded) >= MIN_GRADED
    ids = [nbgrader(cell)["grade_id"] for cell in load(assignment).cells if nbgrader(cell)]
    assert len(ids) == len(set(ids)), "grade_ids must be unique in a notebook"
    for cell in graded:
        assert nbgrader(cell)["points"] > 0 and nbgrader(cell)["locked"]
        assert re.search(r"^(check|task)\(", cell.source, re.M), (
            "a graded cell ends in check(...) or task(...)"
        )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_answer_cells_are_solution_regions(assignment: str) -> None:
    answers = [cell for cell in code_cells(assignment) if nbgrader(cell).get("solution")]
    assert answers, "students answer somewhere"
    for cell in answers:
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_notebook_ends_with_its_quiz_and_a_clean_up(assignment: str) -> None:
    topic = assignment.split("-", 1)[1]
    sources = [cell.source for cell in code_cells(assignment)]
    assert any(f'quiz("{topic}")' in source for source in sources)
    assert len(bank.load(topic).questions) >= 8
    assert "clean_up(" in sources[-1], "the last code cell cleans up"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebooks_are_stored_without_outputs(assignment: str) -> None:
    for cell in code_cells(assignment):
        assert not cell.outputs and cell.execution_count is None


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_cell_needs_a_terminal_or_repeats_the_notes_mistakes(assignment: str) -> None:
    for cell in code_cells(assignment):
        assert not re.search(r"docker (run|exec|attach|start)\b[^\n]*\s-(ti|it|i|t)\b", cell.source), (
            f"a cell cannot answer a terminal; show the -ti form in markdown: {cell.source[:120]}"
        )
    for cell in load(assignment).cells:
        for pattern, why in STALE.items():
            assert not re.search(pattern, cell.source), why


CURRENT_DOCKER = {  # what a code cell may no longer run: the course teaches Docker 26 to 29
    r"(^|[\s;&|(])docker-compose\s": "Compose v1 is end-of-life: run `docker compose` (v2)",
    r"^version:\s": "Compose v2 ignores the version key and warns: leave it out",
    r"\.NetworkSettings\.IPAddress\b": "deprecated: read .NetworkSettings.Networks.<name>.IPAddress",
}


CLASSIC_BUILDER_LOOK_BACK = "08-dockerfiles"  # the one notebook with a labelled classic-builder cell


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_code_cells_run_current_docker(assignment: str) -> None:
    for cell in code_cells(assignment):
        for pattern, why in CURRENT_DOCKER.items():
            assert not re.search(pattern, cell.source, re.M), f"{why}: {cell.source[:120]}"
        if assignment != CLASSIC_BUILDER_LOOK_BACK:
            assert "DOCKER_BUILDKIT=0" not in cell.source, "current Docker builds with BuildKit"


def test_current_docker_patterns_catch_what_they_name() -> None:
    stale = [
        "cd shop\ndocker-compose -p shop up -d",
        "%%writefile compose.yaml\nversion: '3.8'\nservices: {}",
        "docker inspect -f '{{.NetworkSettings.IPAddress}}' web",
    ]
    current = [
        "docker compose -p shop up -d  # not docker-compose.yml",
        "docker inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}}' web",
    ]
    for source, pattern in zip(stale, CURRENT_DOCKER, strict=True):
        assert re.search(pattern, source, re.M)
    assert not any(re.search(p, source, re.M) for p in CURRENT_DOCKER for source in current)
