"""What the guard allows of BuildKit: the `/grpc` and `/session` upgrades, the gRPC methods on each,
and the build options of a solve. Pure: each function sees a request and returns None or a sentence.

With buildx installed, `docker build` and `docker buildx build` (docker driver,
buildx 0.13 and later) open `POST /grpc` and `POST /session` with `Upgrade:
h2c` and speak gRPC over HTTP/2 (read in moby 26.1's `api/server/router/grpc`,
buildkit 0.13's `client` and `session`, buildx 0.13's `build/build.go`):

- on `/grpc` the CLI calls the engine's controller (`moby.buildkit.v1.Control`)
  and, through `Control/Solve`'s gateway, the Dockerfile frontend
  (`moby.buildkit.v1.frontend.LLBBridge/Solve` with `dockerfile.v0` and the
  build options as `FrontendOpt`);
- on `/session` the engine calls back into the CLI: the context and the
  Dockerfile (`FileSync/DiffCopy`), registry logins (`Auth`), secret mounts
  (`Secrets`), a tarball context on stdin (`Upload`), `--output` (`FileSend`),
  and the session's health check.

Each direction has its allowlist of full method names (`GRPC_METHODS`,
`SESSION_METHODS`). The two solves are decoded (`protowire`) and every field
judged: no entitlement (`--allow network.host`, `--allow security.insecure`,
without which `RUN --network=host` and `RUN --security=insecure` fail in the
engine), no client-sent LLB (`Definition`, `FrontendInputs`: a raw build the
guard cannot vet), the `dockerfile.v0` frontend only, frontend options from an
allowlist (`--network host`, remote and git contexts, `docker-image://` and URL
named contexts, cache imports, SBOM attestations and `BUILDKIT_SYNTAX` refused),
cache exports inline only, no cache import, exporters that load into the engine or write to
the client only, never one that pushes. What reaches past the sandbox from
inside the Dockerfile itself (`FROM`, `ADD <url>`) is the sandbox's network's
to stop, as for the classic builder.

One change is made to what is let through (`builtin_frontend`): a Dockerfile
solve gets the frontend option `cmdline`, with which the engine's own Dockerfile
frontend builds it rather than the frontend image a `# syntax=` line names
(BuildKit's `frontend/dockerfile/builder`: the line is followed only without
that option). So `# syntax=docker/dockerfile:1` builds offline, and a frontend
image built in the sandbox (code the guard could not vet, sending its own LLB
from inside the engine) never runs.
"""

from __future__ import annotations

import dataclasses
import re

from grader.sandbox.guard.protowire import Malformed, Message, read
from grader.sandbox.guard.request import Request

CONTROL, BRIDGE = "/moby.buildkit.v1.Control/", "/moby.buildkit.v1.frontend.LLBBridge/"
CONTROL_SOLVE, BRIDGE_SOLVE = CONTROL + "Solve", BRIDGE + "Solve"
GRPC_METHODS = frozenset(
    [CONTROL + name for name in ("Solve", "Status", "ListWorkers", "Info", "DiskUsage", "Prune")]
    + [BRIDGE + name for name in ("Solve", "ReadFile", "ReadDir", "StatFile", "Evaluate", "Ping")]
    + [BRIDGE + name for name in ("Return", "Inputs", "Warn")]
    + ["/opentelemetry.proto.collector.trace.v1.TraceService/Export"]  # buildx's build traces
)
"""What the CLI may call on `/grpc`. Not: `Control/Session` (a session outside `/session`),
build history updates, `LLBBridge/NewContainer` and `ExecProcess` (`buildx debug` runs containers
the guard cannot check), `ResolveImageConfig` and `ResolveSourceMeta` (registry look-ups)."""
PROBES = frozenset({CONTROL + "ListenBuildHistory"})
"""Calls a CLI makes on its own, to learn what the engine offers: refused, but kept out of the feedback
(the student asked for none of them). buildx 0.21 and later (Docker 28's 0.29) asks after every build
whether the engine keeps a build history (`historyAPISupported`) and goes on without one when refused;
let through, it would read the build's provenance from that history and from the engine's content store,
and the history holds every build's options (a graded build's secret build argument among them)."""
SESSION_METHODS = frozenset(
    {
        "/moby.filesync.v1.FileSync/DiffCopy",
        "/moby.filesync.v1.FileSync/TarStream",
        "/moby.filesync.v1.FileSend/DiffCopy",
        "/moby.filesync.v1.Auth/Credentials",
        "/moby.filesync.v1.Auth/FetchToken",
        "/moby.filesync.v1.Auth/GetTokenAuthority",
        "/moby.filesync.v1.Auth/VerifyTokenAuthority",
        "/moby.buildkit.secrets.v1.Secrets/GetSecret",
        "/moby.upload.v1.Upload/Pull",
        "/grpc.health.v1.Health/Check",
    }
)
"""What the engine may call on `/session`. A secret mount (`RUN --mount=type=secret`, with `docker
build --secret id=...`) needs one call, `Secrets/GetSecret`: the engine asks the CLI for the secret
by its id and the CLI answers with its bytes, read in the runner (a file or a variable of the
student's own script), so it reaches nothing outside the sandbox. Not: `RUN --mount=type=ssh`
(`--ssh`, `moby.sshforward.v1.SSH`: an SSH agent or key lent to the build, whose forwarded
connections the guard cannot read, and no exercise needs), OCI-layout contexts
(`containerd.services.content.v1.Content`)."""
SSH_SERVICE = "/moby.sshforward.v1.SSH/"
SSH_REFUSED = (
    "Refused: `--ssh` (and `RUN --mount=type=ssh`) hands the build an SSH agent or key, "
    "which the course never needs; use `--secret` for a value the build must read."
)
GRPC_METADATA = frozenset({"buildkit-controlapi-buildid"})
SESSION_METADATA = frozenset(
    {"dir-name", "include-patterns", "exclude-patterns", "followpaths", "buildkit-attachable-exporter-id"}
    | {"urlpath", "urlhost"}  # Upload/Pull: which tarball on stdin (`docker build - < context.tar`)
)
SESSION_METADATA_PREFIX = "exporter-md-"
INSPECTED = {CONTROL_SOLVE: "solve", BRIDGE_SOLVE: "bridge"}
"""Unary methods whose one request message the guard decodes before the engine sees any of it."""

