"""The course engine the notebook tests run on: one per test process (each worker of a parallel run)."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import docker.errors
import pytest

from grader.course.lab_engine import CourseEngine, course_engine


@pytest.fixture(scope="session")
def lab_engine(
    host_engine: docker.DockerClient, kernel_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CourseEngine]:
    """A course engine for notebooks copied into its folder (`tests.course.notebooks.run_notebook`)."""
    with course_engine(host_engine, tmp_path_factory.mktemp("course-engine")) as engine:
        yield engine
