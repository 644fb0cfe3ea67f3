"""The grader's sandbox engine: dockerd 26.1 in a container on Debian trixie, with busybox probes for checks;
and the same recipe on Debian sid (dockerd 28), a second engine to measure the course and grader on.

Why trixie (Debian 13) and not sid for grading: a stable release whose pins hold (sid changes daily) and
which Debian's security team supports; its dockerd runs nested with the sandbox's flags; and engine 26.1
with BuildKit 0.13 builds every Dockerfile feature students write today (heredocs, COPY --chmod, cache
and secret mounts). The runner of setup.sh uses this image too: its CLI has `docker buildx` and
`docker compose` (v2).

Both engines are one Dockerfile, entrypoint and daemon configuration; only the base and the pins differ.
A third, engine 29, is measured beside them though no Debian suite serves it yet: engine 28's image with
dockerd, docker-proxy and the docker CLI built from their upstream sources (`FROM_SOURCE`,
benchmarks/engine29/). GRADER_SANDBOX_ENGINE (read by `chosen` alone) picks the one sandboxes run: `26`
(the default), `28`, `29`, or an image reference (an engine built from this recipe under another name).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

import docker

from grader.errors import InputError
from grader.host import system
from grader.host.baseimages import busybox, debian, sid, trixie
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
SID_PINNED = {
    # What sid served when engine 28 was measured (README's supported versions); when sid moves on the
    # build fails at `pin_check` with what it serves instead, and the 28 measurements skip with that.
    "docker.io": "28.5.2+dfsg4-5",
    "docker-cli": "28.5.2+dfsg4-5",
    "docker-buildx": "0.29.1+ds1-4",
    "docker-compose": "2.40.3-3",
    "containerd": "2.1.9+ds1-5",
    "runc": "1.3.6+ds1-1",
    "iptables": "1.8.13-1",
}
MOUNT2 = "LIBMOUNT_FORCE_MOUNT2=always"
"""trixie's mount(8) uses the new mount API (fsopen, fsmount...), which the sandbox's seccomp profile
refuses (EPERM, so no fallback): the entrypoint's cgroup rewiring and the submission's `nosymfollow`
remount use mount(2), as bookworm's did."""
HERE = "grader/host/baseimages/sandbox_engine.py"
VARIABLE = "GRADER_SANDBOX_ENGINE"


def pin_check(pinned: dict[str, str] = PINNED, name: str = "PINNED") -> str:
    """Shell commands that fail, saying what to update, when the mirror no longer serves a pin."""
    pins = " ".join(f"{package}={version}" for package, version in pinned.items())
    return f"""for pin in {pins}; do \\
      name=${{pin%%=*}}; served=$(apt-cache madison "$name" | awk '{{print $3}}' | tr '\\n' ' '); \\
      case " $served " in *" ${{pin#*=}} "*) ;; *) \\
        echo "The Debian mirror no longer serves $pin (it serves: ${{served:-nothing}})." \\
             "Update {name} in {HERE} to a version it serves."; exit 1;; esac; \\
    done"""


