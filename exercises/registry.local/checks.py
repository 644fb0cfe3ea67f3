"""Checks for registry.local: a registry `registry` (registry:2) on host port 5000, restarted
always, holding mycompany/my-busybox:99 pushed from busybox.

The registry is asked over its HTTP API (the Docker Registry HTTP API V2) where the container
`registry` publishes its port 5000, as `curl http://localhost:5000/v2/...` asks it on the
engine's machine:

- published on all the host's addresses (`-p 5000:5000`), it is asked directly at
  (env.address, host port): 127.0.0.1 live, the sandbox's address when graded;
- published on one address only, such as loopback (`-p 127.0.0.1:5000:5000`, a good habit for
  a registry without logins), it counts as published on port 5000 as well, and is asked at
  that address. Live, that address is the grader's own machine's: it is asked directly. When
  graded, the sandbox's loopback (or any address of it but env.address) cannot be reached from
  the grader: the request is made by busybox's wget in a throwaway container on the sandbox
  engine's host network, which is the sandbox's own network, the one the script pushed from.
  That busybox is the one the grader loaded, by its ID: the script may have tagged an image of
  its own `busybox:latest`.

Only the registry's own answers count: what answers on the port of a container that does not
run registry:2 (by the ID the grader loaded it with, whatever the script tagged `registry:2`)
is not asked at all.

A registry needs a moment to start (and again after a restart): each request is retried until
an HTTP answer comes, for up to ANSWER_WAIT_S.

The tag is then pulled back through the engine, as `docker pull localhost:PORT/...` would, and
compared with busybox. The engine's names are left as they were: a tag the pull created is
removed again, a tag the pull moved is put back where it pointed, and a digest reference the
pull recorded (`localhost:5000/mycompany/my-busybox@sha256:...`) is removed.

"It is busybox": the image's configuration digest is busybox's image id. An engine that keeps
its images in containerd names an image by its manifest's digest instead; for those, the same
layers and the same command count as busybox.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

import docker.errors
from docker.models.containers import Container
from docker.models.images import Image

from grader.checks.lookout import run_beside
from grader.checks.toolkit import (
    BODY_LIMIT,
    Environment,
    NoAnswer,
    Reply,
    check,
    http_get,
    http_url,
    layers_of,
    runs_image,
    short_id,
    wait_until,
)
from grader.text import decode

NAME = "registry"
IMAGE = "registry:2"
PORT = 5000
REPOSITORY = "mycompany/my-busybox"
TAG = "99"
BASE = "busybox:latest"
ANSWER_WAIT_S = 20.0  # all tries of one request together

EVERYWHERE = ("", "0.0.0.0", "::")
JSON = "application/json"
LISTS = (
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)
MANIFESTS = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        *LISTS,
    )
)
_STATUS = re.compile(r"HTTP/[\d.]+ (\d{3})")


@dataclass(frozen=True)
class Endpoint:
    """Where the registry's port 5000 is published: a host address ("" for all) and a host port."""

    host_ip: str
    host_port: int

    @property
    def everywhere(self) -> bool:
        return self.host_ip in EVERYWHERE

    @property
    def shown(self) -> str:
        return f"host port {self.host_port}" + ("" if self.everywhere else f" of {self.host_ip}")


def _bindings(container: Container) -> list[dict[str, Any]]:
    ports = container.attrs["NetworkSettings"].get("Ports") or {}
    return ports.get(f"{PORT}/tcp") or []


def _published_ports(container: Container) -> str:
    ports = container.attrs["NetworkSettings"].get("Ports") or {}
    shown = sorted(key for key, value in ports.items() if value)
    return f"it publishes {', '.join(shown)}" if shown else "it publishes no port"


