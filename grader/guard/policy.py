"""Which Docker API requests a student's script may send to its sandbox engine.

`refusal` is pure: it sees one request and returns None, or one sentence for
the student naming the docker CLI flag that was refused and why. Everything
the course needs is allowed (containers, images, builds, networks, volumes,
prunes): it all happens in the run's own sandbox engine. Refused is what
reaches past that engine: extra privileges, devices, the host's namespaces,
folders outside the allowed roots, an engine's socket, swarm services and
plugins (which start containers the guard cannot check) and BuildKit builds
(`/build?version=2`, buildx's `/grpc`: the guard cannot check a BuildKit
build's `RUN --network=host` or `--security=insecure`; the classic builder,
the 20.10 CLI's default, is used instead). `/session` is allowed: alone it
only serves builds, and the 20.10 CLI opens it alongside a BuildKit build,
so refusing it would race the build's clearer refusal.

One folder of the sandbox engine's own is always shared, read-only: the
grader's probe toolkit (PROBE_SOURCE, a static busybox that is part of the
sandbox image), which the checks of a Dockerfile built inside an autograded
notebook's sandbox mount into the containers they inspect.

JSON keys are matched the way the engine's Go decoder matches them (case
folded), and a key given several times is refused if any of its values is.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from grader.sandbox import PROBE_SOURCE

MIN_API_VERSION = (1, 24)
"""Older API versions accept a HostConfig when starting a container; no current CLI uses them."""
MAX_JSON_BODY = 1024 * 1024
"""The bodies the policy reads (container, exec and volume configurations) are small."""

TOO_LARGE = "Refused: the request's configuration is larger than any the course needs (1 MB)."
NOT_JSON = "Refused: the request's configuration is not valid JSON, so it cannot be checked."
FORM_BODY = "Refused: form-encoded requests are not something the docker CLI sends."
OLD_API = "Refused: this Docker client speaks an API version older than 1.24; use the course's docker CLI."
BUILDKIT = (
    "Refused: BuildKit (`DOCKER_BUILDKIT=1`, `docker buildx`) is not available here; "
    "build with the classic builder (`DOCKER_BUILDKIT=0 docker build ...`)."
)
SWARM = (
    "Refused: swarm mode (`docker swarm`, `service`, `node`, `secret`, `config`, `stack`) is not "
    "part of the course, and its services start containers that cannot be checked."
)
PLUGINS = "Refused: `docker plugin` installs plugins that run with full control of the machine."

_VERSION = re.compile(r"^/v([0-9.]+)(?=/|$)")
_SWARM_ROUTES = frozenset({"swarm", "nodes", "services", "tasks", "secrets", "configs"})
_READ_ONLY = frozenset({"GET", "HEAD"})
_HARMLESS_SECURITY_OPTS = frozenset({"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"})
_ENGINE_SOCKETS = ("docker.sock", "containerd.sock")
_NOT_NEEDED = "the course never needs it."


def _truthy(value: Any) -> bool:
    return bool(value)


def _is_host(value: Any) -> bool:
    return isinstance(value, str) and value.casefold() == "host"


def _loosens_security(value: Any) -> bool:
    options = value if isinstance(value, list) else [value]
    return any(str(option).casefold() not in _HARMLESS_SECURITY_OPTS for option in options if option)


def _present(value: Any) -> bool:
    return value is not None


def _other_runtime(value: Any) -> bool:
    return value not in (None, "", "runc")


_HOST_CONFIG_RULES: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
    ("Privileged", _truthy, f"`--privileged` gives a container full control of the machine; {_NOT_NEEDED}"),
    ("CapAdd", _truthy, f"`--cap-add` gives a container powers over the machine; {_NOT_NEEDED}"),
    ("Capabilities", _truthy, f"`--cap-add` gives a container powers over the machine; {_NOT_NEEDED}"),
    ("Devices", _truthy, f"`--device` gives a container the machine's hardware; {_NOT_NEEDED}"),
    ("DeviceRequests", _truthy, f"`--gpus` gives a container the machine's hardware; {_NOT_NEEDED}"),
    ("DeviceCgroupRules", _truthy, f"`--device-cgroup-rule` opens the machine's devices; {_NOT_NEEDED}"),
    ("NetworkMode", _is_host, "`--network host` puts a container on the machine's network; use a network."),
    ("PidMode", _is_host, f"`--pid host` lets a container see every process of the machine; {_NOT_NEEDED}"),
    ("IpcMode", _is_host, f"`--ipc host` shares the machine's shared memory; {_NOT_NEEDED}"),
    ("UTSMode", _is_host, f"`--uts host` lets a container rename the machine; {_NOT_NEEDED}"),
    ("UsernsMode", _is_host, f"`--userns host` turns off a protection of the machine; {_NOT_NEEDED}"),
    ("SecurityOpt", _loosens_security, f"`--security-opt` turns off protections; {_NOT_NEEDED}"),
    ("MaskedPaths", _present, f"`--security-opt systempaths=unconfined` exposes the kernel; {_NOT_NEEDED}"),
    ("ReadonlyPaths", _present, f"`--security-opt systempaths=unconfined` exposes the kernel; {_NOT_NEEDED}"),
    ("CgroupParent", _truthy, "`--cgroup-parent` moves a container out of the limits of the grading run."),
    ("Sysctls", _truthy, f"`--sysctl` changes settings of the machine's kernel; {_NOT_NEEDED}"),
    ("Runtime", _other_runtime, f"`--runtime` swaps the program that isolates containers; {_NOT_NEEDED}"),
)


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
    head = parts[0] if parts else ""
    if version is not None and version < MIN_API_VERSION:
        return OLD_API
    if head == "grpc" or (parts == ["build"] and "2" in query.get("version", [])):
        return BUILDKIT
    if method in _READ_ONLY:
        return None
    if head in _SWARM_ROUTES:
        return SWARM
    if head == "plugins":
        return PLUGINS
    if head in ("system", "distribution"):
        return f"Refused: `{method} /{'/'.join(parts)}` is not something the course needs."
    if method != "POST":
        return None
    if parts == ["build"]:
        return _build_refusal(query)
    if not needs_body(method, path):
        return None
    document = _document(body)
    if document is None:
        return NOT_JSON
    if head == "volumes":
        return _volume_refusal(document, allowed_bind_roots, "--opt {}")
    if parts[-1] == "exec":
        return _exec_refusal(document)
    return _container_refusal(document, allowed_bind_roots)


def needs_body(method: str, path: str) -> bool:
    """Whether `refusal` reads the body: creating a container, an exec or a volume."""
    _, parts = _route(path)
    if method.upper() != "POST":
        return False
    exec_create = len(parts) >= 3 and parts[0] == "containers" and parts[-1] == "exec"  # names match `.*`
    return exec_create or parts in (["containers", "create"], ["volumes", "create"])


def _route(path: str) -> tuple[tuple[int, ...] | None, list[str]]:
    """The API version (None if not given) and the path's parts, decoded, cleaned and lowercased."""
    cleaned = posixpath.normpath("/" + unquote(path).lstrip("/"))
    match = _VERSION.match(cleaned)
    version = None
    if match:
        version = tuple(int(part) if part.isdigit() else 0 for part in match.group(1).split("."))
        version += (0,) * (2 - len(version))
        cleaned = cleaned[match.end() :]
    return version, [part for part in cleaned.lower().split("/") if part]


