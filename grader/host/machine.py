"""What the `grader` commands for this machine do with its engine: make the base images available,
say which are there, and remove what crashed grading runs left."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from grader.host import baseimages, engine, leftovers
from grader.host.baseimages import ImageState, Outcome

OFFLINE_ENV = "GRADER_OFFLINE"  # set to 1 to never try a registry: build what is missing


def offline() -> bool:
    """Whether the user asked never to contact a registry."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes"}


def prepare_images(
    names: Sequence[str] = (), *, pull: bool = True, on_step: Callable[[str, str], None] | None = None
) -> list[Outcome]:
    """Make the base images `names` (default: all) available on the host's engine, started if need
    be: present, else pulled (unless `pull` is false or offline()), else built from local packages."""
    return baseimages.prepare(
        engine.connect(), list(names) or None, on_step=on_step, pull=pull and not offline()
    )


def image_states() -> list[ImageState]:
    """Each base image: present or not, and how it was made (the engine is not started)."""
    return baseimages.states(engine.connect(start=False, install=False))


def remove_leftovers(*, everything: bool) -> list[leftovers.Leftover]:
    """Remove what crashed grading runs (with `everything`, any grading run) left on the engine and
    in the temporary folder; what was removed."""
    client = engine.connect(start=False, install=False)
    found = leftovers.find(client, everything=everything)
    leftovers.remove(client, found)
    folders = leftovers.stale_folders(everything=everything)
    leftovers.remove_folders(folders)
    return found + [leftovers.Leftover("folder", str(folder), "") for folder in folders]
