"""Checks for dockerfiles.webserver: busybox httpd on port 8080, as a non-root user.

`host` is one container of the student's image, started the way the image says. Nothing
the image ships answers a check: its sockets and its server are asked from a lookout beside it
(the grader's busybox, in the container's network namespace: `host.socket`, `host.net`, on
127.0.0.1, so the container needs no network), and its user is the engine's.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from grader.checks.toolkit import GraderHost, ImageInfo, check, wait_until
from grader.text import shorten

PORT = 8080
WELCOME = "Welcome to my container"
WORKDIR = "/srv/www"
START_S = 10  # how long the server may take to start listening


STOPPED = "the container stopped soon after it started (its main process ended)"


def _stopped(error: Exception) -> bool:
    return "not running" in str(error)


def _ask(host: Any, command: str) -> Any:
    """host.run(command), failing the check in plain words if the container has stopped."""
    try:
        return host.run(command)
    except Exception as error:
        if _stopped(error):
            raise AssertionError(STOPPED) from None
        raise


@pytest.fixture(scope="module")
def server(host: GraderHost) -> str:
    """Why the server is not ready ("" when port 8080 listens); waited for once, shared."""
    state = {"listening": False, "stopped": False}

    def settled() -> bool:
        try:
            state["listening"] = bool(host.socket(f"tcp://0.0.0.0:{PORT}").is_listening)
        except Exception as error:  # no socket table yet counts as not listening
            state["stopped"] = _stopped(error)
        return state["listening"] or state["stopped"]

    wait_until(settled, timeout_s=START_S, interval_s=0.2)
    if state["listening"]:
        return ""
    if state["stopped"]:
        return STOPPED
    return f"nothing listened on port {PORT} within {START_S} s; listening: {_other_ports(host)}"


def _other_ports(host: GraderHost) -> str:
    try:
        sockets = [s for s in host.socket.get_listening_sockets() if s.startswith("tcp")]
    except Exception:
        return "nothing"
    return ", ".join(sorted(sockets)) or "nothing"


@check(
    points=2,
    expected=f"Started with no arguments, the container listens on port {PORT}.",
    hint="Start the server in the foreground on the right port: "
    f'CMD ["httpd", "-f", "-p", "{PORT}"]. '
    "Without -f, httpd moves to the background, the main process ends, and the container stops.",
    reproduce=f"docker build -t web . && docker run --rm -p {PORT}:{PORT} web",
)
def test_listens_on_8080(server: str) -> None:
    assert not server, server


@check(
    points=3,
    expected=f"GET / on port {PORT} answers 200 OK with a page containing `{WELCOME}`.",
    hint=f"Put an index.html with the words `{WELCOME}` in {WORKDIR} (COPY it there). "
    "httpd serves the folder it starts in, which is the WORKDIR.",
    reproduce=f"docker run --rm -d -p {PORT}:{PORT} --name web web && "
    f"curl -i http://localhost:{PORT}/ ; docker rm -f web",
)
def test_serves_welcome_page(host: GraderHost, server: str) -> None:
    assert not server, f"there was no page to get: {server}"
    url = f"http://127.0.0.1:{PORT}/"
    headers = _ask(host.net, f"wget -q -S -O /dev/null {url} 2>&1").stdout
    status = re.search(r"HTTP/\S+\s+(\d{3}[^\r\n]*)", headers)
    assert status, f"the server did not answer with HTTP: {shorten(headers, 200)!r}"
    assert status.group(1).startswith("200"), f"the server answered {status.group(1).strip()!r}"
    page = _ask(host.net, f"wget -q -O- {url}").stdout
    text = _text(page)
    assert WELCOME in page or WELCOME in text, (
        f"the page does not contain {WELCOME!r}; its text is {shorten(text, 160) or 'empty'!r}"
    )


def _text(html: str) -> str:
    """The words of a page without its tags, on one line."""
    return " ".join(re.sub(r"<[^>]*>", " ", html).split())


@check(
    points=1,
    expected=f"The image declares EXPOSE {PORT}.",
    hint=f"Add `EXPOSE {PORT}`. It documents the port; `-p {PORT}:{PORT}` belongs to "
    f"`docker run`, and `EXPOSE {PORT}:{PORT}` is not valid in a Dockerfile.",
    reproduce="docker image inspect --format '{{json .Config.ExposedPorts}}' web",
)
def test_exposes_8080(image: ImageInfo) -> None:
    ports = sorted(image.exposed_ports)
    assert f"{PORT}/tcp" in image.exposed_ports, (
        f"it exposes {', '.join(ports)}" if ports else "it exposes no port"
    )


@check(
    points=2,
    expected="The container's main process runs as a user that is not root.",
    hint="Add a user (busybox has no adduser: "
    "RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && "
    "echo 'app:x:1000:' >> /etc/group) and switch to it with `USER app` before CMD.",
    reproduce="docker run --rm -d --name web web && docker exec web id && "
    "docker exec web grep Uid /proc/1/status ; docker rm -f web",
)
def test_runs_as_non_root(host: GraderHost) -> None:
    try:
        uid, name = host.main_user()
    except Exception as error:
        if _stopped(error):
            raise AssertionError(STOPPED) from None
        raise
    who = "root" if name in ("root", "0") else f"{name}, which is root"
    assert uid != 0, f"its main process runs as {who} (uid 0)"


@check(
    points=1,
    expected=f"The image's WORKDIR is {WORKDIR}.",
    hint=f"Add `WORKDIR {WORKDIR}`; it creates the folder and makes it the current one.",
    reproduce="docker image inspect --format '{{.Config.WorkingDir}}' web",
)
def test_workdir(image: ImageInfo) -> None:
    workdir = image.workdir.rstrip("/") or image.workdir
    found = f"its WORKDIR is {image.workdir!r}" if image.workdir else "it sets no WORKDIR"
    assert workdir == WORKDIR, found


@check(
    points=1,
    expected="The image sets the environment variable SITE_NAME=course.",
    hint="Add `ENV SITE_NAME=course` (no spaces around =, all lower case).",
    reproduce="docker run --rm web env",
)
def test_site_name_env(image: ImageInfo) -> None:
    assert "SITE_NAME" in image.env, "the image does not set SITE_NAME"
    assert image.env["SITE_NAME"] == "course", f"SITE_NAME is {image.env['SITE_NAME']!r}"
