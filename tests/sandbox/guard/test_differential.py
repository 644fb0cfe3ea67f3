"""The guard against a real sandbox engine: whatever it forwards never gives a forbidden setting.

Hypothesis writes container, exec, network and volume configurations and build queries from the API's
field names, in odd shapes (HostConfig fields at the top level, HostConfig null or missing, keys given
twice or in another case, fields nested where they do not belong, wrong types), sends them raw through
the guard's socket, and for every request the guard forwarded inspects what the engine made of it.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import socket
import tarfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import docker
import pytest
from docker.models.containers import Container
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.host import labels
from grader.host.baseimages import sandbox_engine
from grader.sandbox.guard import Guard, fields, host_config
from grader.sandbox.paths import PROBE_SOURCE
from grader.sandbox.sandbox import Sandbox, SandboxLimits

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SMALL = SandboxLimits(memory="768m", disk="384m", pids=512)
ROOTS = ("/submission",)
LABEL = "differential"
TRIED: Counter[str] = Counter()
FORWARDED: Counter[str] = Counter()
SETTINGS = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def sandbox(host_engine: docker.DockerClient) -> Iterator[Sandbox]:
    with Sandbox(host_engine, sandbox_engine.chosen(), run_id=labels.new_run_id(), limits=SMALL) as sandbox:
        sandbox.load_images(["busybox:latest"])
        yield sandbox
    print(f"\ndifferential: tried {dict(TRIED)}, forwarded {dict(FORWARDED)}")


@pytest.fixture(scope="module")
def engine(sandbox: Sandbox) -> docker.DockerClient:
    assert sandbox.client is not None
    return sandbox.client


@pytest.fixture(scope="module")
def guard(sandbox: Sandbox) -> Iterator[Guard]:
    with Guard(sandbox.socket, allowed_bind_roots=ROOTS) as guard:
        yield guard


DEFAULTS: dict[str, str] = {}
"""What the engine gives a plain container: on cgroup v1, the 20.10 engine's default cgroupns is `host`."""


@pytest.fixture(scope="module")
def keeper(engine: docker.DockerClient) -> Iterator[Container]:
    """A running container to exec into and to share namespaces with (`container:keeper`)."""
    container = engine.containers.run("busybox", ["sleep", "3600"], name="keeper", detach=True)
    DEFAULTS["CgroupnsMode"] = container.attrs["HostConfig"].get("CgroupnsMode", "")
    DEFAULTS["host network"] = engine.networks.get("host").id[:12]
    yield container
    container.remove(force=True)


