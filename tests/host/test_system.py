"""The host system helpers: os-release, apt sources and Debian packages."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from grader.host import system

DEB822 = """\
# a comment
Types: deb deb-src
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main

Types: deb
Enabled: no
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
"""


def write_apt(tmp_path: Path, sources_list: str = "", **parts: str) -> Path:
    """An /etc/apt lookalike: sources.list plus sources.list.d/<name> files."""
    (tmp_path / "sources.list.d").mkdir(parents=True)
    (tmp_path / "sources.list").write_text(sources_list)
    for name, text in parts.items():
        (tmp_path / "sources.list.d" / name.replace("_", ".")).write_text(text)
    return tmp_path


def test_os_release_reads_quoted_values(tmp_path: Path) -> None:
    release = tmp_path / "os-release"
    release.write_text('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n# comment\nEMPTY=\n')
    fields = system.os_release([tmp_path / "missing", release])
    assert fields == {"NAME": "Ubuntu", "ID": "ubuntu", "ID_LIKE": "debian", "EMPTY": ""}


@pytest.mark.parametrize(
    ("release", "expected"),
    [
        ({"ID": "debian"}, True),
        ({"ID": "ubuntu", "ID_LIKE": "debian"}, True),
        ({"ID": "linuxmint", "ID_LIKE": "ubuntu debian"}, True),
        ({"ID": "fedora"}, False),
        ({}, False),
    ],
)
def test_is_debian_like(release: dict[str, str], expected: bool) -> None:
    assert system.is_debian_like(release) is expected


def test_parse_deb822_skips_disabled_stanzas_and_other_types() -> None:
    sources = system.parse_deb822(DEB822)
    assert [s.uri for s in sources] == [
        "http://mirror.example/debian",
        "http://security.example/debian-security",
    ]
    assert sources[0].suites == ("bookworm", "bookworm-updates")
    assert sources[0].components == ("main", "contrib")


def test_parse_deb822_joins_continuation_lines() -> None:
    text = "Types: deb\nURIs: http://a.example/debian\nSuites: bookworm\n bookworm-updates\n"
    text += "Components: main\n"
    (source,) = system.parse_deb822(text)
    assert source.suites == ("bookworm", "bookworm-updates")


def test_parse_one_line_handles_options_and_comments() -> None:
    text = (
        "# deb http://commented.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://a.example/debian bookworm main contrib\n"
        "deb-src http://a.example/debian bookworm main\n"
        "deb http://b.example/debian bookworm-updates main # trailing comment\n"
    )
    sources = system.parse_one_line(text)
    assert sources == [
        system.AptSource("http://a.example/debian", ("bookworm",), ("main", "contrib")),
        system.AptSource("http://b.example/debian", ("bookworm-updates",), ("main",)),
    ]


def test_apt_mirror_prefers_the_bookworm_main_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(system.MIRROR_ENV, raising=False)
    apt = write_apt(
        tmp_path,
        "deb http://other.example/debian trixie main\n",
        debian_sources=DEB822,
        extra_list="deb https://packages.example/apt cloud-sdk main\n",
    )
    assert system.apt_mirror(apt) == "http://mirror.example/debian"


def test_apt_mirror_falls_back_to_a_debian_archive_of_another_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(system.MIRROR_ENV, raising=False)
    apt = write_apt(tmp_path, "deb http://other.example/debian/ trixie main\n")
    assert system.apt_mirror(apt) == "http://other.example/debian"


def test_apt_mirror_on_an_ubuntu_host_says_how_to_set_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(system.MIRROR_ENV, raising=False)
    apt = write_apt(tmp_path, "deb http://archive.ubuntu.com/ubuntu noble main universe\n")
    with pytest.raises(system.NoDebianMirror, match=system.MIRROR_ENV):
        system.apt_mirror(apt)


def test_the_environment_overrides_the_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(system.MIRROR_ENV, "http://local.example/debian/")
    assert system.apt_mirror(write_apt(tmp_path)) == "http://local.example/debian"


def test_missing_packages_asks_dpkg() -> None:
    assert system.missing_packages("dpkg", "no-such-package-for-grader") == ["no-such-package-for-grader"]


class FakeApt:
    """Stands in for subprocess.run: records commands, dpkg-query says `installed`."""

    def __init__(self, installed: set[str]) -> None:
        self.installed = installed
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        if command[0] == "dpkg-query":
            names = command[4:]
            out = "".join(f"{n} ii \n" for n in names if n in self.installed)
            return subprocess.CompletedProcess(command, 0, out, "")
        if command[:2] == ["apt-get", "install"]:
            self.installed.update(command[4:])
        return subprocess.CompletedProcess(command, 0, "", "")


@pytest.fixture
def fake_apt(monkeypatch: pytest.MonkeyPatch) -> FakeApt:
    apt = FakeApt({"dpkg"})
    monkeypatch.setattr(system.subprocess, "run", apt)
    monkeypatch.setattr(system, "is_debian_like", lambda release=None: True)
    system._apt_update.cache_clear()
    return apt


def test_ensure_packages_does_nothing_when_all_are_installed(fake_apt: FakeApt) -> None:
    system.ensure_packages("dpkg")
    assert [c[0] for c in fake_apt.commands] == ["dpkg-query"]


def test_ensure_packages_updates_apt_once_per_process(
    fake_apt: FakeApt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(system, "is_root", lambda: True)
    system.ensure_packages("busybox-static")
    system.ensure_packages("debootstrap")
    apt = [c for c in fake_apt.commands if c[0] == "apt-get"]
    assert apt == [
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "busybox-static"],
        ["apt-get", "install", "-y", "--no-install-recommends", "debootstrap"],
    ]


def test_ensure_packages_as_a_user_names_the_command(
    fake_apt: FakeApt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(system, "is_root", lambda: False)
    with pytest.raises(system.MissingPackages) as error:
        system.ensure_packages("busybox-static", "dpkg")
    assert "sudo apt-get install -y --no-install-recommends busybox-static" in str(error.value)
    assert not [c for c in fake_apt.commands if c[0] == "apt-get"]


def test_ensure_packages_reports_apt_failures(fake_apt: FakeApt, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(system, "is_root", lambda: True)

    def failing(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        if command[0] == "apt-get":
            return subprocess.CompletedProcess(command, 100, "", "E: Unable to locate package")
        return fake_apt(command)

    monkeypatch.setattr(system.subprocess, "run", failing)
    with pytest.raises(system.MissingPackages, match="Unable to locate package"):
        system.ensure_packages("no-such-package")


def test_apt_setting_reads_the_hosts_apt_configuration() -> None:
    assert system.apt_setting("Dir::Etc") == "etc/apt"  # apt's built-in default
    assert system.apt_setting("Grader::Never::Set") == ""