def _dockerfile(base: str, pinned: dict[str, str], name: str) -> str:
    """The sandbox engine's Dockerfile on `base` with the packages `pinned` (called `name` here)."""
    packages = (*(f"{package}={version}" for package, version in pinned.items()), "ca-certificates")
    return (
        debian.with_packages(packages, base=base, check=pin_check(pinned, name))
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


@dataclass(frozen=True)
class Engine:
    """One sandbox engine image: the recipe's parameters and what follows from them."""

    major: str  # the engine's major version, in the repository's name
    base: str  # the Debian root it is built on
    pinned: dict[str, str] = field(hash=False)
    pins_name: str  # what the pins are called in this file, for pin_check's message

    @property
    def dockerfile(self) -> str:
        return _dockerfile(self.base, self.pinned, self.pins_name)

    @functools.cached_property
    def tag(self) -> str:
        """docker-course/sandbox-engine-<major>:<hash of the Dockerfile, entrypoint and daemon.json>, as
        the files were when first asked (a run keeps one engine while the files are edited)."""
        sources = {"sandbox-entrypoint.sh": ENTRYPOINT, "sandbox-daemon.json": DAEMON_CONFIG}
        return content_tag(f"docker-course/sandbox-engine-{self.major}", self.dockerfile, sources)

    def versions(self) -> dict[str, str]:
        """The docker engine's, buildx's and compose's versions in the image (Debian's, as pinned)."""
        return {name: self.pinned[package] for name, package in _VERSIONED.items()}

    def description(self) -> str:
        """What the image is made of, for its recipe label."""
        packages = ", ".join(f"{package}={version}" for package, version in self.pinned.items())
        return (
            f"{packages}, ca-certificates from the Debian archive on {self.base}; probes from "
            f"busybox-static {system.package_version('busybox-static')}"
        )

    def build(self, client: docker.DockerClient, tag: str = "") -> None:
        """Build the image on its Debian root, as `tag` (its own unless told)."""
        files = {
            "busybox": (busybox.HOST_BUSYBOX, 0o755),
            "sandbox-entrypoint.sh": (ENTRYPOINT, 0o755),
            "sandbox-daemon.json": (DAEMON_CONFIG, 0o644),
        }
        tag = tag or self.tag
        build_dockerfile(client, tag, self.dockerfile, files, self.description())
        drop_other_versions(client, tag)

    def recipe(self) -> Recipe:
        return Recipe(self.tag, PACKAGES, self.build, needs=(self.base,), pullable=False)


@dataclass(frozen=True)
class SourceEngine:
    """An engine no Debian suite serves yet: the image of `over` with dockerd, docker-proxy and the docker
    CLI `version` built from moby's and docker/cli's sources (benchmarks/engine29/build.sh). Its tag
    carries `over`'s hash, so a change to the recipe asks for it to be laid over again."""

    major: str
    version: str
    over: Engine

    @property
    def tag(self) -> str:
        return f"docker-course/sandbox-engine-{self.major}:{self.over.tag.rsplit(':', 1)[1]}"

    def versions(self) -> dict[str, str]:
        return {**self.over.versions(), "docker": self.version}


_VERSIONED = {"docker": "docker.io", "buildx": "docker-buildx", "compose": "docker-compose"}
TRIXIE = Engine("26", trixie.NAME, PINNED, "PINNED")
SID = Engine("28", sid.NAME, SID_PINNED, "SID_PINNED")
ENGINES = {engine.major: engine for engine in (TRIXIE, SID)}
FROM_SOURCE = SourceEngine("29", "29.7.2", SID)
BUILD_29 = "benchmarks/engine29/build.sh MOBY_GIT_DIR CLI_GIT_DIR"
MEASURED: dict[str, Engine | SourceEngine] = {**ENGINES, FROM_SOURCE.major: FROM_SOURCE}
"""Every engine sandboxes may run, by major version: those `grader images prepare` makes, and 29."""

DOCKERFILE = TRIXIE.dockerfile
TAG = NAME = TRIXIE.tag  # the grading engine's image (26.1), whatever GRADER_SANDBOX_ENGINE says
RECIPE = TRIXIE.recipe()
versions = TRIXIE.versions
description = TRIXIE.description


def build(client: docker.DockerClient, tag: str = TAG) -> None:
    """Build the sandbox engine image (26.1) on docker-course/trixie:slim."""
    TRIXIE.build(client, tag)


class UnknownEngine(InputError, ValueError):
    """GRADER_SANDBOX_ENGINE names no engine."""


def chosen(environ: dict[str, str] | None = None) -> str:
    """The image sandboxes run: GRADER_SANDBOX_ENGINE's engine (26, 28, 29) or image, else 26.1's."""
    value = (os.environ if environ is None else environ).get(VARIABLE, "").strip()
    if not value:
        return TAG
    if value in MEASURED:
        return MEASURED[value].tag
    if ":" in value or "/" in value:
        return value
    raise UnknownEngine(
        f"{VARIABLE}={value!r} names no sandbox engine: use one of {', '.join(MEASURED)} or an image name."
    )


def _engine_of(image: str) -> Engine | SourceEngine | None:
    """The engine whose image `image` is, by its repository's last part (`.../sandbox-engine-28:...`)."""
    repository = image.rsplit(":", 1)[0].rsplit("/", 1)[-1]
    found = [engine for engine in MEASURED.values() if repository == f"sandbox-engine-{engine.major}"]
    return found[0] if found else None


def versions_of(image: str) -> dict[str, str]:
    """The pinned versions of the engine whose image `image` is; none for an image of another name."""
    found = _engine_of(image)
    return found.versions() if found else {}


def prepare_command(image: str) -> str:
    """The command that builds `image`, when it is missing: 28's is not among the images prepared, 29's
    needs the sources of moby and the docker CLI."""
    found = _engine_of(image)
    if found is FROM_SOURCE:
        return f"grader images prepare --engine 28 && {BUILD_29}"
    return "grader images prepare" + (f" --engine {found.major}" if found not in (None, TRIXIE) else "")
