"""What a grade was computed with: tool versions and the images on the host, for replay."""

from __future__ import annotations

import platform
from collections.abc import Iterable
from typing import Any

import docker
import docker.errors

from grader import __version__
from grader.host.baseimages import sandbox_engine
from grader.model.exercise import Exercise


def tools(client: docker.DockerClient) -> dict[str, str]:
    """The grader's, Python's, the Docker SDK's and the engine's versions, the sandbox engine image's ID
    and its docker engine's, buildx's and compose's versions (Debian's packages, as pinned)."""
    try:
        engine = str(client.version().get("Version", ""))
    except docker.errors.DockerException:
        engine = ""
    image = sandbox_engine.chosen()
    return {
        "grader": __version__,
        "python": platform.python_version(),
        "docker_py": docker.__version__,
        "engine": engine,
        "sandbox_engine": _image_id(client, image),
        **{f"sandbox_{name}": version for name, version in sandbox_engine.versions_of(image).items()},
    }


def base_images(client: docker.DockerClient, exercises: Iterable[Exercise]) -> dict[str, str]:
    """The host's image ID of every base image these exercises use ("" when it is missing)."""
    names = sorted({name for exercise in exercises for name in exercise.images})
    return {name: _image_id(client, name) for name in names}


def of_exercise(exercise: Exercise, versions: dict[str, str], images: dict[str, str]) -> dict[str, Any]:
    """The provenance part of one result's record."""
    return {"tools": versions, "base_images": {name: images.get(name, "") for name in exercise.images}}


def now(client: docker.DockerClient, exercise: Exercise) -> dict[str, Any]:
    """The provenance grading `exercise` on this machine would record now."""
    return {
        "exercise": {"id": exercise.id, "version": exercise.version, "digest": exercise.digest()},
        **of_exercise(exercise, tools(client), base_images(client, [exercise])),
    }


def differences(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Each way `current` provenance differs from a `recorded` one, as a sentence."""
    old_exercise, new_exercise = recorded.get("exercise", {}), current["exercise"]
    found = _changed(
        "the exercise's", {"version": old_exercise.get("version")}, {"version": new_exercise["version"]}
    )
    if not found and old_exercise.get("digest") != new_exercise["digest"]:
        found.append("The exercise's definition or checks changed since (same version, another digest).")
    found += _changed("the tool", recorded.get("tools", {}), current["tools"])
    found += _changed("the base image", recorded.get("base_images", {}), current["base_images"])
    return found


def _changed(what: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [
        f"{what.capitalize()} {name} was {old.get(name) or 'not recorded'}, now {new.get(name) or 'missing'}."
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]


def _image_id(client: docker.DockerClient, name: str) -> str:
    try:
        return str(client.images.get(name).id)
    except docker.errors.DockerException:
        return ""
