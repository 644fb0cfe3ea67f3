"""The sandbox's port 53: an offline sandbox's engine asks its own loopback for names there, so no published
port may take it (a container answering there would answer the engine's and BuildKit's lookups)."""

from __future__ import annotations

import pytest

from tests.sandbox.guard.test_policy import CREATE, ask, run

pytestmark = pytest.mark.hostile


def published(host_port: str, *, host_ip: str = "", port: str = "53/udp") -> bytes:
    """`docker run -p [host_ip:]host_port:port busybox`, as the CLI sends it."""
    return run(PortBindings={port: [{"HostIp": host_ip, "HostPort": host_port}]})


TAKES_53 = "takes the sandbox's port 53, where its engine asks for names"
NOT_A_PORT = "a host port is a number or a range"
REFUSED = {
    "docker run -p 53:53/udp": (published("53"), TAKES_53),
    "docker run -p 127.0.0.1:53:53/udp": (published("53", host_ip="127.0.0.1"), TAKES_53),
    "docker run -p 127.0.0.1:53:53 (tcp)": (published("53", host_ip="127.0.0.1", port="53/tcp"), TAKES_53),
    "docker run -p 53:8053": (published("53", port="8053/tcp"), TAKES_53),
    "API: 053 (Go's ParseUint reads 53)": (published("053"), TAKES_53),
    "docker run -p 50-60:53/udp (the engine picks one)": (published("50-60"), TAKES_53),
    "docker run -p 53-53:53/udp": (published("53-53"), TAKES_53),
    "API: a range ending at 53": (published("1-53"), TAKES_53),
    "API: 53 after 5000 zeros (past Python's int, Go reads 53)": (published("0" * 5000 + "53"), TAKES_53),
    "API: a range to 53 after 5000 zeros": (published("1-" + "0" * 5000 + "53"), TAKES_53),
    "API: 53/udp as a host port": (published("53/udp"), NOT_A_PORT),
    "API: +53": (published("+53"), NOT_A_PORT),
    "API: 53 with a space": (published(" 53"), NOT_A_PORT),
    "API: three ends (Go reads 1-2 and drops the rest)": (published("1-2-53"), NOT_A_PORT),
    "API: Arabic-Indic digits": (published("\u0665\u0663"), NOT_A_PORT),
}


@pytest.mark.parametrize(("body", "named"), REFUSED.values(), ids=REFUSED.keys())
def test_publishing_on_the_sandboxs_port_53_is_refused(body: bytes, named: str) -> None:
    message = ask("POST", CREATE, body)
    assert message is not None and message.startswith("Refused: "), message
    assert named in message


ALLOWED = {
    "docker run -p 46053:53/udp": published("46053"),
    "docker run -p 53/udp (any host port)": published(""),
    "docker run -p 0:53/udp": published("0"),
    "docker run -p 127.0.0.1:54-60:80": published("54-60", host_ip="127.0.0.1", port="80/tcp"),
    "docker run -p 1-52:80": published("1-52", port="80/tcp"),
    "docker run -p 5353:5353/udp": published("5353", port="5353/udp"),
    "docker run -p 8080:80": published("8080", port="80/tcp"),
    "API: 5000 digits (the engine refuses it: no port)": published("9" * 5000, port="80/tcp"),
}


@pytest.mark.parametrize("body", ALLOWED.values(), ids=ALLOWED.keys())
def test_other_host_ports_are_allowed(body: bytes) -> None:
    assert ask("POST", CREATE, body) is None
