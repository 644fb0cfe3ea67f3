"""The grader's sandbox engine: dockerd 26.1 in a container on Debian trixie, with busybox probes for checks.

Why trixie (Debian 13) and not sid: a stable release whose pins hold (sid changes daily) and which
Debian's security team supports; its dockerd runs nested with the sandbox's flags; and engine 26.1 with
BuildKit 0.13 builds every Dockerfile feature students write today (heredocs, COPY --chmod, cache and
secret mounts). The runner of setup.sh uses this image too: its CLI has `docker buildx` and
`docker compose` (v2).
"""

from __future__ import annotations

import docker

from grader.host import system
from grader.host.baseimages import busybox, debian, trixie
from grader.host.baseimages.recipe import DATA, Recipe, build_dockerfile, content_tag, drop_other_versions

ENTRYPOINT = DATA / "sandbox-entrypoint.sh"
DAEMON_CONFIG = DATA / "sandbox-daemon.json"  # BuildKit's network-host and security-insecure: off
PACKAGES = ("busybox-static",)
PINNED = {
    # The engine's versions, pinned so that a rebuild gives the same engine. runc 1.1.15+ds1-2+deb13u1
    # (trixie-security) carries Debian's fixes of CVE-2025-31133 and CVE-2025-52565 (masked paths and
    # /dev/console, ways out of a container) and 1.1.12's of CVE-2024-21626 (`docker run -w
    # /proc/self/fd/8`); tests/sandbox/test_isolation.py checks the latter stays closed.
    "docker.io": "26.1.5+dfsg1-9+deb13u1+b1",
    "docker-cli": "26.1.5+dfsg1-9+deb13u1+b1",
    "docker-buildx": "0.13.1+ds1-3",
    "docker-compose": "2.26.1-4",
    "containerd": "1.7.24~ds1-6+deb13u1",
    "runc": "1.1.15+ds1-2+deb13u1",
    "iptables": "1.8.11-2",
}
MOUNT2 = "LIBMOUNT_FORCE_MOUNT2=always"
"""trixie's mount(8) uses the new mount API (fsopen, fsmount...), which the sandbox's seccomp profile
refuses (EPERM, so no fallback): the entrypoint's cgroup rewiring and the submission's `nosymfollow`
remount use mount(2), as bookworm's did."""
DEBIAN_PACKAGES = (*(f"{name}={version}" for name, version in PINNED.items()), "ca-certificates")
HERE = "grader/host/baseimages/sandbox_engine.py"


def pin_check(pinned: dict[str, str] = PINNED) -> str:
    """Shell commands that fail, saying what to update, when the mirror no longer serves a pin."""
    pins = " ".join(f"{name}={version}" for name, version in pinned.items())
    return f"""for pin in {pins}; do \\
      name=${{pin%%=*}}; served=$(apt-cache madison "$name" | awk '{{print $3}}' | tr '\\n' ' '); \\
      case " $served " in *" ${{pin#*=}} "*) ;; *) \\
        echo "The Debian mirror no longer serves $pin (it serves: ${{served:-nothing}})." \\
             "Update PINNED in {HERE} to a version it serves."; exit 1;; esac; \\
    done"""


DOCKERFILE = (
    debian.with_packages(DEBIAN_PACKAGES, base=trixie.NAME, check=pin_check())
    + f"""\
COPY busybox /grader/probe/busybox
RUN mkdir /grader/probe/bin && for applet in $(/grader/probe/busybox --list); do \\
      [ "$applet" = busybox ] || ln -s ../busybox "/grader/probe/bin/$applet"; \\
    done
COPY sandbox-daemon.json /etc/docker/daemon.json
ENV {MOUNT2}
COPY sandbox-entrypoint.sh /usr/local/bin/sandbox-entrypoint
ENTRYPOINT ["/usr/local/bin/sandbox-entrypoint"]
"""
)


TAG = NAME = content_tag(
    "docker-course/sandbox-engine-26",
    DOCKERFILE,
    {"sandbox-entrypoint.sh": ENTRYPOINT, "sandbox-daemon.json": DAEMON_CONFIG},
)


def versions() -> dict[str, str]:
    """The docker engine's, buildx's and compose's versions in the image (Debian's, as pinned)."""
    return {
        "docker": PINNED["docker.io"],
        "buildx": PINNED["docker-buildx"],
        "compose": PINNED["docker-compose"],
    }


def description() -> str:
    """What the image is made of, for its recipe label."""
    return (
        f"{', '.join(DEBIAN_PACKAGES)} from the Debian archive on {trixie.NAME}; probes from "
        f"busybox-static {system.package_version('busybox-static')}"
    )


def build(client: docker.DockerClient, tag: str = TAG) -> None:
    """Build the sandbox engine image on docker-course/trixie:slim."""
    files = {
        "busybox": (busybox.HOST_BUSYBOX, 0o755),
        "sandbox-entrypoint.sh": (ENTRYPOINT, 0o755),
        "sandbox-daemon.json": (DAEMON_CONFIG, 0o644),
    }
    build_dockerfile(client, tag, DOCKERFILE, files, description())
    drop_other_versions(client, tag)


RECIPE = Recipe(NAME, PACKAGES, build, needs=(trixie.NAME,), pullable=False)
