"""The host system: which OS it is, its Debian packages and its apt mirror."""

from __future__ import annotations

import functools
import os
import shlex
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.errors import SetupError
from grader.text import last_lines

OS_RELEASE_FILES = (Path("/etc/os-release"), Path("/usr/lib/os-release"))
APT_DIR = Path("/etc/apt")
MIRROR_ENV = "GRADER_DEBIAN_MIRROR"
SUITE = "bookworm"


class MissingPackages(SetupError, RuntimeError):
    """Debian packages the grader needs are not installed and cannot be installed now."""


class NoDebianMirror(SetupError, RuntimeError):
    """No Debian mirror for the suite the base images use is configured on this host."""


@dataclass(frozen=True)
class AptSource:
    """One apt source entry: one URI with its suites and components."""

    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


def os_release(files: Iterable[Path] = OS_RELEASE_FILES) -> dict[str, str]:
    """The fields of the host's os-release file (empty when there is none)."""
    for path in files:
        if path.is_file():
            return _parse_os_release(path.read_text())
    return {}


def _parse_os_release(text: str) -> dict[str, str]:
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            fields[key.strip()] = " ".join(shlex.split(value)) if value.strip() else ""
    return fields


def is_debian_like(release: dict[str, str] | None = None) -> bool:
    """Whether the host is Debian or derived from it (Ubuntu, Mint...)."""
    release = os_release() if release is None else release
    ids = [release.get("ID", ""), *release.get("ID_LIKE", "").split()]
    return "debian" in ids


def is_root() -> bool:
    return os.geteuid() == 0


def missing_packages(*names: str) -> list[str]:
    """The packages among `names` that dpkg does not list as installed."""
    if not names:
        return []
    query = ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\\n", *names]
    try:
        output = subprocess.run(query, capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:
        return list(names)
    installed = {line.split()[0] for line in output.splitlines() if line.split()[1:2] == ["ii"]}
    return [name for name in names if name not in installed]


def package_version(name: str) -> str | None:
    """The installed version of Debian package `name`, or None."""
    query = ["dpkg-query", "-W", "-f", "${Version}", name]
    try:
        done = subprocess.run(query, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None
    version = done.stdout.strip()
    return version if done.returncode == 0 and version else None


def ensure_packages(*names: str) -> None:
    """Install the missing ones among Debian packages `names`, or say how to."""
    missing = missing_packages(*names)
    if not missing:
        return
    command = "apt-get install -y --no-install-recommends " + " ".join(missing)
    if not is_debian_like():
        raise MissingPackages(
            f"The grader needs {', '.join(missing)}, which this host cannot install with apt. "
            "Install the equivalent packages with your system's package manager."
        )
    if not is_root():
        raise MissingPackages(
            f"The grader needs the Debian packages {', '.join(missing)}. "
            f"Install them: sudo apt-get update && sudo {command}"
        )
    _apt_update()
    _run_apt(command.split(), f"Installing {', '.join(missing)} failed")


def apt_setting(name: str) -> str:
    """The value the host's apt configuration gives `name` (`apt-config`), empty when it sets none."""
    try:
        done = subprocess.run(["apt-config", "shell", "V", name], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return ""
    words = shlex.split(done.stdout.strip().removeprefix("V=")) if done.returncode == 0 else []
    return words[0] if words else ""


@functools.cache
def _apt_update() -> None:
    """`apt-get update`, once per process."""
    _run_apt(["apt-get", "update"], "apt-get update failed")


def _run_apt(command: list[str], failure: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise MissingPackages(
            f"{failure} (`{' '.join(command)}` exited {done.returncode}):\n"
            f"{last_lines(done.stdout + done.stderr)}\n"
            "Fix the apt error above, then run the command again."
        )


def apt_mirror(apt_dir: Path = APT_DIR, suite: str = SUITE) -> str:
    """The URI of the host's Debian mirror for `suite` (GRADER_DEBIAN_MIRROR overrides it)."""
    override = os.environ.get(MIRROR_ENV, "").strip()
    if override:
        return override.rstrip("/")
    best = max(apt_sources(apt_dir), key=lambda s: _mirror_rank(s, suite), default=None)
    if best is None or _mirror_rank(best, suite) == 0:
        raise NoDebianMirror(
            f"No Debian mirror with the '{suite}' suite is configured in {apt_dir}. "
            f"Set {MIRROR_ENV} to one, e.g. `export {MIRROR_ENV}=http://deb.debian.org/debian`, "
            "then run the command again."
        )
    return best.uri.rstrip("/")


def _mirror_rank(source: AptSource, suite: str) -> int:
    """2: has `suite` main; 1: a Debian archive with main (other suite); 0: unusable."""
    if "main" not in source.components or not source.uri.startswith(("http://", "https://")):
        return 0
    if suite in source.suites:
        return 2
    return 1 if source.uri.rstrip("/").endswith("/debian") else 0


def apt_sources(apt_dir: Path = APT_DIR) -> list[AptSource]:
    """Every enabled `deb` entry of the host's apt configuration."""
    sources = []
    one_line = [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*.list"))]
    for path in one_line:
        if path.is_file():
            sources += parse_one_line(path.read_text())
    for path in sorted((apt_dir / "sources.list.d").glob("*.sources")):
        sources += parse_deb822(path.read_text())
    return sources


def parse_one_line(text: str) -> list[AptSource]:
    """The `deb` entries of a one-line-style sources.list."""
    sources = []
    for line in text.splitlines():
        words = _strip_options(line.split("#", 1)[0].split())
        if len(words) >= 3 and words[0] == "deb":
            sources.append(AptSource(words[1], (words[2],), tuple(words[3:])))
    return sources


def _strip_options(words: list[str]) -> list[str]:
    """`deb [arch=amd64 signed-by=...] uri ...` without the bracketed options."""
    if len(words) < 2 or not words[1].startswith("["):
        return words
    end = next((i for i, word in enumerate(words) if word.endswith("]")), len(words) - 1)
    return words[:1] + words[end + 1 :]


def parse_deb822(text: str) -> list[AptSource]:
    """The enabled `deb` entries of a deb822-style .sources file."""
    sources = []
    for stanza in _deb822_stanzas(text):
        if "deb" not in stanza.get("types", "").split():
            continue
        if stanza.get("enabled", "yes").lower() == "no":
            continue
        suites = tuple(stanza.get("suites", "").split())
        components = tuple(stanza.get("components", "").split())
        sources += [AptSource(uri, suites, components) for uri in stanza.get("uris", "").split()]
    return sources


def _deb822_stanzas(text: str) -> Iterator[dict[str, str]]:
    """Paragraphs of a deb822 file as {lower-case field: value}."""
    stanza: dict[str, str] = {}
    key = ""
    for line in [*text.splitlines(), ""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if stanza:
                yield stanza
            stanza, key = {}, ""
        elif line[0].isspace() and key:
            stanza[key] += " " + line.strip()
        else:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            stanza[key] = value.strip()
