"""Checks for dockerfiles.secret: a build that uses a secret through a secret mount and keeps it
out of the image.

Each grading hands the build a fresh random token (`build.secret`, exercise.toml's `[secret]`).
Everything is read from outside the image: its file through the engine's archive API, its layers,
config and history from the engine's `docker save` (grader.checks.saved_image).
"""

from __future__ import annotations

import hashlib

from grader.checks.toolkit import (
    BuildResult,
    ImageInfo,
    Images,
    SavedImage,
    Search,
    check,
    layers_start_with,
)
from grader.text import shorten

PROOF = "/token.sha256"
SECRET = "api_token"
MOUNT = f"RUN --mount=type=secret,id={SECRET} sha256sum /run/secrets/{SECRET} > {PROOF}"


def _search(build: BuildResult, saved: SavedImage) -> Search:
    assert build.secret, "the build was given no secret"
    found = saved.search(build.secret.encode())
    assert not found.unreadable, f"the grader could not read {', '.join(found.unreadable)} of the image"
    return found


@check(
    points=4,
    expected=f"`{PROOF}` holds the SHA-256 of the secret `{SECRET}` given to the build.",
    hint=f"Read the secret through a secret mount and hash it: `{MOUNT}`. Hash the file itself "
    "(not `echo $(cat ...)`, which adds a newline), and write only the hash.",
    reproduce=f"docker build --secret id={SECRET},src=token.txt -t secret . && "
    f"docker run --rm secret cat {PROOF} && sha256sum token.txt",
)
def test_proves_the_secret(build: BuildResult, saved: SavedImage) -> None:
    assert build.secret, "the build was given no secret"
    want = hashlib.sha256(build.secret.encode()).hexdigest()
    content = saved.file(PROOF)
    assert content is not None, f"the image has no file {PROOF}"
    words = content.decode("utf-8", "replace").split()
    found = words[0].lower() if words else ""
    if found == want:
        return
    if found == hashlib.sha256(build.secret.encode() + b"\n").hexdigest():
        raise AssertionError(f"{PROOF} holds the SHA-256 of the secret followed by a newline")
    if found == hashlib.sha256(b"").hexdigest():
        raise AssertionError(f"{PROOF} holds the SHA-256 of nothing: the step read no secret")
    raise AssertionError(f"{PROOF} holds {shorten(found or 'nothing', 80)!r}, not the secret's SHA-256")


@check(
    points=3,
    expected="No layer of the image holds the secret (not even in a file a later step deletes).",
    hint="Read the secret only where it is mounted (`/run/secrets/api_token`, during its RUN step) "
    "and never copy it: `cp`, `>` or `cat ... >` a file writes it into that step's layer, "
    "and an `rm` in a later step does not take it out.",
    reproduce="docker save secret -o secret.tar  # then look into each layer of blobs/sha256/",
)
def test_secret_not_in_layers(build: BuildResult, saved: SavedImage) -> None:
    found = _search(build, saved)
    where = [
        f"the layer of the step `{shorten(layer.step or 'unnamed', 160)}` (layer {layer.number} of "
        f"{layer.of}) holds it in {', '.join(layer.paths[:5])}"
        for layer in found.layers
    ]
    assert not where, "the secret is in the image: " + "; ".join(where)


@check(
    points=2,
    expected="Neither the image's configuration (ENV, labels, command) nor its history holds the secret.",
    hint="Do not pass a secret as a build argument (`ARG`, `--build-arg`) or an `ENV`: a RUN that "
    "uses a build argument is written into the history with its value, and ENV is kept in the "
    "image. Use `RUN --mount=type=secret,id=api_token` instead; leave the offered API_TOKEN unused.",
    reproduce="docker history --no-trunc secret && docker image inspect secret",
)
def test_secret_not_in_config(build: BuildResult, saved: SavedImage) -> None:
    found = _search(build, saved)
    assert not found.config, "the secret is in " + "; ".join(shorten(place, 200) for place in found.config)


@check(
    points=1,
    expected="The image is built FROM busybox.",
    hint="Start your Dockerfile with `FROM busybox`.",
    reproduce="docker history secret",
)
def test_based_on_busybox(image: ImageInfo, images: Images) -> None:
    layers_start_with(
        image, images("busybox:latest"), name="busybox", meaning="it was built FROM another image"
    )
