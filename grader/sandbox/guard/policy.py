"""Which Docker API requests a student's script may send to its sandbox engine: an allowlist.

`refusal` is pure: it sees one request and returns None, or one sentence for
the student naming what was refused and why. Allowed are the routes the course
needs (containers, images, classic builds, networks, volumes, exec, prunes),
each with its methods (`ROUTES`), the query parameters each takes (`QUERIES`,
with checks for those that matter) and, for the JSON bodies that configure
something, every field with its check (`grader.sandbox.guard.fields`). Anything else
is refused, naming the route, parameter or field. Refused is what reaches past
the sandbox engine: extra privileges, devices, the machine's namespaces,
folders outside the allowed roots, an engine's socket, network and log drivers
that leave the sandbox, swarm services and plugins (which start containers the
guard cannot check) and BuildKit builds (`/build?version=2`, buildx's `/grpc`:
the guard cannot check a BuildKit build's `RUN --network=host` or
`--security=insecure`; the classic builder, the 20.10 CLI's default, is used
instead). `/session` is allowed: alone it only serves builds, and the 20.10 CLI
opens it alongside a BuildKit build, so refusing it would race the build's
clearer refusal.

One folder of the sandbox engine's own is always shared, read-only: the
grader's probe toolkit (PROBE_SOURCE, a static busybox that is part of the
sandbox image), which the checks of a Dockerfile built inside an autograded
notebook's sandbox mount into the containers they inspect.

JSON keys are matched the way the engine's Go decoder matches them (case
folded); a key given twice is refused. Query parameters are matched as the
engine reads them (case-sensitive); a raw `;` in a query makes the 20.10
engine (Go 1.17+) refuse the whole request, so it needs no rule here.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from urllib.parse import unquote

from grader.sandbox.guard import fields
from grader.sandbox.guard.checks import At, Check, Obj, go_number, parse

MIN_API_VERSION = (1, 24)
"""Older API versions accept a HostConfig when starting a container; no current CLI uses them."""
CGROUPNS_API = (1, 41)
"""Older API versions get the machine's cgroup namespace unless they ask for a private one."""
MAX_JSON_BODY = 1024 * 1024
"""The bodies the policy reads (container, exec, network and volume configurations) are small."""

TOO_LARGE = "Refused: the request's configuration is larger than any the course needs (1 MB)."
NOT_JSON = "Refused: the request's configuration is not valid JSON, so it cannot be checked."
FORM_BODY = "Refused: form-encoded requests are not something the docker CLI sends."
OLD_API = "Refused: this Docker client speaks an API version older than 1.24; use the course's docker CLI."
OLD_CGROUPNS = (
    "Refused: with an API version older than 1.41 the engine shares the machine's control groups "
    "with a container (`--cgroupns host`) unless told otherwise; use the course's docker CLI, "
    "or give `--cgroupns private`."
)
BUILDKIT = (
    "Refused: BuildKit is spoken here only as buildx speaks it (`docker build`, `docker buildx "
    "build`: `/grpc` and `/session` upgraded to HTTP/2), not through the legacy build API."
)
SWARM = (
    "Refused: swarm mode (`docker swarm`, `service`, `node`, `secret`, `config`, `stack`) is not "
    "part of the course, and its services start containers that cannot be checked."
)
PLUGINS = "Refused: `docker plugin` installs plugins that run with full control of the machine."
NOT_A_VERSION = "Refused: the request's API version is not one any Docker engine speaks."
START_BODY = "Refused: `docker start` takes no configuration (API 1.24 and later); the docker CLI sends none."

_VERSION = re.compile(r"^/v([0-9.]+)(?=/|$)")
_VERSION_PART_DIGITS = 4  # API versions are 1.x; more is no version (`go_number`)

_SWARM_ROUTES = frozenset({"swarm", "nodes", "services", "tasks", "secrets", "configs"})
_READ = frozenset({"GET", "HEAD"})
_ID = "[^/]+"  # one part: a network, volume or exec id
_NAME = ".+"  # the engine's `{name:.*}`: containers and images (`localhost:5000/web`)

