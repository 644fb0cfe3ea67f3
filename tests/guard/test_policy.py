"""The guard's policy: what a student's setup.sh may ask the sandbox engine, as the docker CLI asks it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from grader.guard import policy, refusal

ROOTS = ("/submission", "/tmp/")
CREATE = "/v1.41/containers/create"

DEFAULT_HOST_CONFIG: dict[str, Any] = {
    "Binds": None,
    "NetworkMode": "default",
    "CapAdd": None,
    "CapDrop": None,
    "CgroupnsMode": "",
    "IpcMode": "",
    "PidMode": "",
    "Privileged": False,
    "SecurityOpt": None,
    "UTSMode": "",
    "UsernsMode": "",
    "CgroupParent": "",
    "Devices": [],
    "DeviceCgroupRules": None,
    "DeviceRequests": None,
    "MaskedPaths": None,
    "ReadonlyPaths": None,
}
"""What the 20.10 docker CLI sends for a plain `docker run` (the fields the policy looks at)."""


def run(**host_config: Any) -> bytes:
    """The body of `docker run` with these HostConfig fields."""
    return json.dumps({"Image": "busybox", "HostConfig": {**DEFAULT_HOST_CONFIG, **host_config}}).encode()


def ask(method: str, path: str, body: bytes | str = b"", query: dict[str, str] | None = None) -> str | None:
    data = body.encode() if isinstance(body, str) else body
    parsed = {key: [value] for key, value in (query or {}).items()}
    return refusal(method, path, parsed, data, allowed_bind_roots=ROOTS)


def bind_volume(device: str) -> dict[str, str]:
    return {"type": "none", "o": "bind", "device": device}


REFUSED_RUNS = {
    "docker run --privileged busybox": (run(Privileged=True), "`--privileged`"),
    "docker run --cap-add NET_ADMIN busybox": (run(CapAdd=["NET_ADMIN"]), "`--cap-add`"),
    "API: HostConfig.Capabilities": (run(Capabilities=["CAP_SYS_ADMIN"]), "`--cap-add`"),
    "docker run --device /dev/sda busybox": (
        run(Devices=[{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}]),
        "`--device`",
    ),
    "docker run --gpus all busybox": (run(DeviceRequests=[{"Count": -1}]), "`--gpus`"),
    "docker run --device-cgroup-rule 'b 8:* rwm' busybox": (
        run(DeviceCgroupRules=["b 8:* rwm"]),
        "`--device-cgroup-rule`",
    ),
    "docker run --network host busybox": (run(NetworkMode="host"), "`--network host`"),
    "docker run --pid host busybox": (run(PidMode="host"), "`--pid host`"),
    "docker run --pid HOST busybox": (run(PidMode="HOST"), "`--pid host`"),
    "docker run --ipc host busybox": (run(IpcMode="host"), "`--ipc host`"),
    "docker run --uts host busybox": (run(UTSMode="host"), "`--uts host`"),
    "docker run --userns host busybox": (run(UsernsMode="host"), "`--userns host`"),
    "docker run --security-opt seccomp=unconfined busybox": (
        run(SecurityOpt=["seccomp=unconfined"]),
        "`--security-opt`",
    ),
    "docker run --security-opt no-new-privileges --security-opt apparmor=unconfined busybox": (
        run(SecurityOpt=["no-new-privileges", "apparmor=unconfined"]),
        "`--security-opt`",
    ),
    "docker run --security-opt systempaths=unconfined busybox": (
        run(MaskedPaths=[], ReadonlyPaths=[]),
        "systempaths=unconfined",
    ),
    "docker run --cgroup-parent / busybox": (run(CgroupParent="/"), "`--cgroup-parent`"),
    "docker run --sysctl net.ipv4.ip_forward=1 busybox": (
        run(Sysctls={"net.ipv4.ip_forward": "1"}),
        "`--sysctl`",
    ),
    "docker run --runtime runsc busybox": (run(Runtime="runsc"), "`--runtime`"),
    "docker run -v /etc:/host-etc busybox": (run(Binds=["/etc:/host-etc"]), "`-v /etc:/host-etc` shares"),
    "docker run -v /:/host:ro busybox": (run(Binds=["/:/host:ro"]), "the machine's / with"),
    "docker run -v /submission/../etc:/x busybox": (run(Binds=["/submission/../etc:/x"]), "machine's /etc"),
    "docker run -v //etc//:/x busybox": (run(Binds=["//etc//:/x"]), "machine's /etc with"),
    "docker run -v /submission2:/x busybox": (run(Binds=["/submission2:/x"]), "machine's /submission2"),
    "docker run -v /var/run/docker.sock:/var/run/docker.sock busybox": (
        run(Binds=["/var/run/docker.sock:/var/run/docker.sock"]),
        "the Docker engine itself",
    ),
    "docker run -v /run/docker.sock:/s busybox": (run(Binds=["/run/docker.sock:/s"]), "engine itself"),
    "docker run -v /submission/docker.sock:/s busybox (inside a root)": (
        run(Binds=["/submission/docker.sock:/s"]),
        "engine itself",
    ),
    "docker run --mount type=bind,source=/etc,target=/x busybox": (
        run(Mounts=[{"Type": "bind", "Source": "/etc", "Target": "/x"}]),
        "`--mount type=bind,source=/etc`",
    ),
    "docker run --mount type=volume,dst=/x,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc": (
        run(
            Mounts=[
                {
                    "Type": "volume",
                    "Target": "/x",
                    "VolumeOptions": {"DriverConfig": {"Options": bind_volume("/etc")}},
                }
            ]
        ),
        "`--mount volume-opt=o=bind --mount volume-opt=device=/etc`",
    ),
    "API: lowercase keys": (b'{"image": "busybox", "hostconfig": {"privileged": true}}', "`--privileged`"),
    "API: a key given twice, refused if either is": (
        b'{"HostConfig": {"Privileged": true, "Privileged": false}}',
        "`--privileged`",
    ),
    "API: a long s, which Go folds to s": (
        '{"HostConfig": {"\u017fecurityOpt": ["seccomp=unconfined"]}}',
        "`--security-opt`",
    ),
    "API: not JSON": (b'{"HostConfig": ', "not valid JSON"),
    "API: two JSON documents (Go reads the first)": (
        b'{"HostConfig": {"Privileged": true}} {}',
        "not valid JSON",
    ),
}


@pytest.mark.parametrize(("body", "named"), REFUSED_RUNS.values(), ids=REFUSED_RUNS.keys())
def test_dangerous_runs_are_refused_naming_the_flag(body: bytes | str, named: str) -> None:
    message = ask("POST", CREATE, body)
    assert message is not None and message.startswith("Refused: ")
    assert named in message


ALLOWED_RUNS = {
    "docker run --rm busybox echo hi": run(),
    "docker run -v /submission/data:/data busybox": run(Binds=["/submission/data:/data"]),
    "docker run -v /submission:/s busybox": run(Binds=["/submission/:/s:ro"]),
    "docker run -v /tmp/x/../y:/y busybox": run(Binds=["/tmp/x/../y:/y"]),
    "docker run -v data:/data busybox": run(Binds=["data:/data"]),
    "docker run --mount type=volume,source=data,target=/data busybox": run(
        Mounts=[{"Type": "volume", "Source": "data", "Target": "/data"}]
    ),
    "docker run --mount type=volume,...,volume-opt=type=tmpfs,volume-opt=device=tmpfs busybox": run(
        Mounts=[{"Type": "volume", "VolumeOptions": {"DriverConfig": {"Options": {"type": "tmpfs"}}}}]
    ),
    "docker run --mount type=bind,source=/submission/web,target=/web busybox": run(
        Mounts=[{"Type": "bind", "Source": "/submission/web", "Target": "/web"}]
    ),
    "docker run --mount type=tmpfs,target=/cache busybox": run(
        Mounts=[{"Type": "tmpfs", "Target": "/cache"}]
    ),
    "docker run --network learning -p 8080:80 busybox": run(NetworkMode="learning"),
    "docker run --pid container:web busybox": run(PidMode="container:web"),
    "docker run --cap-drop ALL --security-opt no-new-privileges busybox": run(
        CapDrop=["ALL"], SecurityOpt=["no-new-privileges"]
    ),
    "docker run --runtime runc busybox": run(Runtime="runc"),
}


@pytest.mark.parametrize("body", ALLOWED_RUNS.values(), ids=ALLOWED_RUNS.keys())
def test_what_the_course_needs_is_allowed(body: bytes) -> None:
    assert ask("POST", CREATE, body) is None


def test_only_a_root_set_by_the_grader_allows_binds() -> None:
    body = run(Binds=["/submission/data:/data"])
    assert refusal("POST", CREATE, {}, body, allowed_bind_roots=()) is not None
    assert refusal("POST", CREATE, {}, body, allowed_bind_roots=("/",)) is None


PROBE_BINDS = {
    "docker run -v /grader/probe:/probe:ro busybox": (run(Binds=["/grader/probe:/probe:ro"]), None),
    "docker run -v /grader/probe:/probe:ro,z busybox": (run(Binds=["/grader/probe:/probe:ro,z"]), None),
    "docker run --mount type=bind,source=/grader/probe,target=/p,readonly busybox": (
        run(Mounts=[{"Type": "bind", "Source": "/grader/probe", "Target": "/p", "ReadOnly": True}]),
        None,
    ),
    "docker run -v /grader/probe:/probe busybox": (run(Binds=["/grader/probe:/probe"]), "/grader/probe"),
    "docker run -v /grader/probe:/probe:rw busybox": (
        run(Binds=["/grader/probe:/probe:rw"]),
        "/grader/probe",
    ),
    "docker run -v /grader/probe/../..:/x:ro busybox": (
        run(Binds=["/grader/probe/../..:/x:ro"]),
        "machine's /",
    ),
    "docker run -v /grader:/x:ro busybox": (run(Binds=["/grader:/x:ro"]), "machine's /grader"),
    "docker run --mount type=bind,source=/grader/probe,target=/p busybox": (
        run(Mounts=[{"Type": "bind", "Source": "/grader/probe", "Target": "/p"}]),
        "/grader/probe",
    ),
    "API: ReadOnly given twice, once false": (
        b'{"HostConfig": {"Mounts": [{"Type": "bind", "Source": "/grader/probe", "Target": "/p", '
        b'"ReadOnly": true, "readonly": false}]}}',
        "/grader/probe",
    ),
}


@pytest.mark.parametrize(("body", "named"), PROBE_BINDS.values(), ids=PROBE_BINDS.keys())
def test_the_probe_toolkit_may_be_shared_read_only_and_only_so(body: bytes, named: str | None) -> None:
    """The checks of a Dockerfile built inside an autograded notebook's sandbox mount the probe."""
    message = refusal("POST", CREATE, {}, body, allowed_bind_roots=())
    if named is None:
        assert message is None
    else:
        assert message is not None and named in message


