"""debian:bookworm-slim: a minbase debootstrap from the host's mirror, slimmed and imported.

The same steps make other suites' roots (trixie.py) under names of their own.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import docker
import docker.errors

from grader.host import system
from grader.host.baseimages.recipe import DATA, BuildFailed, Recipe, built_locally
from grader.text import last_lines

NAME = "debian:bookworm-slim"
SUITE = system.SUITE
PACKAGES = ("debootstrap", "debian-archive-keyring")
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
OVERLAY = DATA / "debian"  # apt and dpkg settings of the official slim images
SLIM_RULES = OVERLAY / "etc/dpkg/dpkg.cfg.d/docker-slim"
DEBOOTSTRAP_TIMEOUT_S = 1200
EMPTIED = ("etc/hostname", "etc/resolv.conf")  # the host's, copied by debootstrap
APT_CONF = "etc/apt/apt.conf.d/50docker-course"  # settings a recipe gives the image's apt
CACHES = ("var/lib/apt/lists", "var/cache/apt", "var/log")


def description(mirror: str, suite: str = SUITE) -> str:
    """How the image was made, for its recipe label."""
    version = system.package_version("debootstrap")
    return f"debootstrap {version} --variant=minbase {suite} from {mirror}"


def build(
    client: docker.DockerClient, tag: str = NAME, suite: str = SUITE, security: str = "", apt_conf: str = ""
) -> None:
    """Bootstrap Debian `suite` into a temporary folder, slim it and import it as `tag`; apt in it
    also reads `suite`-security from `security` when given, and the settings `apt_conf` when given."""
    mirror = system.apt_mirror(suite=suite)
    sources = f"deb {mirror} {suite} main\n" + (f"deb {security} {suite}-security main\n" if security else "")
    with tempfile.TemporaryDirectory(prefix="debian-rootfs-", ignore_cleanup_errors=True) as tmp:
        rootfs = Path(tmp) / "rootfs"
        try:
            debootstrap(rootfs, mirror, suite)
        finally:
            _unmount_below(rootfs)
        slim(rootfs)
        configure(rootfs, sources, apt_conf)
        recipe = description(mirror, suite) + (f" (apt also reads {suite}-security)" if security else "")
        recipe += f" (apt settings: {apt_conf.strip()})" if apt_conf else ""
        _import(client, _tar(rootfs, Path(tmp) / "rootfs.tar"), tag, recipe)


def debootstrap(rootfs: Path, mirror: str, suite: str = SUITE) -> None:
    """A minimal Debian `suite` system in `rootfs`."""
    command = ["debootstrap", "--variant=minbase", f"--keyring={KEYRING}", suite, str(rootfs)]
    done = _run([*command, mirror], DEBOOTSTRAP_TIMEOUT_S)
    if done.returncode != 0:
        log = rootfs / "debootstrap" / "debootstrap.log"
        details = log.read_text(errors="replace") if log.exists() else done.stdout
        raise BuildFailed(
            f"debootstrap of Debian {suite} from {mirror} failed (exit {done.returncode}):\n"
            f"{last_lines(details, 12)}\nCheck that the mirror answers (apt-get update), "
            f"or set {system.MIRROR_ENV} to another Debian mirror."
        )


def _run(command: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as error:
        raise BuildFailed(f"`{' '.join(command)}` did not finish within {timeout_s} s.") from error


def _unmount_below(rootfs: Path) -> None:
    """Unmount what a failed debootstrap may have left mounted in `rootfs` (deepest first)."""
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    points = [line.split()[1] for line in mounts]
    inside = [p for p in points if p == str(rootfs) or p.startswith(f"{rootfs}/")]
    for point in sorted(inside, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def slim(rootfs: Path) -> None:
    """Remove apt caches, logs, documentation and translations (keeping licenses)."""
    for relative in CACHES:
        for path in (rootfs / relative).rglob("*"):
            if path.is_file() or path.is_symlink():
                path.unlink()
    for path in excluded_files(rootfs, _rules(SLIM_RULES.read_text())):
        path.unlink()
    for relative in EMPTIED:
        (rootfs / relative).write_text("")


def _rules(text: str) -> list[tuple[str, str]]:
    """(path-exclude|path-include, pattern) pairs of a dpkg configuration file."""
    words = [line.split() for line in text.splitlines() if not line.startswith("#")]
    return [(w[0], w[1]) for w in words if len(w) == 2 and w[0].startswith("path-")]


def excluded_files(rootfs: Path, rules: list[tuple[str, str]]) -> Iterator[Path]:
    """Files in `rootfs` that dpkg would not install under these path-exclude/include rules."""
    excludes = [pattern for kind, pattern in rules if kind == "path-exclude"]
    includes = [pattern for kind, pattern in rules if kind == "path-include"]
    for pattern in excludes:
        top = rootfs / pattern.split("*", 1)[0].strip("/")
        for path in top.rglob("*") if top.is_dir() else ():
            inner = "/" + str(path.relative_to(rootfs))
            if path.is_dir() and not path.is_symlink():
                continue
            if fnmatch.fnmatchcase(inner, pattern) and not _matches(inner, includes):
                yield path


def _matches(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)


def configure(rootfs: Path, sources: str, apt_conf: str = "") -> None:
    """Apply the slim images' apt/dpkg settings and give apt `sources` (a sources.list) and the
    settings `apt_conf` (an apt.conf.d file) when given."""
    shutil.copytree(OVERLAY, rootfs, dirs_exist_ok=True)
    os.chmod(rootfs / "usr/sbin/policy-rc.d", 0o755)
    (rootfs / "etc/apt/sources.list").write_text(sources)
    if apt_conf:
        (rootfs / APT_CONF).write_text(apt_conf)


def _tar(rootfs: Path, archive: Path) -> Path:
    done = _run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(archive), "."], 600)
    if done.returncode != 0:
        raise BuildFailed(f"Packing {rootfs} failed: {last_lines(done.stderr)}")
    return archive


def _import(client: docker.DockerClient, archive: Path, tag: str, recipe: str) -> None:
    repository, _, version = tag.rpartition(":")
    label_args = " ".join(f"{k}={json.dumps(v)}" for k, v in built_locally(recipe).items())
    changes = ['CMD ["bash"]', f"LABEL {label_args}"]
    try:
        client.api.import_image(str(archive), repository=repository, tag=version, changes=changes)
    except docker.errors.APIError as error:
        raise BuildFailed(f"Importing the Debian root filesystem as {tag} failed: {error}") from error


RECIPE = Recipe(NAME, PACKAGES, build)


def with_packages(packages: Sequence[str], base: str = NAME, check: str = "") -> str:
    """A Dockerfile's first lines: `base` (this image unless told) with `packages` installed from the
    Debian archive, after `check` (shell commands, run once apt knows the archive) when given."""
    return (
        f"FROM {base}\n"
        "RUN apt-get update \\\n"
        + (f" && {check} \\\n" if check else "")
        + " && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\\n"
        f"    {' '.join(packages)} \\\n"
        " && rm -rf /var/lib/apt/lists/*\n"
    )