def _endpoint(env: Environment) -> Endpoint:
    """Where the running container `registry`, of registry:2, publishes its port 5000 (host port
    5000 first)."""
    container = env.running(NAME)
    try:
        runs_image(container, env.base(IMAGE), name=IMAGE)
    except AssertionError as other:
        raise AssertionError(f"{other}; what answers on its port is not the registry") from None
    bindings = _bindings(container)
    assert bindings, (
        f"{NAME} does not publish its port {PORT}/tcp, so the registry cannot be reached "
        f"({_published_ports(container)})"
    )

    def rank(binding: dict[str, Any]) -> tuple[bool, bool]:
        return binding.get("HostPort") != str(PORT), (binding.get("HostIp") or "") not in EVERYWHERE

    best = min(bindings, key=rank)
    return Endpoint(best.get("HostIp") or "", int(best["HostPort"]))


def _wget(env: Environment, endpoint: Endpoint, path: str, accept: str) -> Reply:
    """GET through busybox's wget, in a container on the engine's host network (sandbox only)."""
    url = http_url(endpoint.host_ip, endpoint.host_port, path)
    # No `-T SECONDS`: the course's busybox wget has no timeout option (and crashes on -T); the
    # container is killed at check_timeout_s instead.
    command = ["wget", "-S", "-q", "-O", "-", "--header", f"Accept: {accept}", url]
    exit_code, timed_out, body, errors = run_beside(
        env.client, env.base(BASE).id, command, network_mode="host", timeout_s=env.check_timeout_s
    )
    said = decode(errors)
    statuses = _STATUS.findall(said)
    if not statuses:
        lines = [line.strip() for line in said.splitlines() if line.strip()]
        if lines:
            raise NoAnswer(lines[-1].removeprefix("wget: "))
        if timed_out:
            raise NoAnswer(f"no answer within {env.check_timeout_s:g} s")
        raise NoAnswer(f"wget ended with exit code {exit_code}")
    return Reply(int(statuses[-1]), "", body[:BODY_LIMIT])


def _get(env: Environment, endpoint: Endpoint, path: str, accept: str = JSON) -> Reply:
    """The registry's answer to GET `path`, once it answers at all."""
    answers: list[Reply] = []
    errors: list[str] = []

    def answered() -> bool:
        try:
            if endpoint.everywhere or endpoint.host_ip == env.address or env.live:
                address = env.address if endpoint.everywhere else endpoint.host_ip
                url = http_url(address, endpoint.host_port, path)
                answers.append(http_get(url, accept, timeout_s=env.check_timeout_s))
            else:
                answers.append(_wget(env, endpoint, path, accept))
        except NoAnswer as error:
            errors.append(str(error))
            return False
        return True

    if not wait_until(answered, timeout_s=ANSWER_WAIT_S, interval_s=0.25):
        last = errors[-1] if errors else "no try finished"
        raise AssertionError(
            f"the registry did not answer HTTP on {endpoint.shown} within {ANSWER_WAIT_S:g} s "
            f"(the last try: {last})"
        )
    return answers[-1]


def _holding(env: Environment, endpoint: Endpoint) -> str:
    """Which repositories the registry holds, as a sentence ("" if it will not say)."""
    reply = _get(env, endpoint, "/v2/_catalog")
    if reply.status != 200:
        return ""
    names = reply.json("GET /v2/_catalog").get("repositories") or []
    return f"it holds {', '.join(sorted(names))}" if names else "it holds no repository at all"


def _command(config: dict[str, Any]) -> tuple[Any, Any]:
    return config.get("Entrypoint") or None, config.get("Cmd") or None


def _platform(entry: dict[str, Any]) -> tuple[Any, Any]:
    platform = entry.get("platform") or {}
    return platform.get("os"), platform.get("architecture")


def _manifest(env: Environment, endpoint: Endpoint, path: str) -> dict[str, Any]:
    reply = _get(env, endpoint, path, MANIFESTS)
    assert reply.status == 200, f"the registry answered GET {path} with HTTP status {reply.status}"
    return reply.json(f"GET {path}")