class _Unix(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("docker", timeout=60)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(self.path)


def send(guard: Guard, kind: str, target: str, body: bytes) -> tuple[int, Any]:
    """POST `body` as it is through the guard: the status and the decoded answer."""
    TRIED[kind] += 1
    if HOST_NETWORK_ID in target or HOST_NETWORK_ID.encode() in body:
        target = target.replace(HOST_NETWORK_ID, DEFAULTS["host network"])
        body = body.replace(HOST_NETWORK_ID.encode(), DEFAULTS["host network"].encode())
    connection = _Unix(str(guard.socket))
    try:
        headers = {"Content-Type": "application/json" if kind != "build" else "application/x-tar"}
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    if response.status != 403:
        FORWARDED[kind] += 1
    try:
        return response.status, json.loads(data.splitlines()[-1]) if data.strip() else None
    except ValueError:
        return response.status, data.decode(errors="replace")


# JSON written by hand, so that keys may be given twice.

Pair = tuple[str, str]  # a key and a value already written as JSON


def obj(pairs: list[Pair]) -> str:
    return "{" + ", ".join(f"{json.dumps(key)}: {value}" for key, value in pairs) + "}"


def recase(key: str, how: int) -> str:
    return [key, key.lower(), key.upper(), key.swapcase(), key.replace("s", "\u017f")][how]


HOST_NETWORK_ID = "HOST-NETWORK-ID"
"""Replaced, when sent, by the first 12 digits of the host network's id: a name the policy cannot know."""
BAD_BIND_SOURCES = ["/", "/etc", "/var/run/docker.sock", "/submission/../etc", "/grader/probe", "/run"]
VALUES: dict[str, list[Any]] = {
    "Privileged": [True, False, "true", 1, None],
    "CapAdd": [["ALL"], ["SYS_ADMIN"], "ALL", None, [], ["NET_RAW"], ["cap_net_raw", "ſys_admin"]],
    "Capabilities": [["CAP_SYS_ADMIN"], None],
    "NetworkMode": ["host", "HOST", "bridge", "none", "default", "container:keeper", HOST_NETWORK_ID],
    "PidMode": ["host", "", "container:keeper"],
    "IpcMode": ["host", "private", "shareable", "container:keeper"],
    "UTSMode": ["host", ""],
    "UsernsMode": ["host", ""],
    "CgroupnsMode": ["host", "private", ""],
    "Cgroup": ["host", "container:keeper"],
    "Binds": [[f"{source}:/x"] for source in BAD_BIND_SOURCES]
    + [["/submission/d:/d"], ["vol:/v"], ["/grader/probe:/p:ro"], ["/grader/probe/made:/p:ro"]]
    + [["/etc:/e:ro"], "/:/x"],
    "Mounts": [
        [{"Type": "bind", "Source": "/", "Target": "/h"}],
        [{"Type": "bind", "Source": "/grader/probe", "Target": "/p", "ReadOnly": True}],
        [
            {
                "Type": "bind",
                "Source": "/submission",
                "Target": "/s",
                "BindOptions": {"Propagation": "rshared"},
            }
        ],
        [
            {
                "Type": "volume",
                "Target": "/v",
                "VolumeOptions": {
                    "DriverConfig": {"Options": {"type": "none", "o": "bind", "device": "/etc"}}
                },
            }
        ],
        [
            {
                "Type": "volume",
                "Target": "/v",
                "VolumeOptions": {
                    "DriverConfig": {"Options": {"type": "debugfs", "o": " bind", "device": "/submission"}}
                },
            }
        ],
        [{"Type": "tmpfs", "Target": "/t"}],
        [{"Type": "volume", "Source": "/etc", "Target": "/v"}],
        [{"Type": "tmpfs", "Source": "/etc", "Target": "/t"}],
        [{"Type": "bind", "Source": "/submission/../etc", "Target": "/e"}],
        [{"Type": "BIND", "Source": "/etc", "Target": "/e"}],
        [{"Type": "npipe", "Source": "/run/docker.sock", "Target": "/s"}],
    ],
    "Devices": [[{"PathOnHost": "/dev/null", "PathInContainer": "/dev/x", "CgroupPermissions": "rwm"}], []],
    "DeviceCgroupRules": [["a *:* rwm"]],
    "DeviceRequests": [[{"Count": -1, "Capabilities": [["gpu"]]}]],
    "SecurityOpt": [
        ["seccomp=unconfined"],
        ["apparmor=unconfined"],
        ["no-new-privileges"],
        ["label=disable"],
    ],
    "Sysctls": [{"net.ipv4.ip_forward": "1"}, {}],
    "Runtime": ["runc", "io.containerd.runc.v2", ""],
    "CgroupParent": ["/", "x", ""],
    "MaskedPaths": [[], None],
    "ReadonlyPaths": [[], None],
    "LogConfig": [
        {"Type": "syslog", "Config": {"syslog-address": "udp://127.0.0.1:1"}},
        {"Type": "json-file"},
    ],
    "Memory": [67108864, "1g", 1.5],
    "OomScoreAdj": [-1000, 100],
    "VolumeDriver": ["local", "rexray"],
    "Tmpfs": [{"/t": "size=1m"}, {"/t": "rbind"}, {"/t": "exec,bind"}],
    "PortBindings": [{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "0"}]}],
    "HostConfig": [{"Privileged": True}, {}, None, {"NetworkMode": "host"}],
}
GENERIC: list[Any] = [None, True, 0, "", "host", [], {}, ["x"], {"Privileged": True}]
CAPTURED = json.loads((Path(__file__).parent / "fixtures" / "cli-20.10.json").read_text())
FIT: dict[str, list[Any]] = {}
"""Values the 20.10 CLI sent for each field (`docker run`, `exec`), to mix in with the risky ones."""
for _record in CAPTURED:
    _body = _record["body"] if isinstance(_record["body"], dict) else {}
    for _name, _value in [*_body.items(), *(_body.get("HostConfig") or {}).items()]:
        if _value not in FIT.setdefault(_name, []):
            FIT[_name].append(_value)
HOST_NAMES = [*sorted(host_config.HOST_CONFIG), "Capabilities", "Cpuset"]
CONFIG_NAMES = sorted(fields.CONFIG)


