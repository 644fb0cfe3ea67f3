"""Every notebook runs for real on the course engine, as `grader lab` runs it: solved, it earns full
marks; as handed out, it explains, never crashes.

Both runs leave the course engine as they found it (the notebook's clean-up cell removes what it
made), and the host engine too: nothing of a notebook reaches it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from grader.commands.notebooks import release
from grader.course.lab_engine import CourseEngine
from tests import sharing
from tests.conftest import left_nothing, ours
from tests.course.notebooks import ASSIGNMENTS, Run, notebook_path, run_notebook

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def state(client: docker.DockerClient) -> dict[str, set[str]]:
    """What a notebook may create: containers, networks, volumes, image names and IDs."""
    return {
        "containers": {
            c.name
            for c in client.containers.list(all=True, ignore_removed=True)
            if not c.name.startswith("grader-") and ours(c.labels)  # not another test process's
        },
        "networks": {n.name for n in client.networks.list() if ours(n.attrs.get("Labels") or {})},
        "volumes": {v.name for v in client.volumes.list() if ours(v.attrs.get("Labels") or {})},
        "images": {
            tag
            for image in client.images.list(all=True)
            if ours(image.labels or {})  # not one another grading process built (say, a base image)
            for tag in [*image.tags, *([] if sharing.parallel() else [image.id])]
        },  # in a parallel run, an untagged image may be another worker's build step (`tests.sharing`)
    }


@pytest.fixture
def unchanged(host_engine: docker.DockerClient, lab_engine: CourseEngine) -> Iterator[None]:
    """The course engine ends the test as it began it, and the host engine too (`left_nothing`: in a
    parallel run, what this process labelled; the host group's tests make unlabelled objects meanwhile)."""
    before = state(lab_engine.client)
    with left_nothing(host_engine):
        yield
    after = state(lab_engine.client)
    assert {k: after[k] - before[k] for k in after if after[k] - before[k]} == {}, "left on the course engine"


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solved_notebook_runs_clean_and_earns_full_marks(
    assignment: str, lab_engine: CourseEngine
) -> None:
    run = run_notebook(notebook_path(assignment), lab_engine)
    assert run.errors() == []
    scores = run.scores()
    assert scores and all(float(value) == points for value, points in scores.values()), {
        grade_id: run.feedback(grade_id)
        for grade_id, (value, points) in scores.items()
        if value != f"{points:g}"
    }


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_handed_out_notebook_runs_without_a_traceback_and_scores_nothing_unearned(
    assignment: str, course_dir: Path, lab_engine: CourseEngine
) -> None:
    release(assignment, course=course_dir)
    released = course_dir / "release" / assignment / notebook_path(assignment).name
    run: Run = run_notebook(released, lab_engine)
    assert run.errors() == [], "no traceback reaches a student who has not answered yet"
    for grade_id, (value, points) in run.scores().items():
        assert float(value) < points, f"{grade_id} gives full marks for no answer"
        shown = run.feedback(grade_id)
        assert "Expected" in shown or "What went wrong" in shown, "a failed check says what it expected"