def _config_digest(env: Environment, endpoint: Endpoint, busybox: Image) -> str:
    """The configuration digest named by the registry's manifest of mycompany/my-busybox:99."""
    path = f"/v2/{REPOSITORY}/manifests/{TAG}"
    reply = _get(env, endpoint, path, MANIFESTS)
    assert reply.status != 404, f"the registry has no image {REPOSITORY}:{TAG}"
    assert reply.status == 200, f"the registry answered GET {path} with HTTP status {reply.status}"
    manifest = reply.json(f"GET {path}")
    if manifest.get("mediaType") in LISTS or "manifests" in manifest:  # several platforms
        entries = manifest.get("manifests") or []
        platform = (busybox.attrs.get("Os"), busybox.attrs.get("Architecture"))
        mine = [entry for entry in entries if _platform(entry) == platform]
        assert mine, f"the registry's {REPOSITORY}:{TAG} has no image for {'/'.join(map(str, platform))}"
        manifest = _manifest(env, endpoint, f"/v2/{REPOSITORY}/manifests/{mine[0].get('digest')}")
    digest = (manifest.get("config") or {}).get("digest")
    assert digest, f"the registry's manifest of {REPOSITORY}:{TAG} names no image configuration"
    return str(digest)


def _unlike_busybox(env: Environment, endpoint: Endpoint, digest: str, busybox: Image) -> str:
    """Why the configuration `digest` in the registry is not busybox's ("" if it is)."""
    if digest == busybox.id:
        return ""
    reply = _get(env, endpoint, f"/v2/{REPOSITORY}/blobs/{digest}", "*/*")
    config = reply.json(f"GET the configuration {short_id(digest)}") if reply.status == 200 else {}
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    same_command = _command(config.get("config") or {}) == _command(busybox.attrs.get("Config") or {})
    if diff_ids == layers_of(busybox) and same_command:
        return ""  # busybox, on an engine that names images by their manifest
    return (
        f"the image tagged {TAG} in the registry is not busybox: its configuration is {short_id(digest)} "
        f"with {len(diff_ids)} layer(s), busybox's image id is {short_id(busybox.id)} "
        f"with {len(layers_of(busybox))} layer(s)"
    )


def _same_image(image: Image, busybox: Image) -> bool:
    if image.id == busybox.id:
        return True
    return layers_of(image) == layers_of(busybox) and _command(image.attrs.get("Config") or {}) == _command(
        busybox.attrs.get("Config") or {}
    )


def _image_id(env: Environment, reference: str) -> str | None:
    try:
        return str(env.client.images.get(reference).id)
    except docker.errors.ImageNotFound:
        return None


def _digests(env: Environment, repository: str) -> set[str]:
    """The digest references (`repository@sha256:...`) the engine holds in `repository`."""
    return {
        reference
        for image in env.client.images.list()
        for reference in image.attrs.get("RepoDigests") or []
        if reference.startswith(f"{repository}@")
    }


def _restore(env: Environment, repository: str, tagged: str | None, digests: set[str]) -> None:
    """Put the engine's names in `repository` back as they were before a pull (best effort).

    A pull sets the tag, and records the digest it pulled by (`docker images --digests`).
    """
    reference = f"{repository}:{TAG}"
    with contextlib.suppress(docker.errors.APIError):
        now = _image_id(env, reference)
        if now != tagged and tagged is None:
            env.client.images.remove(reference)  # untags; deletes the image only if nothing else names it
        elif now != tagged:
            env.client.images.get(str(tagged)).tag(repository, TAG)
        for added in _digests(env, repository) - digests:
            env.client.images.remove(added)  # untags in the same way


def _pull_back(env: Environment, endpoint: Endpoint) -> Image:
    """Pull mycompany/my-busybox:99 through the engine; the engine's names end as they were."""
    repository = f"localhost:{endpoint.host_port}/{REPOSITORY}"
    tagged, digests = _image_id(env, f"{repository}:{TAG}"), _digests(env, repository)
    try:
        return env.client.images.pull(repository, tag=TAG)
    except docker.errors.APIError as error:
        raise AssertionError(
            f"the engine could not pull {repository}:{TAG}: {error.explanation or error}"
        ) from None
    finally:
        _restore(env, repository, tagged, digests)


@check(
    points=2,
    expected=f"A container named {NAME}, of the image {IMAGE}, is running.",
    hint="Run it detached and named: `docker run -d --name registry ... registry:2`. "
    "`docker logs registry` tells why a registry stopped.",
    reproduce="docker ps -a --filter name=registry",
)
def test_registry_running(env: Environment) -> None:
    runs_image(env.running(NAME), env.base(IMAGE), name=IMAGE)