_ENDPOINT = re.compile(r"(?:/v[0-9]+(?:\.[0-9]+)*)?/(grpc|session)")
_SESSION_HEADER = "X-Docker-Expose-Session-Grpc-Method"
_STDIN_CONTEXT = re.compile(r"http://buildkit-session/[a-z0-9]{1,64}")
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})  # Go's strconv.ParseBool

NOT_H2C = "Refused: `/grpc` and `/session` are spoken only as HTTP/2 (`Upgrade: h2c`), as buildx does."
H2C_ELSEWHERE = "Refused: HTTP/2 (`Upgrade: h2c`) is spoken only on BuildKit's `/grpc` and `/session`."
ENTITLEMENTS = {
    "network.host": "`--allow network.host` (and `RUN --network=host`) gives a build the machine's network",
    "security.insecure": "`--allow security.insecure` (and `RUN --security=insecure`) gives a build "
    "full control of the machine",
}
OUTSIDE = "reaches outside the sandbox"


def endpoint(path: str) -> str | None:
    """`grpc` or `session` if `path` is one of BuildKit's two endpoints, else None."""
    match = _ENDPOINT.fullmatch(path)
    return match.group(1) if match else None


def upgrade_refusal(request: Request) -> str | None:
    """Whether the HTTP/1.1 request that opens `/grpc` or `/session` (or asks h2c anywhere) is refused."""
    where = endpoint(request.path)
    if where is None:
        return H2C_ELSEWHERE if (request.upgrade or "").lower() == "h2c" else None
    if request.method != "POST" or request.upgrade != "h2c":
        return NOT_H2C
    if request.pairs:
        return f"Refused: `/{where}` takes no query (`?{request.pairs[0][0]}=`)."
    if request.frame != 0:
        return f"Refused: `/{where}` takes no body."
    return None


def forwarded(request: Request) -> Request:
    """The request as sent on: a session offers the engine only the methods it may call back."""
    if endpoint(request.path) is None:
        return request
    session = endpoint(request.path) == "session"
    headers = tuple(
        (name, value)
        for name, value in request.headers
        if name != _SESSION_HEADER or (session and value in SESSION_METHODS)
    )
    return dataclasses.replace(request, headers=headers)


def method_refusal(where: str, method: str) -> str | None:
    allowed = GRPC_METHODS if where == "grpc" else SESSION_METHODS
    if method in allowed:
        return None
    if where == "session" and method.startswith(SSH_SERVICE):
        return SSH_REFUSED
    if where == "session":
        return f"Refused: the build asked the docker CLI for `{method[:120]}`, which the course never needs."
    if method in PROBES:
        return f"Refused: `{method}` (the engine's build history) is not something the course needs."
    return f"Refused: the BuildKit call `{method[:120]}` is not something the course needs."


