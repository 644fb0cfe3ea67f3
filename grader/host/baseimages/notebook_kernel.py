"""The notebook kernel image: Python, ipykernel, nbclient, the docker CLI and the grader package.

`grader autograde` runs each student's notebook in a container of this image,
inside the student's sandbox: the kernel never runs on the host. Everything
comes from Debian's packages; the grader package and the course's exercises
(pure Python and data) are copied in, so the image's tag is a hash of the
Dockerfile and of those files.
"""

from __future__ import annotations

import functools
from pathlib import Path

import docker

from grader.host.baseimages import debian, sandbox_engine, trixie
from grader.host.baseimages.recipe import Recipe, build_dockerfile, content_tag, drop_other_versions
from grader.model.exercise import EXERCISES

PACKAGE = Path(__file__).resolve().parents[2]  # the grader package
HOME = "/opt/docker-course"  # holds grader/ and exercises/, as the repository does
DEBIAN_PACKAGES = (
    "python3",
    "python3-ipykernel",
    "python3-nbclient",
    "python3-nbformat",
    "python3-docker",
    "python3-pytest",
    "python3-testinfra",
    "python3-requests",
    "python3-rich",
    "python3-click",
    "python3-markdown-it",
    "python3-ipywidgets",
    "python3-h2",  # the guard's HTTP/2 (grader.sandbox.guard), which check cells import
)
PLUGINS = "/usr/libexec/docker/cli-plugins"  # `docker buildx` and `docker compose` (v2)
DOCKERFILE = (
    debian.with_packages(DEBIAN_PACKAGES, base=trixie.NAME)
    + f"""\
COPY --from={sandbox_engine.TAG} /usr/bin/docker /usr/local/bin/docker
COPY --from={sandbox_engine.TAG} {PLUGINS}/docker-buildx {PLUGINS}/docker-compose {PLUGINS}/
COPY grader {HOME}/grader
COPY exercises {HOME}/exercises
ENV PYTHONPATH={HOME} PYTHONDONTWRITEBYTECODE=1
"""
)


def _folders() -> dict[str, Path]:
    return {"grader": PACKAGE, "exercises": EXERCISES}


@functools.cache
def image_tag() -> str:
    """The image's tag, a digest of its Dockerfile, the grader package and the exercises.

    Computed on first use, not at import: hashing the package's files takes a moment that most
    commands never need.
    """
    return content_tag("docker-course/notebook-kernel", DOCKERFILE, _folders())


def description() -> str:
    """What the image is made of, for its recipe label."""
    return (
        f"{', '.join(DEBIAN_PACKAGES)} from the Debian archive on {trixie.NAME}; the docker CLI of "
        f"{sandbox_engine.TAG} with its buildx and compose plugins; the grader package and the course's "
        "exercises"
    )


def build(client: docker.DockerClient, tag: str | None = None) -> None:
    """Build the kernel image on docker-course/trixie:slim and the sandbox engine image."""
    tag = tag or image_tag()
    build_dockerfile(client, tag, DOCKERFILE, {}, description(), folders=_folders())
    drop_other_versions(client, tag)


def recipe() -> Recipe:
    """How the kernel image is made (its name is computed when this is called)."""
    return Recipe(image_tag(), (), build, needs=(trixie.NAME, sandbox_engine.NAME), pullable=False)
