"""busybox:latest: the host's static busybox on an empty filesystem, like the official image."""

from __future__ import annotations

from pathlib import Path

import docker

from grader.host import system
from grader.host.baseimages.recipe import DATA, Recipe, build_dockerfile

NAME = "busybox:latest"
PACKAGES = ("busybox-static",)
HOST_BUSYBOX = Path("/bin/busybox")
DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
COPY passwd group /etc/
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /root /home /var/www /var/spool/mail /usr/sbin /tmp \\
 && chmod 700 /root && chmod 1777 /tmp
CMD ["sh"]
"""


def description() -> str:
    """Where the busybox binary comes from, for the image's recipe label."""
    return f"busybox-static {system.package_version('busybox-static')} from the Debian archive"


def build(client: docker.DockerClient, tag: str = NAME) -> None:
    """Build busybox:latest from the host's busybox-static package."""
    files = {
        "busybox": (HOST_BUSYBOX, 0o755),
        "passwd": (DATA / "busybox" / "passwd", 0o644),
        "group": (DATA / "busybox" / "group", 0o644),
    }
    build_dockerfile(client, tag, DOCKERFILE, files, description())


RECIPE = Recipe(NAME, PACKAGES, build)