def message_refusal(method: str, payload: bytes) -> str | None:
    """The refusal of the one request message of an inspected method, if any."""
    try:
        if INSPECTED[method] == "solve":
            return solve_refusal(payload)
        return bridge_solve_refusal(payload)
    except Malformed as error:
        return f"Refused: the build request could not be read in exactly one way ({error})."


_CONTROL_SOLVE = {
    1: "string", 2: "message", 3: "string", 4: "message*", 5: "string", 6: "string", 7: "message*",
    8: "message", 9: "string*", 10: "message*", 11: "bool", 12: "message", 13: "message*",
}  # fmt: skip
_BRIDGE_SOLVE = {
    1: "message", 2: "string", 3: "message*", 5: "bool", 6: "bool", 10: "bool", 11: "bytes",
    12: "message*", 13: "message*", 14: "bool", 15: "message*",
}  # fmt: skip
_CACHE = {1: "string", 2: "string*", 3: "message*", 4: "message*", 5: "message*"}
_ENTRY = {1: "string", 2: "message*"}  # a CacheOptionsEntry or an Exporter: a type and its attributes


def solve_refusal(payload: bytes) -> str | None:
    """Control/Solve: the build as a whole (entitlements, exporters, caches, the frontend's options)."""
    solve = read(payload, _CONTROL_SOLVE)
    return (
        _llb_refusal(solve, 2, 10)
        or _frontend_refusal(solve.string(6), allow_none=True)
        or frontend_attrs_refusal(solve.string_map(7))
        or _entitlements_refusal(solve.strings(9))
        or _present(solve, 12, "a source policy")
        or _cache_refusal(read(solve.raw(8)[0], _CACHE) if solve.raw(8) else None)
        or _exporters_refusal(solve.string(3), solve.string_map(4), solve.raw(13))
    )


def bridge_solve_refusal(payload: bytes) -> str | None:
    """LLBBridge/Solve: the Dockerfile frontend's run, with the build's options."""
    solve = read(payload, _BRIDGE_SOLVE)
    return (
        _llb_refusal(solve, 1, 13)
        or _frontend_refusal(solve.string(2), allow_none=False)
        or frontend_attrs_refusal(solve.string_map(3))
        or _present(solve, 12, "`--cache-from` (a cache import)")
        or _present(solve, 15, "a source policy")
    )


_FRONTEND_FIELDS = {CONTROL_SOLVE: (_CONTROL_SOLVE, 6, 7), BRIDGE_SOLVE: (_BRIDGE_SOLVE, 2, 3)}
_CMDLINE_ENTRY = b"\x0a\x07cmdline\x12\x00"  # a map entry: key 1 "cmdline", value 2 ""


def builtin_frontend(method: str, payload: bytes) -> bytes:
    """An allowed solve as it is sent on: a Dockerfile solve (`dockerfile.v0`) with the frontend
    option `cmdline` added (one more map entry at the end: protobuf reads concatenated fields as
    one message), so a `# syntax=` line never sends it to another frontend image."""
    schema, frontend, attrs = _FRONTEND_FIELDS[method]
    if read(payload, schema).string(frontend) != "dockerfile.v0":
        return payload
    return payload + bytes([attrs << 3 | 2, len(_CMDLINE_ENTRY)]) + _CMDLINE_ENTRY


def _present(message: Message, number: int, what: str) -> str | None:
    if any(message.raw(number)):
        return f"Refused: {what} is not something the course needs."
    return None


def _llb_refusal(solve: Message, definition: int, inputs: int) -> str | None:
    if any(solve.raw(definition)) or solve.raw(inputs):
        return (
            "Refused: the build sent its own low-level build definition (LLB), which cannot be checked; "
            "build a Dockerfile from a folder (`docker build .`)."
        )
    return None


def _frontend_refusal(frontend: str, *, allow_none: bool) -> str | None:
    if frontend == "dockerfile.v0" or (allow_none and frontend == ""):
        return None
    return f"Refused: the build frontend `{frontend[:80]}`; only Dockerfiles are built here."


def _entitlements_refusal(entitlements: list[str]) -> str | None:
    for name in entitlements:
        other = f"the entitlement `--allow {name[:80]}` is not something the course needs"
        return f"Refused: {ENTITLEMENTS.get(name, other)}."
    return None