def test_docker_exec_privileged_is_refused_and_a_plain_exec_allowed() -> None:
    exec_create = "/v1.41/containers/web/exec"
    assert "`docker exec --privileged`" in (
        ask("POST", exec_create, '{"Privileged": true, "Cmd": ["sh"]}') or ""
    )
    assert ask("POST", exec_create, '{"Privileged": false, "Cmd": ["sh"]}') is None


REFUSED_VOLUMES = {
    "docker volume create --opt type=none --opt o=bind --opt device=/etc v": (
        {"Driver": "local", "DriverOpts": bind_volume("/etc")},
        "`--opt o=bind --opt device=/etc`",
    ),
    "docker volume create --opt o=rbind,ro --opt device=/ v": (
        {"DriverOpts": {"o": "rbind,ro", "device": "/"}},
        "machine's / with",
    ),
    "docker volume create --opt type=nfs --opt o=addr=10.0.0.1 --opt device=:/srv v": (
        {"DriverOpts": {"type": "nfs", "o": "addr=10.0.0.1", "device": ":/srv"}},
        "`--opt type=nfs`",
    ),
    "docker volume create --opt type=ext4 --opt device=/dev/sda1 v": (
        {"DriverOpts": {"type": "ext4", "device": "/dev/sda1"}},
        "`--opt type=ext4`",
    ),
    "docker volume create --opt device=/dev/sda1 v": (
        {"DriverOpts": {"device": "/dev/sda1"}},
        "`--opt type=`",
    ),
    "docker volume create --driver rexray/ebs v": ({"Driver": "rexray/ebs"}, "`--driver rexray/ebs`"),
}