def _fold(pairs: list[tuple[str, Any]]) -> dict[str, list[Any]]:
    """A JSON object with case-folded keys, keeping every value given for a key."""
    folded: dict[str, list[Any]] = {}
    for key, value in pairs:
        folded.setdefault(key.casefold(), []).append(value)
    return folded


def _document(body: bytes) -> dict[str, list[Any]] | None:
    try:
        document = json.loads(body or b"{}", object_pairs_hook=_fold)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _values(document: Any, key: str) -> list[Any]:
    """Every value of `key` in a folded object (none if it is not an object)."""
    return list(document.get(key.casefold(), [])) if isinstance(document, dict) else []


def _objects(document: Any, key: str) -> list[Any]:
    return [value for value in _values(document, key) if isinstance(value, dict)]


def _build_refusal(query: dict[str, list[str]]) -> str | None:
    if any(mode.casefold() == "host" for mode in query.get("networkmode", [])):
        return "Refused: `docker build --network host` gives a build the machine's own network."
    if any(query.get("cgroupparent", [])):
        return "Refused: `docker build --cgroup-parent` moves a build out of the limits of the grading run."
    return None


def _exec_refusal(document: dict[str, list[Any]]) -> str | None:
    if any(_truthy(value) for value in _values(document, "Privileged")):
        return f"Refused: `docker exec --privileged` gives a command full control; {_NOT_NEEDED}"
    return None