@check(
    points=2,
    expected=f"{NAME} publishes its port {PORT}/tcp, where the registry listens, on the host's port {PORT}.",
    hint="`-p 5000:5000` publishes the container's port 5000 on the host's port 5000 "
    "(`-p HOST:CONTAINER`). `localhost:5000/...` in an image's name means exactly that host port.",
    reproduce="docker port registry",
)
def test_published_on_port_5000(env: Environment) -> None:
    container = env.running(NAME)
    bindings = _bindings(container)
    assert bindings, f"{NAME} does not publish its port {PORT}/tcp ({_published_ports(container)})"
    host_ports = sorted({str(binding.get("HostPort")) for binding in bindings})
    assert str(PORT) in host_ports, (
        f"{NAME} publishes its port {PORT} on host port {' and '.join(host_ports)}, not on {PORT}"
    )


@check(
    points=1,
    expected=f"The restart policy of {NAME} is always.",
    hint="Start it with `docker run --restart always ...` (or give a container the policy later with "
    "`docker update --restart always registry`): the engine then starts the registry again when it "
    "stops, and when Docker itself starts.",
    reproduce="docker inspect --format '{{.HostConfig.RestartPolicy.Name}}' registry",
)
def test_restart_always(env: Environment) -> None:
    policy = env.container(NAME).attrs["HostConfig"].get("RestartPolicy") or {}
    name = policy.get("Name") or "no"
    assert name == "always", f"the restart policy of {NAME} is {name}, not always"


@check(
    points=3,
    expected=f"Asked over its HTTP API, the registry lists the tag {TAG} in its repository {REPOSITORY}.",
    hint="The name you push says where the image goes: "
    "`docker tag busybox localhost:5000/mycompany/my-busybox:99`, then "
    "`docker push localhost:5000/mycompany/my-busybox:99`. Without `:99` the tag is `latest`.",
    reproduce="curl http://localhost:5000/v2/mycompany/my-busybox/tags/list",
)
def test_tag_99_listed(env: Environment) -> None:
    endpoint = _endpoint(env)
    path = f"/v2/{REPOSITORY}/tags/list"
    reply = _get(env, endpoint, path)
    if reply.status == 404:
        holding = _holding(env, endpoint)
        raise AssertionError(
            f"the registry has no repository {REPOSITORY}" + (f": {holding}" if holding else "")
        )
    assert reply.status == 200, f"the registry answered GET {path} with HTTP status {reply.status}"
    tags = [str(tag) for tag in reply.json(f"GET {path}").get("tags") or []]
    assert TAG in tags, (
        f"{REPOSITORY} has the tag(s) {', '.join(sorted(tags))}, but not {TAG}"
        if tags
        else f"{REPOSITORY} has no tag"
    )


@check(
    points=2,
    expected=f"{REPOSITORY}:{TAG} is busybox: the registry's manifest names busybox's image, "
    f"and pulled back through the engine (`docker pull localhost:{PORT}/{REPOSITORY}:{TAG}`) it is busybox.",
    hint="Give the name to busybox itself (`docker tag busybox localhost:5000/mycompany/my-busybox:99`), "
    "not to another image or to a container you changed, and push it again after any change.",
    reproduce="docker pull localhost:5000/mycompany/my-busybox:99 ; "
    "docker images --no-trunc localhost:5000/mycompany/my-busybox ; docker images --no-trunc busybox",
)
def test_pulled_back_is_busybox(env: Environment) -> None:
    endpoint = _endpoint(env)
    busybox = env.base(BASE)
    unlike = _unlike_busybox(env, endpoint, _config_digest(env, endpoint, busybox), busybox)
    assert not unlike, unlike
    pulled = _pull_back(env, endpoint)
    assert _same_image(pulled, busybox), (
        f"pulled back, localhost:{endpoint.host_port}/{REPOSITORY}:{TAG} is the image {short_id(pulled.id)}, "
        f"not busybox ({short_id(busybox.id)})"
    )