ROUTES: dict[str, tuple[frozenset[str], re.Pattern[str]]] = {
    name: (frozenset(methods.split()), re.compile(pattern))
    for name, methods, pattern in (
        ("ping", "GET HEAD", "_ping"),
        ("system", "GET HEAD", "version|info|events|system/df"),
        ("auth", "POST", "auth"),
        ("session", "POST", "session"),
        ("containers", "GET HEAD", "containers/json"),
        ("container create", "POST", "containers/create"),
        ("container prune", "POST", "containers/prune"),
        ("container read", "GET HEAD", f"containers/{_NAME}/(json|top|logs|changes|export|stats|attach/ws)"),
        ("container start", "POST", f"containers/{_NAME}/start"),
        ("container stop", "POST", f"containers/{_NAME}/(stop|restart)"),
        ("container kill", "POST", f"containers/{_NAME}/kill"),
        ("container wait", "POST", f"containers/{_NAME}/wait"),
        ("container attach", "POST", f"containers/{_NAME}/attach"),
        ("container resize", "POST", f"containers/{_NAME}/resize"),
        ("container rename", "POST", f"containers/{_NAME}/rename"),
        ("container pause", "POST", f"containers/{_NAME}/(pause|unpause)"),
        ("container update", "POST", f"containers/{_NAME}/update"),
        ("exec create", "POST", f"containers/{_NAME}/exec"),
        ("archive", "GET HEAD PUT", f"containers/{_NAME}/archive"),
        ("container delete", "DELETE", f"containers/{_NAME}"),
        ("exec start", "POST", f"exec/{_ID}/start"),
        ("exec resize", "POST", f"exec/{_ID}/resize"),
        ("exec read", "GET HEAD", f"exec/{_ID}/json"),
        ("build", "POST", "build"),
        ("build prune", "POST", "build/prune"),
        ("build cancel", "POST", "build/cancel"),
        ("images", "GET HEAD", "images/(json|search|get)"),
        ("image read", "GET HEAD", f"images/{_NAME}/(json|history|get)"),
        ("image create", "POST", "images/create"),
        ("image load", "POST", "images/load"),
        ("image prune", "POST", "images/prune"),
        ("image push", "POST", f"images/{_NAME}/push"),
        ("image tag", "POST", f"images/{_NAME}/tag"),
        ("image delete", "DELETE", f"images/{_NAME}"),
        ("commit", "POST", "commit"),
        ("distribution", "GET HEAD", f"distribution/{_NAME}/json"),
        ("networks", "GET HEAD", f"networks(/{_ID})?"),
        ("network create", "POST", "networks/create"),
        ("network prune", "POST", "networks/prune"),
        ("network connect", "POST", f"networks/{_ID}/connect"),
        ("network disconnect", "POST", f"networks/{_ID}/disconnect"),
        ("network delete", "DELETE", f"networks/{_ID}"),
        ("volumes", "GET HEAD", f"volumes(/{_ID})?"),
        ("volume create", "POST", "volumes/create"),
        ("volume prune", "POST", "volumes/prune"),
        ("volume delete", "DELETE", f"volumes/{_ID}"),
        # `docker inspect NAME` asks every kind of object; reading them is harmless
        ("inspect probes", "GET HEAD", f"(plugins|swarm|nodes|services|tasks|secrets|configs)(/{_NAME})?"),
    )
}
"""Each route the course needs: its methods and its path (after the version, lowercased)."""


def _build_mode(value: str) -> str | None:
    if value.casefold() == "host":
        return "Refused: `docker build --network host` gives a build the machine's own network."
    return None


def _empty(why: str) -> Callable[[str], str | None]:
    return lambda value: f"Refused: {why}" if value else None


def _one_of(*allowed: str, why: str) -> Callable[[str], str | None]:
    return lambda value: None if value in allowed else f"Refused: {why.replace('{value}', value)}"