@pytest.mark.parametrize(("body", "named"), REFUSED_VOLUMES.values(), ids=REFUSED_VOLUMES.keys())
def test_volumes_mounting_the_machine_are_refused(body: dict[str, Any], named: str) -> None:
    assert named in (ask("POST", "/v1.41/volumes/create", json.dumps(body)) or "")


ALLOWED_VOLUMES = {
    "docker volume create data": {"Driver": "local", "DriverOpts": {}, "Labels": {}, "Name": "data"},
    "docker volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=64m t": {
        "Name": "t",
        "DriverOpts": {"type": "tmpfs", "device": "tmpfs", "o": "size=64m"},
    },
    "docker volume create --opt type=none --opt o=bind --opt device=/submission/data d": {
        "DriverOpts": bind_volume("/submission/data")
    },
}


@pytest.mark.parametrize("body", ALLOWED_VOLUMES.values(), ids=ALLOWED_VOLUMES.keys())
def test_plain_and_tmpfs_volumes_are_allowed(body: dict[str, Any]) -> None:
    assert ask("POST", "/v1.41/volumes/create", json.dumps(body)) is None


REFUSED_REQUESTS = {
    "docker build --network host .": (
        ("POST", "/v1.41/build", b""),
        {"networkmode": "host"},
        "`docker build --network host`",
    ),
    "docker build --cgroup-parent x .": (
        ("POST", "/v1.41/build", b""),
        {"cgroupparent": "x"},
        "--cgroup-parent",
    ),
    "DOCKER_BUILDKIT=1 docker build . (its build)": (
        ("POST", "/v1.41/build", b""),
        {"version": "2"},
        "BuildKit",
    ),
    "docker buildx build .": (("POST", "/v1.41/grpc", b""), {}, "DOCKER_BUILDKIT=0"),
    "docker swarm init": (("POST", "/v1.41/swarm/init", b"{}"), {}, "swarm mode"),
    "docker service create busybox": (("POST", "/v1.41/services/create", b"{}"), {}, "swarm mode"),
    "docker secret create s -": (("POST", "/v1.41/secrets/create", b"{}"), {}, "swarm mode"),
    "docker node rm n": (("DELETE", "/v1.41/nodes/n", b""), {}, "swarm mode"),
    "docker plugin install vieux/sshfs": (("POST", "/v1.41/plugins/pull", b""), {}, "`docker plugin`"),
    "API: a POST under /system": (("POST", "/v1.41/system/anything", b""), {}, "`POST /system/anything`"),
    "API: /v1.23 starts a container with a HostConfig": (
        ("POST", "/v1.23/containers/web/start", b'{"Privileged": true}'),
        {},
        "older than 1.24",
    ),
    "API: doubled slashes": (("POST", "/v1.41//swarm//init", b""), {}, "swarm mode"),
    "API: an escaped slash": (("POST", "/v1.41/swarm%2Finit", b""), {}, "swarm mode"),
    "API: no version, dot segments": (
        ("POST", "/containers/x/../create", run(Privileged=True)),
        {},
        "privileged",
    ),
}