def _container_refusal(document: dict[str, list[Any]], roots: tuple[str, ...]) -> str | None:
    for host_config in _objects(document, "HostConfig"):
        for key, dangerous, why in _HOST_CONFIG_RULES:
            if any(dangerous(value) for value in _values(host_config, key)):
                return f"Refused: {why}"
        for binds in _values(host_config, "Binds"):
            for bind in binds if isinstance(binds, list) else []:
                source, _, rest = str(bind).partition(":")
                read_only = "ro" in rest.partition(":")[2].split(",")
                found = source.startswith("/") and _bind_refusal(source, f"-v {bind}", roots, read_only)
                if found:
                    return found
        for mounts in _values(host_config, "Mounts"):
            for mount in mounts if isinstance(mounts, list) else []:
                found = _mount_refusal(mount, roots)
                if found:
                    return found
    return None


def _mount_refusal(mount: Any, roots: tuple[str, ...]) -> str | None:
    """A `--mount`: a bind checked like `-v`, a volume's driver options like `docker volume create`."""
    kinds = {str(kind).casefold() for kind in _values(mount, "Type")}
    if "bind" in kinds:
        flags = _values(mount, "ReadOnly")
        read_only = bool(flags) and all(_truthy(flag) for flag in flags)
        for source in _values(mount, "Source"):
            found = _bind_refusal(str(source), f"--mount type=bind,source={source}", roots, read_only)
            if found:
                return found
    for options in _objects(mount, "VolumeOptions"):
        for driver in _objects(options, "DriverConfig"):
            found = _volume_refusal(driver, roots, "--mount volume-opt={}", ("Name", "Options"))
            if found:
                return found
    return None


def _volume_refusal(
    document: Any, roots: tuple[str, ...], flag: str, keys: tuple[str, str] = ("Driver", "DriverOpts")
) -> str | None:
    """A volume's driver and options: local, plain or tmpfs, or a bind of an allowed folder."""
    driver_key, options_key = keys
    for driver in _values(document, driver_key):
        if driver not in (None, "", "local"):
            return f"Refused: `--driver {driver}` needs a volume plugin; the course uses the local driver."
    for options in _objects(document, options_key):
        option = {key: [str(value) for value in values] for key, values in options.items()}
        if any({"bind", "rbind"} & {part.strip() for part in o.split(",")} for o in option.get("o", [])):
            for device in option.get("device", []):
                typed = f"{flag.format('o=bind')} {flag.format('device=' + device)}"
                found = _bind_refusal(device, typed, roots)
                if found:
                    return found
            continue
        kinds = option.get("type", []) or [""] * bool(option.get("device"))
        odd = [kind for kind in kinds if kind.casefold() != "tmpfs"]
        if odd:
            typed = flag.format(f"type={odd[0]}")
            return f"Refused: `{typed}` mounts the machine's files or disks; only tmpfs volumes take options."
    return None


def _bind_refusal(source: str, typed: str, roots: tuple[str, ...], read_only: bool = False) -> str | None:
    """A folder of the machine shared with a container: only inside the roots (or, read-only, the
    probe's), never an engine's socket."""
    path = _clean(source)
    if posixpath.basename(path).endswith(_ENGINE_SOCKETS):
        return f"Refused: `{typed}` hands the container the Docker engine itself, and with it the machine."
    if any(_within(path, _clean(root)) for root in roots):
        return None
    if read_only and _within(path, PROBE_SOURCE):
        return None
    allowed = f"only folders inside {', '.join(roots)} may be" if roots else "no folder of the machine may be"
    return (
        f"Refused: `{typed}` shares the machine's {path} with the container; {allowed} shared here "
        "(a named volume, `-v name:/path`, always works)."
    )


def _clean(path: str) -> str:
    """`path` with `..`, `.`, doubled and trailing slashes resolved (symbolic links are not)."""
    if not path.startswith("/"):
        return posixpath.normpath(path)
    return "/" + posixpath.normpath(path).lstrip("/")


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")