def _import_source(value: str) -> str | None:
    if value == "-":
        return None
    return (
        f"Refused: `docker import {value}` fetches from outside the sandbox; "
        "import a file instead (`docker import file.tar`)."
    )


_ANY: Callable[[str], str | None] = lambda value: None  # noqa: E731
_BUILD = {
    **dict.fromkeys(("t", "dockerfile", "target", "extrahosts", "platform", "buildargs", "labels"), _ANY),
    **dict.fromkeys(("cachefrom", "q", "nocache", "rm", "forcerm", "pull", "squash"), _ANY),
    **dict.fromkeys(("memory", "memswap", "cpushares", "cpusetcpus", "cpusetmems", "cpuperiod"), _ANY),
    **dict.fromkeys(("cpuquota", "shmsize", "ulimits"), _ANY),
    "networkmode": _build_mode,
    "cgroupparent": _empty(
        "`docker build --cgroup-parent` moves a build out of the limits of the grading run."
    ),
    "remote": _empty("a build context from a URL or git reaches outside the sandbox; build a folder."),
    "isolation": _one_of("", "default", why="`docker build --isolation {value}` is for Windows."),
    "version": _one_of("1", why="this build API version is not the classic builder's."),
    # no CLI sends these for a classic build; they serve BuildKit's sessions, which buildx opens instead
    "session": _empty("a build session is BuildKit's; `docker build` (buildx) opens its own."),
    "buildid": _empty("a build id is BuildKit's; `docker build` (buildx) gives its own."),
    "outputs": _empty("`--output` is BuildKit's; `docker build` (buildx) takes it."),
    "securityopt": _empty("`docker build --security-opt` turns off protections; the course never needs it."),
}
QUERIES: dict[str, dict[str, Callable[[str], str | None]]] = {
    "build": _BUILD,
    "container create": dict.fromkeys(("name", "platform"), _ANY),
    "container start": dict.fromkeys(("detachKeys",), _ANY),
    "container stop": dict.fromkeys(("t", "signal"), _ANY),
    "container kill": dict.fromkeys(("signal",), _ANY),
    "container wait": dict.fromkeys(("condition",), _ANY),
    "container attach": dict.fromkeys(("stream", "stdin", "stdout", "stderr", "logs", "detachKeys"), _ANY),
    "container resize": dict.fromkeys(("h", "w"), _ANY),
    "exec resize": dict.fromkeys(("h", "w"), _ANY),
    "container rename": dict.fromkeys(("name",), _ANY),
    "archive": dict.fromkeys(("path", "noOverwriteDirNonDir", "copyUIDGID"), _ANY),
    "container delete": dict.fromkeys(("force", "v", "link"), _ANY),
    "build prune": dict.fromkeys(
        ("filters", "keep-storage", "all", "reserved-space", "max-used-space", "min-free-space"), _ANY
    ),
    "build cancel": dict.fromkeys(("id",), _ANY),
    "image create": {
        **dict.fromkeys(("fromImage", "repo", "tag", "message", "changes", "platform"), _ANY),
        "fromSrc": _import_source,
    },
    "image load": dict.fromkeys(("quiet", "platform"), _ANY),
    "image push": dict.fromkeys(("tag", "platform"), _ANY),
    "image tag": dict.fromkeys(("repo", "tag"), _ANY),
    "image delete": dict.fromkeys(("force", "noprune", "platforms"), _ANY),
    "commit": dict.fromkeys(("container", "repo", "tag", "comment", "author", "pause", "changes"), _ANY),
    "volume delete": dict.fromkeys(("force",), _ANY),
    **{f"{kind} prune": {"filters": _ANY} for kind in ("container", "image", "network", "volume")},
}
"""The query parameters of each route that changes something (reads take any), with their checks."""

