"""The probe toolkit: a static busybox the grader mounts read-only into the containers it checks.

Commands the grader runs inside a checked container use only this toolkit, by absolute path:
`PROBE_BUSYBOX sh` as the shell, and a PATH made of the probe's applet links alone. Nothing
of the image (its /bin/sh, its PATH, a `netstat` it ships) is ever run by a check.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import docker.types

from grader.sandbox.paths import PROBE_DIR


def probe_mount(host_dir: str) -> docker.types.Mount:
    """A read-only bind mount of the probe directory `host_dir` (a path on the engine's host)."""
    return docker.types.Mount(target=PROBE_DIR, source=host_dir, type="bind", read_only=True)


def make_probe_dir(path: Path, busybox: Path = Path("/bin/busybox")) -> Path:
    """Fill `path` with a probe toolkit: a copy of the static `busybox` and its applet links.

    The folder is made readable by everyone: the probe's shell runs as a user of its own.
    """
    (path / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(busybox, path / "busybox")
    listing = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True)
    for applet in listing.stdout.split():
        link = path / "bin" / applet
        if applet != "busybox" and not link.is_symlink():
            link.symlink_to("../busybox")
    for folder in (path, path / "bin"):
        folder.chmod(0o755)
    (path / "busybox").chmod(0o755)
    return path