@pytest.mark.parametrize(
    ("request_", "query", "named"), REFUSED_REQUESTS.values(), ids=REFUSED_REQUESTS.keys()
)
def test_requests_beyond_the_sandbox_are_refused(
    request_: tuple[str, str, bytes], query: dict[str, str], named: str
) -> None:
    assert named in (ask(*request_, query) or "")


ALLOWED_REQUESTS = {
    "docker build -t web . (classic builder)": (
        "POST",
        "/v1.41/build",
        {"networkmode": "default", "version": "1"},
    ),
    "docker network create learning": ("POST", "/v1.41/networks/create", {}),
    "DOCKER_BUILDKIT=1 docker build . (its session: only serves builds)": ("POST", "/session", {}),
    "docker pull localhost:5000/web": ("POST", "/v1.41/images/create", {"fromImage": "localhost:5000/web"}),
    "docker push localhost:5000/web": ("POST", "/v1.41/images/localhost:5000/web/push", {}),
    "docker save busybox": ("GET", "/v1.41/images/get", {"names": "busybox"}),
    "docker load": ("POST", "/v1.41/images/load", {"quiet": "1"}),
    "docker commit web": ("POST", "/v1.41/commit", {"container": "web"}),
    "docker cp f web:/": ("PUT", "/v1.41/containers/web/archive", {"path": "/"}),
    "docker rm -f web": ("DELETE", "/v1.41/containers/web", {"force": "1"}),
    "docker system prune": ("POST", "/v1.41/containers/prune", {}),
    "docker image prune -a": ("POST", "/v1.41/images/prune", {}),
    "docker system df": ("GET", "/v1.41/system/df", {}),
    "docker info": ("GET", "/v1.41/info", {}),
    "docker version (its ping)": ("HEAD", "/_ping", {}),
    "docker inspect data (probes plugins)": ("GET", "/v1.41/plugins/data/json", {}),
    "docker pull (distribution)": ("GET", "/v1.41/distribution/busybox/json", {}),
    "docker events": ("GET", "/v1.41/events", {}),
}


@pytest.mark.parametrize(("method", "path", "query"), ALLOWED_REQUESTS.values(), ids=ALLOWED_REQUESTS.keys())
def test_the_rest_of_the_api_is_allowed(method: str, path: str, query: dict[str, str]) -> None:
    assert ask(method, path, query=query) is None


@pytest.mark.parametrize(
    ("method", "path", "needed"),
    [
        ("POST", CREATE, True),
        ("POST", "/v1.41/containers/web/exec", True),
        ("POST", "/volumes/create", True),
        ("POST", "/v1.41/build", False),
        ("POST", "/v1.41/images/load", False),
        ("GET", "/v1.41/containers/create", False),
    ],
)
def test_only_small_json_configurations_are_read_whole(method: str, path: str, needed: bool) -> None:
    assert policy.needs_body(method, path) is needed