_ATTRS_ANY = frozenset(
    {"filename", "target", "platform", "multi-platform", "no-cache", "shm-size", "ulimit", "add-hosts"}
    | {"dockerfilekey", "frontend.caps", "attest:provenance", "image-resolve-mode", "contextsubdir"}
)
_ATTR_PREFIXES = ("build-arg:", "label:", "vcs:")
_ATTEST_ARG = "build-arg:BUILDKIT_ATTEST_"
"""BuildKit reads `build-arg:BUILDKIT_ATTEST_<kind>` as `attest:<kind>` (`frontend/attestations`)."""


def frontend_attrs_refusal(attrs: dict[str, str]) -> str | None:
    """The frontend's options (buildx's `FrontendAttrs`): an allowlist, with checks for what matters."""
    for key, value in sorted(attrs.items()):
        found = _attr_refusal(key, value)
        if found:
            return found
    return None


def _attr_refusal(key: str, value: str) -> str | None:
    if key == "force-network-mode":
        if value in ("", "none", "default", "sandbox"):
            return None
        return f"Refused: `--network {value[:40]}` on a build gives it the machine's own network."
    if key == "context":
        if _STDIN_CONTEXT.fullmatch(value):  # a tarball on stdin, pulled through the session
            return None
        return f"Refused: the build context `{value[:120]}` {OUTSIDE}; build a folder (`docker build .`)."
    if key.startswith("context:"):
        if value == "local:" + key[len("context:") :]:
            return None
        return f"Refused: `--build-context {key[8:80]}={value[:120]}` {OUTSIDE}; name a folder instead."
    if key in ("cache-imports", "cache-from"):
        return None if value in ("", "[]") else f"Refused: `--cache-from` (a cache import) {OUTSIDE}."
    if key == "cgroup-parent":
        return None if not value else "Refused: `--cgroup-parent` moves a build out of the run's limits."
    if key.startswith(_ATTEST_ARG) and key[len(_ATTEST_ARG) :].lower() != "provenance":
        return (
            f"Refused: `{key[10:80]}` asks for an attestation (an SBOM's runs a scanner image), "
            "which the course never needs."
        )
    if key == "build-arg:BUILDKIT_SYNTAX":
        return f"Refused: `BUILDKIT_SYNTAX` fetches a frontend image, which {OUTSIDE}."
    if key == "requestid" and value.startswith("frontend."):
        return None  # `--print`, `--call`: the frontend answers a question instead of building
    if key in _ATTRS_ANY or key.startswith(_ATTR_PREFIXES):
        return None
    return f"Refused: the build option `{key[:80]}` is not something the course needs."


def _cache_refusal(cache: Message | None) -> str | None:
    if cache is None:
        return None
    if cache.string(1) or cache.strings(2) or cache.raw(3) or cache.raw(5):
        return f"Refused: `--cache-from` and `--cache-to` to a registry {OUTSIDE}."
    for entry in cache.raw(4):
        kind = read(entry, _ENTRY).string(1)
        if kind != "inline":
            return f"Refused: `--cache-to type={kind[:40]}` {OUTSIDE}; only `type=inline` is kept here."
    return None


EXPORTERS = frozenset({"moby", "image", "docker", "oci", "local", "tar"})
"""Into the sandbox engine (`moby`, `image`: the docker driver's `--load`), or as files to the CLI."""
_EXPORTER_ATTRS = frozenset(
    {"name", "push", "dest", "tar", "compression", "compression-level", "force-compression", "store"}
    | {"oci-mediatypes", "buildinfo", "buildinfo-attrs", "dangling-name-prefix", "unpack"}
    | {"rewrite-timestamp", "platform-split", "attestation-prefix", "context", "load"}  # load: compose v2
)


def _exporters_refusal(old_type: str, old_attrs: dict[str, str], exporters: list[bytes]) -> str | None:
    entries = [(old_type, old_attrs)] if old_type or old_attrs else []
    for raw in exporters:
        entry = read(raw, _ENTRY)
        entries.append((entry.string(1), entry.string_map(2)))
    for kind, attrs in entries:
        if kind not in EXPORTERS:
            why = "load the image (`--load`) or write files"
            return f"Refused: `--output type={kind[:40]}` {OUTSIDE}; {why}."
        if "push" in attrs and attrs["push"] not in _FALSE:  # an empty value may read as true
            return f"Refused: `--push` (and `--output push=true`) {OUTSIDE}."
        for key in sorted(attrs):
            if key not in _EXPORTER_ATTRS and not key.startswith("annotation"):
                return f"Refused: the output option `{key[:80]}` is not something the course needs."
    return None