def fit_or_risky(draw: st.DrawFn, fit: list[Any], risky: list[Any]) -> Any:
    """A fitting value two times in three, else a risky one."""
    return draw(st.sampled_from(fit if draw(st.integers(0, 2)) else risky))


@st.composite
def pairs_of(draw: st.DrawFn, names: list[str], most: int = 4) -> list[Pair]:
    """Fields, often the dangerous ones, some given twice, in any case, with values fit or not."""
    pool = fit_or_risky(draw, [names], [[*VALUES, *names]])
    chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=most, unique=True))
    pairs: list[Pair] = []
    for name in chosen:
        risky = VALUES.get(name, GENERIC)
        for _ in range(draw(st.sampled_from([1, 1, 1, 1, 1, 2]))):  # given twice, now and then
            key = recase(name, draw(st.sampled_from([0, 0, 0, 1, 2, 3, 4])))
            fit = draw(st.sampled_from([True, True, False])) and name in FIT
            pairs.append((key, json.dumps(draw(st.sampled_from(FIT[name] if fit else risky)))))
    return pairs


@st.composite
def create_bodies(draw: st.DrawFn) -> str:
    host = draw(pairs_of(HOST_NAMES))
    top: list[Pair] = [("Image", '"busybox"'), ("Cmd", '["true"]'), ("Labels", json.dumps({LABEL: "1"}))]
    top += draw(pairs_of(CONFIG_NAMES, most=2)) if draw(st.booleans()) else []
    shape = draw(st.sampled_from(["inside"] * 5 + ["top", "top-null", "top-missing", "nested"]))
    if shape == "inside":
        return obj([*top, ("HostConfig", obj(host))])
    if shape == "top":
        return obj([*top, *host, ("HostConfig", "{}")])
    if shape == "top-null":
        return obj([*top, *host, ("HostConfig", "null")])
    if shape == "top-missing":
        return obj([*top, *host])
    where = draw(st.sampled_from(["NetworkingConfig", "Healthcheck", "EndpointsConfig", "LogConfig"]))
    if where == "EndpointsConfig":
        networking = obj([("EndpointsConfig", obj([(draw(st.sampled_from(["bridge", "host"])), obj(host))]))])
        return obj([*top, ("HostConfig", "{}"), ("NetworkingConfig", networking)])
    if where == "LogConfig":
        return obj([*top, ("HostConfig", obj([("LogConfig", obj(host))]))])
    return obj([*top, ("HostConfig", "{}"), (where, obj(host))])


UNSET_FIELDS = ("Devices", "DeviceRequests", "DeviceCgroupRules", "Sysctls")


def forbidden_container(attrs: dict[str, Any], engine: docker.DockerClient) -> list[str]:
    """What is wrong with a container the engine made, if anything."""
    host = attrs["HostConfig"]
    found = [name for name in ("Privileged",) if host.get(name)]
    found += [name for name in UNSET_FIELDS if host.get(name)]
    found += [
        f"CapAdd={name}"
        for name in host.get("CapAdd") or []
        if name.upper().removeprefix("CAP_") not in host_config.DEFAULT_CAPABILITIES
    ]
    found += [
        f"{name}={host.get(name)}"
        for name in ("NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode")
        if str(host.get(name) or "").casefold() == "host" and host.get(name) != DEFAULTS.get(name)
    ]
    found += [f"SecurityOpt={host['SecurityOpt']}"] * any(
        not str(opt).startswith("no-new-privileges") for opt in host.get("SecurityOpt") or []
    )
    found += [f"Runtime={host.get('Runtime')}"] * (host.get("Runtime") not in (None, "", "runc"))
    found += ["CgroupParent"] * bool(host.get("CgroupParent"))
    found += [f"Tmpfs={host.get('Tmpfs')}"] * any(
        {"bind", "rbind"} & set(options.split(",")) for options in (host.get("Tmpfs") or {}).values()
    )
    found += ["MaskedPaths unset"] * (not host.get("MaskedPaths"))
    found += [f"LogConfig={host['LogConfig']}"] * (
        host["LogConfig"]["Type"] not in ("json-file", "local", "none")
    )
    found += [f"VolumeDriver={host.get('VolumeDriver')}"] * (
        host.get("VolumeDriver") not in ("", "local", None)
    )
    for mount in attrs.get("Mounts") or []:
        found += forbidden_mount(mount, engine)
    for name in (attrs.get("NetworkSettings") or {}).get("Networks") or {}:
        found += [f"network {name}"] * (name == "host")
    return found


