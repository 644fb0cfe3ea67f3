"""The image store of a sandbox's engine: Docker's classic one, or containerd's (the engine's
containerd-snapshotter feature, the default of fresh Docker installs since 29).

On the containerd store an image's ID is the digest of its manifest, not of its config, so a base image
loaded into a sandbox gets an ID there other than the host's. Engines 26.1 and 28.5 (measured) cannot
run a BuildKit RUN step on that store under `--userns-remap` (runc: "mkdirat .../rootfs/proc: permission
denied"), so a sandbox on it has no user namespace: it is there to check that grading reads both stores
alike; the classic store, with the user namespace, stays the default for grading.
"""

from __future__ import annotations

import os
from typing import Any, Literal

ImageStore = Literal["classic", "containerd"]
STORES: tuple[ImageStore, ...] = ("classic", "containerd")
VARIABLE = "GRADER_IMAGE_STORE"
"""Which store sandboxes use when not told: `containerd`, else the classic one."""
SNAPSHOTTER = "io.containerd.snapshotter.v1"


def default() -> ImageStore:
    """The store named by GRADER_IMAGE_STORE, the classic one unless it says `containerd`."""
    return "containerd" if os.environ.get(VARIABLE, "").strip().lower() == "containerd" else "classic"


def in_use(info: dict[str, Any]) -> ImageStore:
    """The store an engine uses, from its `docker info`."""
    status = dict(tuple(pair) for pair in info.get("DriverStatus") or [] if len(pair) == 2)
    return "containerd" if status.get("driver-type") == SNAPSHOTTER else "classic"