BODIES: dict[str, Check] = {
    "container create": fields.check_create,
    "exec create": fields.EXEC,
    "exec start": fields.EXEC_START,
    "container update": fields.UPDATE,
    "network create": fields.NETWORK,
    "network connect": fields.CONNECT,
    "network disconnect": fields.DISCONNECT,
    "volume create": fields.VOLUME,
}
"""The routes whose JSON body configures something, and the check of that body."""


def refusal(
    method: str,
    path: str,
    query: dict[str, list[str]],
    body: bytes,
    *,
    allowed_bind_roots: tuple[str, ...],
) -> str | None:
    """None if the request may reach the sandbox engine, else why not, in the course's words."""
    method = method.upper()
    version, parts = _route(path)
    if version is not None and max(version) >= 10**_VERSION_PART_DIGITS:
        return NOT_A_VERSION
    if version is not None and version < MIN_API_VERSION:
        return OLD_API
    if parts[:1] == ["grpc"] or (parts == ["build"] and "2" in query.get("version", [])):
        return BUILDKIT
    route = _match(method, parts)
    if route is None:
        return _unknown_route(method, parts)
    if method not in _READ:
        found = _query_refusal(route, method, parts, query)
        if found:
            return found
    if route == "container start":
        return _start_refusal(body)
    if route not in BODIES:
        return None
    try:
        document = parse(body or b"{}")
    except (ValueError, RecursionError):
        return NOT_JSON
    if route == "network connect" and parts[1].casefold() == "host":
        return "Refused: `--network host` puts a container on the machine's network; use a network."
    found = BODIES[route](document, At("", allowed_bind_roots))
    if found is None and route == "container create" and version is not None and version < CGROUPNS_API:
        return _old_cgroupns_refusal(document)
    return found


def _old_cgroupns_refusal(document: Obj) -> str | None:
    """Before API 1.41 the engine (on a cgroup v1 machine) reads an unset cgroup namespace as `host`."""
    modes = [mode for host in document.get("HostConfig") for mode in host.get("CgroupnsMode")]
    return None if modes == ["private"] else OLD_CGROUPNS


def needs_body(method: str, path: str) -> bool:
    """Whether `refusal` reads the body: the small JSON configurations of `BODIES`, and a start's."""
    _, parts = _route(path)
    route = _match(method.upper(), parts)
    return route in BODIES or route == "container start"


def _route(path: str) -> tuple[tuple[int, ...] | None, list[str]]:
    """The API version (None if not given) and the path's parts, decoded, cleaned and lowercased."""
    cleaned = posixpath.normpath("/" + unquote(path).lstrip("/"))
    match = _VERSION.match(cleaned)
    version = None
    if match:
        version = tuple(go_number(part, _VERSION_PART_DIGITS) for part in match.group(1).split("."))
        version += (0,) * (2 - len(version))
        cleaned = cleaned[match.end() :]
    return version, [part for part in cleaned.lower().split("/") if part]


def _match(method: str, parts: list[str]) -> str | None:
    """The name of the route the engine would serve, if the course needs it."""
    joined = "/".join(parts)
    for name, (methods, pattern) in ROUTES.items():
        if method in methods and pattern.fullmatch(joined):
            return name
    return None


def _unknown_route(method: str, parts: list[str]) -> str:
    head = parts[0] if parts else ""
    if head in _SWARM_ROUTES:
        return SWARM
    if head == "plugins":
        return PLUGINS
    return f"Refused: `{method} /{'/'.join(parts)}` is not something the course needs."


def _query_refusal(route: str, method: str, parts: list[str], query: dict[str, list[str]]) -> str | None:
    allowed = QUERIES.get(route, {})
    for name, values in query.items():
        if name not in allowed:
            where = f"{method} /{'/'.join(parts)}"
            return f"Refused: `?{name}=` on `{where}` is not something the course needs."
        for value in values:
            found = allowed[name](value)
            if found:
                return found
    return None


def _start_refusal(body: bytes) -> str | None:
    """A start takes no body (1.24 and later); `{}` and `null` say nothing either."""
    if body.strip() in (b"", b"{}", b"null"):
        return None
    return START_BODY