def forbidden_mount(mount: dict[str, Any], engine: docker.DockerClient) -> list[str]:
    if mount["Type"] == "bind":
        source = mount["Source"]
        inside = any(source == root or source.startswith(root + "/") for root in ROOTS)
        probe = source == PROBE_SOURCE and not mount.get("RW")
        return [] if (inside or probe) and not source.endswith(".sock") else [f"bind of {source}"]
    if mount["Type"] == "volume":
        return forbidden_volume(engine.volumes.get(mount["Name"]).attrs)
    return [] if mount["Type"] == "tmpfs" else [f"mount of type {mount['Type']}"]


def forbidden_volume(attrs: dict[str, Any]) -> list[str]:
    options = attrs.get("Options") or {}
    if attrs["Driver"] != "local":
        return [f"volume driver {attrs['Driver']}"]
    if "bind" in options.get("o", "").split(",") or "rbind" in options.get("o", "").split(","):
        device = options.get("device", "")
        inside = any(device == root or device.startswith(root + "/") for root in ROOTS)
        return [] if inside and ".." not in device else [f"volume binds {device}"]
    kind = options.get("type", "tmpfs").casefold()
    return [] if kind == "tmpfs" else [f"volume of type {options.get('type')}"]


@settings(SETTINGS, max_examples=300)
@given(body=create_bodies())
def test_a_forwarded_container_is_never_given_a_forbidden_setting(
    guard: Guard, engine: docker.DockerClient, keeper: Container, body: str
) -> None:
    status, answer = send(guard, "create", "/v1.41/containers/create", body.encode())
    if status != 201:
        return
    container = engine.containers.get(answer["Id"])
    try:
        assert forbidden_container(container.attrs, engine) == [], body
        try:  # started, it joins its networks (and, with AutoRemove, may be gone already)
            container.start()
            container.reload()
        except docker.errors.APIError:
            return
        assert forbidden_container(container.attrs, engine) == [], body
    finally:
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True, v=True)
        for volume in engine.volumes.list(filters={"dangling": True}):
            with contextlib.suppress(docker.errors.APIError):
                volume.remove(force=True)


@st.composite
def network_bodies(draw: st.DrawFn) -> str:
    driver = fit_or_risky(draw, ["bridge", ""], ["macvlan", "ipvlan", "host", "null", "overlay"])
    pairs: list[Pair] = [("Name", json.dumps(f"net{draw(st.integers(0, 9))}"))]
    for _ in range(draw(st.sampled_from([1, 1, 1, 1, 2]))):
        pairs.append((recase("Driver", draw(st.integers(0, 4))), json.dumps(driver)))
    options = fit_or_risky(
        draw,
        [{}, {"com.docker.network.driver.mtu": "1400"}, {"com.docker.network.bridge.enable_icc": "false"}],
        [{"parent": "eth0"}, {"com.docker.network.bridge.name": "docker0"}, {"PARENT": "eth0"}],
    )
    pairs.append((recase("Options", draw(st.integers(0, 4))), json.dumps(options)))
    swarm = [
        ("Ingress", "true"),
        ("ConfigOnly", "true"),
        ("Scope", '"swarm"'),
        ("ConfigFrom", '{"Network": "x"}'),
    ]
    other = [("IPAM", '{"Driver": "null"}'), ("IPAM", "null"), ("Privileged", "true"), ("EnableIPv6", "1")]
    extra = fit_or_risky(
        draw, [[], [("Internal", "true")], [("Labels", '{"a": "b"}')]], [[pair] for pair in swarm + other]
    )
    return obj(pairs + extra)


@settings(SETTINGS, max_examples=100)
@given(body=network_bodies())
def test_a_forwarded_network_is_a_bridge(guard: Guard, engine: docker.DockerClient, body: str) -> None:
    status, answer = send(guard, "network", "/v1.41/networks/create", body.encode())
    if status != 201:
        return
    network = engine.networks.get(answer["Id"])
    try:
        assert network.attrs["Driver"] == "bridge", body
        options = network.attrs.get("Options") or {}
        assert "parent" not in options and "com.docker.network.bridge.name" not in options, body
        assert not network.attrs.get("Ingress") and not network.attrs.get("ConfigOnly"), body
    finally:
        network.remove()


