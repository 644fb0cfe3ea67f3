"""Checks for run-flow.commit: my-image:latest, committed from a busybox container.

`env` is the engine the student's script ran against (a sandbox) or the
student's own engine (live); images and containers are found by name.
"""

from __future__ import annotations

from grader.checks.toolkit import Environment, check, layers_start_with

IMAGE = "my-image:latest"
BASE = "busybox:latest"
FILE = "/importantfile.txt"


@check(
    points=2,
    expected=f"An image named {IMAGE} exists.",
    hint="Commit your container with its name and the image's name: "
    "`docker commit CONTAINER my-image:latest` (`:latest` is the tag you get when you give none).",
    reproduce="docker images my-image",
)
def test_image_exists(env: Environment) -> None:
    env.image(IMAGE)


@check(
    points=3,
    expected=f"A container of {IMAGE} finds the file {FILE}.",
    hint=f"Create the file in the container you commit: `docker run --name NAME busybox touch {FILE}`, "
    "then `docker commit NAME my-image`. A change made in one container is saved only when you "
    "commit that very container.",
    reproduce=f"docker run --rm my-image ls -l {FILE}",
)
def test_image_has_the_file(env: Environment) -> None:
    env.image(IMAGE)
    assert env.image_file(IMAGE, FILE) is not None, f"{FILE} is not in the image"


@check(
    points=3,
    expected=f"{IMAGE} is busybox plus one layer: its layers start with all of {BASE}'s layers.",
    hint="Start the container you commit from busybox itself (`docker run ... busybox ...`). "
    "A commit keeps every layer of the container's image and adds one with the container's changes.",
    reproduce="docker history my-image ; docker history busybox",
)
def test_layers_start_with_busybox(env: Environment) -> None:
    made_from = "it was not made from a busybox container"
    layers_start_with(env.image(IMAGE), env.base(BASE), name="busybox", meaning=made_from, own=True)


@check(
    points=2,
    expected=f"No container of {BASE} or {IMAGE} is left running after the script.",
    hint="Give the container a command that ends (such as `touch`), or stop and remove it "
    "once it is committed: `docker rm -f NAME`.",
    reproduce="docker ps",
)
def test_nothing_left_running(env: Environment) -> None:
    images = {env.base(BASE).id, env.image(IMAGE).id}
    running = [c.name for c in env.client.containers.list() if c.image and c.image.id in images]
    assert not running, f"still running: {', '.join(sorted(running))}"
