"""The grader's sandbox engine: dockerd in a container, with busybox probes for checks."""

from __future__ import annotations

import docker

from grader.host import system
from grader.host.baseimages import busybox, debian
from grader.host.baseimages.recipe import DATA, Recipe, build_dockerfile, content_tag, drop_other_versions

ENTRYPOINT = DATA / "sandbox-entrypoint.sh"
PACKAGES = ("busybox-static",)
PINNED = {
    # The engine's versions, pinned so that a rebuild gives the same engine. runc 1.1.5+ds1-1+deb12u1
    # carries Debian's fix of CVE-2024-21626 (runc's leaked working-directory descriptor, a way out of
    # a container: `docker run -w /proc/self/fd/8`); tests/sandbox/test_isolation.py checks it stays closed.
    "docker.io": "20.10.24+dfsg1-1+deb12u1+b6",
    "containerd": "1.6.20~ds1-1+deb12u3",
    "runc": "1.1.5+ds1-1+deb12u1",
    "iptables": "1.8.9-2",
}
DEBIAN_PACKAGES = (*(f"{name}={version}" for name, version in PINNED.items()), "ca-certificates")
DOCKERFILE = (
    debian.with_packages(DEBIAN_PACKAGES)
    + """\
COPY busybox /grader/probe/busybox
RUN mkdir /grader/probe/bin && for applet in $(/grader/probe/busybox --list); do \\
      [ "$applet" = busybox ] || ln -s ../busybox "/grader/probe/bin/$applet"; \\
    done
COPY sandbox-entrypoint.sh /usr/local/bin/sandbox-entrypoint
ENTRYPOINT ["/usr/local/bin/sandbox-entrypoint"]
"""
)


TAG = NAME = content_tag("docker-course/sandbox-engine", DOCKERFILE, {"sandbox-entrypoint.sh": ENTRYPOINT})


def description() -> str:
    """What the image is made of, for its recipe label."""
    return (
        f"{', '.join(DEBIAN_PACKAGES)} from the Debian archive on {debian.NAME}; probes from "
        f"busybox-static {system.package_version('busybox-static')}"
    )


def build(client: docker.DockerClient, tag: str = TAG) -> None:
    """Build the sandbox engine image on the host's debian:bookworm-slim."""
    files = {
        "busybox": (busybox.HOST_BUSYBOX, 0o755),
        "sandbox-entrypoint.sh": (ENTRYPOINT, 0o755),
    }
    build_dockerfile(client, tag, DOCKERFILE, files, description())
    drop_other_versions(client, tag)


RECIPE = Recipe(NAME, PACKAGES, build, needs=(debian.NAME,), pullable=False)