@st.composite
def volume_bodies(draw: st.DrawFn) -> str:
    device = draw(st.sampled_from(["/etc", "/", "/submission/v", "/submission/../etc", "tmpfs", "/dev/null"]))
    kind = draw(st.sampled_from(["none", "tmpfs", "ext4", "", "TMPFS", "debugfs"]))
    o = draw(st.sampled_from(["bind", "rbind,ro", "size=1m", "", "BIND", " bind", "ro,bind "]))
    options: list[Pair] = [("type", json.dumps(kind)), ("o", json.dumps(o)), ("device", json.dumps(device))]
    chosen = draw(st.lists(st.sampled_from(options), max_size=4))
    pairs: list[Pair] = [("Name", json.dumps(f"vol{draw(st.integers(0, 9))}"))]
    pairs.append(
        (recase("Driver", draw(st.integers(0, 4))), json.dumps(draw(st.sampled_from(["local", "", "x"]))))
    )
    pairs.append((recase("DriverOpts", draw(st.integers(0, 4))), obj(chosen)))
    return obj(pairs)


@settings(SETTINGS, max_examples=80)
@given(body=volume_bodies())
def test_a_forwarded_volume_binds_no_forbidden_folder(
    guard: Guard, engine: docker.DockerClient, body: str
) -> None:
    status, answer = send(guard, "volume", "/v1.41/volumes/create", body.encode())
    if status != 201:
        return
    volume = engine.volumes.get(answer["Name"])
    try:
        assert forbidden_volume(volume.attrs) == [], body
    finally:
        volume.remove(force=True)


@st.composite
def exec_bodies(draw: st.DrawFn) -> str:
    fit = ["Privileged", "User", "Tty", "Env", "WorkingDir", "AttachStdin", "Detach"]
    names = fit_or_risky(draw, [fit], [[*fit, "HostConfig", "CapAdd", "Cpuset", "Capabilities"]])
    return obj([("Cmd", '["true"]'), *draw(pairs_of(names, 3))])


@settings(SETTINGS, max_examples=80)
@given(body=exec_bodies())
def test_a_forwarded_exec_is_never_privileged(
    guard: Guard, engine: docker.DockerClient, keeper: Container, body: str
) -> None:
    status, answer = send(guard, "exec", f"/v1.41/containers/{keeper.id}/exec", body.encode())
    if status != 201:
        return
    assert engine.api.exec_inspect(answer["Id"])["ProcessConfig"]["privileged"] is False, body


def _context() -> bytes:
    dockerfile = b"FROM busybox\nRUN ip -o link > /links; cat /proc/self/cgroup > /cgroup\n"
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
    return data.getvalue()


CONTEXT = _context()
BUILD_FIT: dict[str, list[str]] = {
    "networkmode": ["default", "none", "bridge", "container:keeper"],
    "cgroupparent": [""],
    "remote": [""],
    "isolation": ["", "default"],
    "version": ["1"],
    "nocache": ["1"],
    "extrahosts": ["db:10.0.0.1"],
}
BUILD_RISKY: dict[str, list[str]] = {
    "networkmode": ["host", "HOST", HOST_NETWORK_ID],
    "cgroupparent": ["/", "x"],
    "remote": ["http://127.0.0.1:1/x.tar"],
    "isolation": ["hyperv"],
    "version": ["2", "3"],
    "securityopt": ["seccomp=unconfined"],
    "NetworkMode": ["host"],
    "outputs": ['[{"Type": "local"}]'],
    "session": ["x"],
}


@st.composite
def build_queries(draw: st.DrawFn) -> list[tuple[str, str]]:
    query = []
    for _ in range(draw(st.integers(0, 3))):
        table = BUILD_FIT if draw(st.integers(0, 2)) else BUILD_RISKY
        name = draw(st.sampled_from(sorted(table)))
        query.append((name, draw(st.sampled_from(table[name]))))
    return [*query, ("t", "diffbuild"), ("rm", "1"), ("forcerm", "1")]


@settings(SETTINGS, max_examples=40)
@given(query=build_queries())
def test_a_forwarded_build_runs_off_the_machines_network(
    guard: Guard, engine: docker.DockerClient, keeper: Container, query: list[tuple[str, str]]
) -> None:
    status, _ = send(guard, "build", f"/v1.41/build?{urlencode(query)}", CONTEXT)
    if status != 200:
        return
    try:
        image = engine.images.get("diffbuild")
    except docker.errors.ImageNotFound:
        return
    try:
        links = engine.containers.run(image.id, ["cat", "/links"], remove=True).decode()
        assert "docker0" not in links, query  # the sandbox's own bridge: a build on its network
    finally:
        engine.images.remove(image.id, force=True)
