"""What a grade was computed with: tool versions and the base images on the host, for replay."""

from __future__ import annotations

import platform
from collections.abc import Iterable
from typing import Any

import docker
import docker.errors

from grader import __version__
from grader.exercise import Exercise


def tools(client: docker.DockerClient) -> dict[str, str]:
    """The grader's, Python's, the Docker SDK's and the engine's versions."""
    try:
        engine = str(client.version().get("Version", ""))
    except docker.errors.DockerException:
        engine = ""
    return {
        "grader": __version__,
        "python": platform.python_version(),
        "docker_py": docker.__version__,
        "engine": engine,
    }


def base_images(client: docker.DockerClient, exercises: Iterable[Exercise]) -> dict[str, str]:
    """The host's image ID of every base image these exercises use ("" when it is missing)."""
    names = sorted({name for exercise in exercises for name in exercise.images})
    return {name: _image_id(client, name) for name in names}


def of_exercise(exercise: Exercise, versions: dict[str, str], images: dict[str, str]) -> dict[str, Any]:
    """The provenance part of one result's record."""
    return {"tools": versions, "base_images": {name: images.get(name, "") for name in exercise.images}}


def _image_id(client: docker.DockerClient, name: str) -> str:
    try:
        return str(client.images.get(name).id)
    except docker.errors.DockerException:
        return ""
