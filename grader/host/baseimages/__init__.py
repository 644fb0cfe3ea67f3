"""The base images the course and the grader use: present, else pulled, else built locally."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import docker
import docker.errors
from docker.models.images import Image

from grader.errors import InputError, SetupError
from grader.host import labels, system
from grader.host.baseimages import busybox, debian, notebook_kernel, registry, sandbox_engine, sid, trixie
from grader.host.baseimages.recipe import BuildFailed, Recipe
from grader.text import shorten


def recipes() -> tuple[Recipe, ...]:
    """Every base image's recipe, in the order they are prepared (what one is built from first)."""
    return (
        busybox.RECIPE,
        debian.RECIPE,
        registry.RECIPE,
        trixie.RECIPE,
        sandbox_engine.RECIPE,
        notebook_kernel.recipe(),
    )


def on_demand() -> tuple[Recipe, ...]:
    """Images made only when named (`grader images prepare --engine 28`): none of them grades."""
    return (sid.RECIPE, sandbox_engine.SID.recipe())


def engine_image(major: str) -> str:
    """The sandbox engine image of engine `major` (26, 28)."""
    if major not in sandbox_engine.ENGINES:
        known = ", ".join(sandbox_engine.ENGINES)
        raise UnknownImage(f"No sandbox engine {major!r} is made here. Engines: {known}.")
    return sandbox_engine.ENGINES[major].tag


PULL_TIMEOUT_S = 20

How = Literal["present", "pulled", "built"]
OnStep = Callable[[str, str], None]  # (image, what is happening now)


@dataclass(frozen=True)
class Outcome:
    """How one base image was made available by `prepare`."""

    name: str
    how: How
    seconds: float
    detail: str


class UnknownImage(InputError, LookupError):
    """No recipe makes an image of that name."""


class PrepareFailed(SetupError, RuntimeError):
    """A base image could not be made available; `outcomes` holds what was done before."""

    def __init__(self, message: str, outcomes: list[Outcome]) -> None:
        super().__init__(message)
        self.outcomes = outcomes


def find(name: str) -> Recipe:
    """The recipe of the image `name`."""
    every = (*recipes(), *on_demand())
    for recipe in every:
        if recipe.name == name:
            return recipe
    known = ", ".join(recipe.name for recipe in every)
    raise UnknownImage(f"No base image is called '{name}'. Base images: {known}.")


def prepare(
    client: docker.DockerClient,
    names: list[str] | None = None,
    on_step: OnStep | None = None,
    *,
    pull: bool = True,
) -> list[Outcome]:
    """Make the images `names` (default: all but those made on demand) available, with what they are
    built from."""
    chosen = [find(name) for name in names] if names else list(recipes())
    preparer = _Preparer(client, on_step or _quiet, pull)
    for recipe in chosen:
        preparer.prepare(recipe)
    return list(preparer.done.values())


def _quiet(name: str, step: str) -> None:
    """The default `on_step`: say nothing."""


@dataclass
class _Preparer:
    client: docker.DockerClient
    on_step: OnStep
    pull: bool
    done: dict[str, Outcome] = field(default_factory=dict)

    def prepare(self, recipe: Recipe) -> None:
        if recipe.name in self.done:
            return
        started, before = time.monotonic(), len(self.done)
        how, detail = self._make_available(recipe)
        needs_s = sum(outcome.seconds for outcome in list(self.done.values())[before:])
        seconds = round(time.monotonic() - started - needs_s, 2)  # its own time, not its needs'
        self.done[recipe.name] = Outcome(recipe.name, how, seconds, detail)

    def _make_available(self, recipe: Recipe) -> tuple[How, str]:
        image = image_or_none(self.client, recipe.name)
        if image is not None:
            return "present", provenance(image)
        pull_error = self._pull(recipe) if recipe.pullable and self.pull else None
        if pull_error is None and image_or_none(self.client, recipe.name) is not None:
            return "pulled", "from the registry"
        for need in recipe.needs:
            self.prepare(find(need))
        self._build(recipe)
        built = self.client.images.get(recipe.name)
        return "built", provenance(built) + (f" (pull failed: {pull_error})" if pull_error else "")

    def _pull(self, recipe: Recipe) -> str | None:
        self.on_step(recipe.name, "pulling")
        return pull(self.client, recipe.name)

    def _build(self, recipe: Recipe) -> None:
        self.on_step(recipe.name, "building locally")
        try:
            system.ensure_packages(*recipe.packages)
            recipe.build(self.client)
        except (
            BuildFailed,
            system.MissingPackages,
            system.NoDebianMirror,
            docker.errors.DockerException,
        ) as error:
            message = f"Could not build {recipe.name} locally.\n{error}"
            raise PrepareFailed(message, list(self.done.values())) from error


def pull(client: docker.DockerClient, name: str, timeout_s: float = PULL_TIMEOUT_S) -> str | None:
    """Pull `name`, giving up after `timeout_s`; None when it worked, else why not."""
    errors: list[str | None] = []

    def attempt() -> None:
        try:
            client.images.pull(name)
            errors.append(None)
        except (docker.errors.DockerException, OSError) as error:
            errors.append(shorten(str(error), 160))

    worker = threading.Thread(target=attempt, name=f"pull {name}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not errors:
        return f"no answer from the registry within {timeout_s:.0f} s"
    return errors[0]


def image_or_none(client: docker.DockerClient, name: str) -> Image | None:
    try:
        return client.images.get(name)
    except docker.errors.ImageNotFound:
        return None


def provenance(image: Image) -> str:
    """How an image came to the engine, with its recipe if built locally."""
    made, recipe = origin(image)
    return f"{made}: {recipe}" if recipe else made


def origin(image: Image) -> tuple[str, str]:
    """('built locally', its recipe label), ('pulled', '') or ('not by the grader', '')."""
    image_labels = image.labels or {}
    if image_labels.get(labels.BUILT_LOCALLY) == "true":
        return "built locally", image_labels.get(labels.RECIPE, "no recipe label")
    if image.attrs.get("RepoDigests"):
        return "pulled", ""
    return "not by the grader", ""


@dataclass(frozen=True)
class ImageState:
    """What `grader images list` and `grader doctor` show of one base image."""

    name: str
    present: bool
    id: str = ""
    size_mb: float = 0.0
    made: str = ""  # built locally, pulled, or not by the grader
    recipe: str = ""  # the recipe label of a locally built image

    @property
    def provenance(self) -> str:
        return f"{self.made}: {self.recipe}" if self.recipe else self.made


def states(client: docker.DockerClient) -> list[ImageState]:
    """The state of every base image on the engine."""
    return [state(client, recipe.name) for recipe in recipes()]


def state(client: docker.DockerClient, name: str) -> ImageState:
    image = image_or_none(client, name)
    if image is None:
        return ImageState(name, present=False)
    size_mb = round(image.attrs.get("Size", 0) / 1e6, 1)
    short_id = image.short_id.removeprefix("sha256:")
    return ImageState(name, True, short_id, size_mb, *origin(image))
