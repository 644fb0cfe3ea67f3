"""Checks for ports.echo-server: a busybox relay from TCP port 45678 to TCP port 45679.

The relay is checked by what it does, from outside, as a student would try it with two
`nc` clients: the grader connects a receiver to the host port where 45679 is published,
then sends a random token to the host port where 45678 is published, and waits for the
token to come out of the receiver's connection.

A published port can accept a connection that leads nowhere: Docker's userland proxy
(on the student's machine, through 127.0.0.1) accepts first and closes when nothing in
the container listens; a relay in a loop is briefly not listening between two rounds.
So each try connects afresh and the whole exchange is retried until a deadline.
"""

from __future__ import annotations

import contextlib
import secrets
import select
import socket
import time
from dataclasses import dataclass, field

from docker.models.containers import Container

from grader.checks.toolkit import Environment, check, runs_image, wait_until

NAME = "echo-server"
SEND, RECEIVE = 45678, 45679
FORWARD_WAIT_S = 10.0  # all tries together
TRY_S = 3.0  # one try: how long the receiver waits for the token
SETTLE_S = 0.3  # after the receiver connects: a connection leading nowhere is closed by then
CONNECT_S = 2.0


@dataclass
class Tries:
    """What the tries of the relay check saw, to explain a failure."""

    count: int = 0
    receiver_refused: int = 0
    receiver_closed: int = 0
    sender_refused: int = 0
    received: bytes = b""
    errors: list[str] = field(default_factory=list)


def _published_tcp(container: Container) -> dict[str, str]:
    """Each published port of the container (`45678/tcp`) and its host port."""
    ports = container.attrs["NetworkSettings"].get("Ports") or {}
    return {port: bindings[0]["HostPort"] for port, bindings in ports.items() if bindings}


def _shown(published: dict[str, str]) -> str:
    if not published:
        return "it publishes no port"
    each = [f"{port} on host port {host}" for port, host in sorted(published.items())]
    return f"it publishes {', '.join(each)}"


def _read_for(sock: socket.socket, seconds: float) -> bytes | None:
    """What `sock` sends within `seconds`: bytes, b"" if it closed, None if nothing came."""
    ready, _, _ = select.select([sock], [], [], max(seconds, 0))
    if not ready:
        return None
    try:
        return sock.recv(4096)
    except OSError:
        return b""


def _try_relay(address: str, send_port: int, receive_port: int, token: bytes, tries: Tries) -> bool:
    """One try: connect a receiver, send `token` from a sender; whether the receiver got it."""
    tries.count += 1
    with contextlib.ExitStack() as stack:
        try:
            receiver = stack.enter_context(socket.create_connection((address, receive_port), CONNECT_S))
        except OSError:
            tries.receiver_refused += 1
            return False
        received = _read_for(receiver, SETTLE_S)
        if received == b"":
            tries.receiver_closed += 1
            return False
        buffer = received or b""
        try:
            sender = stack.enter_context(socket.create_connection((address, send_port), CONNECT_S))
            sender.sendall(token + b"\n")
            sender.shutdown(socket.SHUT_WR)
        except OSError:
            tries.sender_refused += 1
            return False
        deadline = time.monotonic() + TRY_S
        while token not in buffer:
            received = _read_for(receiver, deadline - time.monotonic())
            if not received:  # closed, or the try's time is up
                break
            buffer += received
        if buffer.strip():
            tries.received = buffer
        return token in buffer


def _what_went_wrong(tries: Tries, send_port: int, receive_port: int) -> str:
    sent, receiving = f"port {SEND} (host port {send_port})", f"port {RECEIVE} (host port {receive_port})"
    if tries.received:
        text = tries.received.decode("utf-8", "replace").strip()[:200]
        return f"a client of {receiving} got '{text}' but never the token sent to {sent}"
    if tries.receiver_refused == tries.count:
        return f"every connection to {receiving} was refused: nothing listens there"
    if tries.receiver_closed + tries.receiver_refused == tries.count:
        return (
            f"every connection to {receiving} was closed at once, before a token could be sent to "
            f"{SEND}: nothing in the container listens on {RECEIVE}, or what listens there sends nothing"
        )
    if tries.sender_refused:
        return f"connections to {sent} were refused: nothing in the container listens on {SEND}"
    return (
        f"in {tries.count} tries over {FORWARD_WAIT_S:g} s, a token sent to {sent} never arrived "
        f"at a client connected to {receiving}"
    )


@check(
    points=2,
    expected=f"A container named {NAME}, of busybox, is running.",
    hint="Run it detached (`docker run -d --name echo-server ... busybox COMMAND`) with a command "
    "that keeps going. busybox's nc listens with `nc -l -p PORT` (`nc -l PORT` is another "
    "netcat's syntax: busybox takes PORT for an address and stops).",
    reproduce="docker ps -a --filter name=echo-server ; docker logs echo-server",
)
def test_running(env: Environment) -> None:
    runs_image(env.running(NAME), env.base("busybox:latest"), name="busybox")


@check(
    points=3,
    expected=f"{NAME} publishes its TCP ports {SEND} and {RECEIVE} on the host (any host ports).",
    hint="Publish each port with `-p HOST_PORT:CONTAINER_PORT` (TCP unless you add `/udp`); "
    "`-p 45678` alone picks a free host port for you.",
    reproduce="docker port echo-server",
)
def test_ports_published(env: Environment) -> None:
    published = _published_tcp(env.running(NAME))
    missing = [f"{port}/tcp" for port in (SEND, RECEIVE) if f"{port}/tcp" not in published]
    assert not missing, f"{NAME} does not publish {' and '.join(missing)}; {_shown(published)}"


@check(
    points=5,
    expected=f"What a client sends to port {SEND} arrives at a client connected to port {RECEIVE}.",
    hint="Chain two listeners, in this order: `nc -l -p 45678 | nc -l -p 45679` passes what the "
    "first receives to the client of the second. Each nc serves one connection and ends; wrap the pair in "
    "`while true; do ...; done` to serve again.",
    reproduce="nc localhost HOST_PORT_OF_45679   # in one terminal; then in another:\n"
    "echo hello | nc localhost HOST_PORT_OF_45678",
)
def test_forwards_to_the_other_port(env: Environment) -> None:
    send_port, receive_port = env.published(NAME, SEND), env.published(NAME, RECEIVE)
    token = f"meow-{secrets.token_hex(8)}".encode()
    tries = Tries()

    def arrived() -> bool:
        return _try_relay(env.address, send_port, receive_port, token, tries)

    assert wait_until(arrived, timeout_s=FORWARD_WAIT_S, interval_s=0.3), _what_went_wrong(
        tries, send_port, receive_port
    )
