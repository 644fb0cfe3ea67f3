"""What a base image recipe is, and the one way recipes build from a Dockerfile."""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import docker
import docker.errors

from grader.errors import SetupError
from grader.host import labels
from grader.text import last_lines, shorten

DATA = Path(__file__).resolve().parents[2] / "data"
BUILD_TIMEOUT_S = 1800  # longest silence tolerated from one build (apt on a slow mirror)


class BuildFailed(SetupError, RuntimeError):
    """A local build of a base image failed; the message has the end of its log."""


class Builder(Protocol):
    def __call__(self, client: docker.DockerClient, tag: str = ...) -> None: ...


@dataclass(frozen=True)
class Recipe:
    """How one base image is made when no registry has it."""

    name: str  # the image reference it makes
    packages: tuple[str, ...]  # host Debian packages a local build needs
    build: Builder  # builds the image locally, tagged `name` unless told otherwise
    needs: tuple[str, ...] = ()  # base images it is built from
    pullable: bool = True  # whether a public registry has an image of that name


def built_locally(description: str) -> dict[str, str]:
    """The labels of an image built by one of our recipes."""
    return {labels.BUILT_LOCALLY: "true", labels.RECIPE: description}


def build_dockerfile(
    client: docker.DockerClient,
    tag: str,
    dockerfile: str,
    files: Mapping[str, tuple[Path, int]],
    description: str,
    folders: Mapping[str, Path] | None = None,
) -> None:
    """Build `dockerfile` with `files` (name: (source, mode)) and `folders` (name: source) as its context."""
    context = _context(dockerfile, files, folders or {})
    log: list[str] = []
    try:
        for chunk in client.api.build(
            fileobj=context,
            custom_context=True,
            tag=tag,
            labels=built_locally(description),
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
            timeout=BUILD_TIMEOUT_S,
        ):
            log.append(chunk.get("stream", "") or chunk.get("status", ""))
            if "error" in chunk:
                raise BuildFailed(_failure(tag, chunk["error"], log))
    except (docker.errors.APIError, OSError) as error:
        raise BuildFailed(_failure(tag, str(error), log)) from error


def _context(
    dockerfile: str, files: Mapping[str, tuple[Path, int]], folders: Mapping[str, Path]
) -> io.BytesIO:
    """A tar build context holding the Dockerfile, `files` and the files of `folders`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        _add(tar, "Dockerfile", dockerfile.encode(), 0o644)
        for name, (source, mode) in files.items():
            _add(tar, name, source.read_bytes(), mode, source.stat().st_mtime)
        for name, folder in folders.items():
            for path in tree_files(folder):
                _add(
                    tar, f"{name}/{path.relative_to(folder)}", path.read_bytes(), 0o644, path.stat().st_mtime
                )
    buffer.seek(0)
    return buffer


def content_tag(repository: str, dockerfile: str, sources: Mapping[str, Path]) -> str:
    """`repository:<hash>`: a short hash of a Dockerfile and of what it copies in (files or folders)."""
    digest = hashlib.sha256(dockerfile.encode())
    for name, source in sorted(sources.items()):
        for path in tree_files(source) if source.is_dir() else [source]:
            digest.update(f"{name}/{path.relative_to(source)}\0".encode() + path.read_bytes())
    return f"{repository}:{digest.hexdigest()[:12]}"


def drop_other_versions(client: docker.DockerClient, tag: str) -> list[str]:
    """Untag the other versions of a hash-tagged image (`repo:<hash>`): a rebuild replaces them."""
    repository = tag.rsplit(":", 1)[0]
    others = [
        name
        for image in client.images.list(name=repository)
        for name in image.tags
        if name != tag and name.rsplit(":", 1)[0] == repository
    ]
    dropped = []
    for name in others:
        try:
            client.images.remove(name)
        except docker.errors.APIError:  # in use by a container of a run still going: keep it
            continue
        dropped.append(name)
    return dropped


def tree_files(folder: Path) -> list[Path]:
    """The files of `folder`, sorted, without Python's caches."""
    return sorted(path for path in folder.rglob("*") if path.is_file() and "__pycache__" not in path.parts)


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int, mtime: float = 0) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, mtime
    tar.addfile(info, io.BytesIO(data))


def _failure(tag: str, error: str, log: list[str]) -> str:
    return (
        f"Building {tag} failed: {shorten(error)}\nThe end of the build log:\n{last_lines(''.join(log), 12)}"
    )
