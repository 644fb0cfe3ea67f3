"""The guard's policy: what a student's setup.sh may ask the sandbox engine, as the docker CLI asks it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from grader.sandbox.guard import policy, refusal

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


OLD_CGROUPNS = "`--cgroupns host`"


@pytest.mark.parametrize("version", ["v1.24", "v1.40", "v1.40.9"])
def test_an_old_api_create_must_ask_for_a_private_cgroup_namespace(version: str) -> None:
    """Before API 1.41 the engine gives a container the machine's cgroup namespace unless told
    otherwise (on cgroup v1 hosts): an old client must say `--cgroupns private`."""
    path = f"/{version}/containers/create"
    assert OLD_CGROUPNS in (ask("POST", path, run()) or "")
    assert OLD_CGROUPNS in (ask("POST", path, json.dumps({"Image": "busybox", "HostConfig": {}})) or "")
    assert ask("POST", path, run(CgroupnsMode="private")) is None


@pytest.mark.parametrize(
    "path", ["/v1.41/containers/create", "/containers/create", "/v1.41.0/containers/create"]
)
def test_an_api_1_41_create_leaves_the_cgroup_namespace_to_the_engine(path: str) -> None:
    assert ask("POST", path, run()) is None


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
    # the engine makes a missing source folder, here in the sandbox's own files (the checks' toolkit)
    "docker run -v /grader/probe/made:/x:ro busybox": (
        run(Binds=["/grader/probe/made:/x:ro"]),
        "machine's /grader/probe/made",
    ),
    "docker run -v /grader/probe/bin/made:/x:ro busybox": (
        run(Binds=["/grader/probe/bin/made:/x:ro"]),
        "machine's /grader/probe/bin/made",
    ),
    "docker run --mount type=bind,source=/grader/probe/bin,target=/p,readonly busybox": (
        run(Mounts=[{"Type": "bind", "Source": "/grader/probe/bin", "Target": "/p", "ReadOnly": True}]),
        "/grader/probe/bin",
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


def test_a_refused_compose_service_is_named_and_its_name_bounded() -> None:
    def compose(service: object, **host_config: Any) -> str:
        labels = {"com.docker.compose.service": service, "com.docker.compose.project": "shop"}
        return create(Image="busybox", Labels=labels, HostConfig=host_config)

    web = ask("POST", CREATE, compose("web", Privileged=True)) or ""
    assert web.startswith("Refused: compose service `web`: ") and "`--privileged`" in web
    assert ask("POST", CREATE, compose("web")) is None
    hostile = ask("POST", CREATE, compose("x\x1b[2J" + "y" * 500, Privileged=True)) or ""
    assert hostile.startswith("Refused: ") and "\x1b" not in hostile and "compose service" not in hostile
    for odd in ("s" * 500, "w` **b** [l](http://e)"):  # too long, or Markdown
        assert "compose service" not in (ask("POST", CREATE, compose(odd, Privileged=True)) or "x")
    folded = create(Labels={"COM.docker.compose.service": "web"}, HostConfig={"Privileged": True})
    assert "compose service" not in (ask("POST", CREATE, folded) or "x"), "Go's map keys are exact"
    assert "compose service" not in (ask("POST", CREATE, compose(["web"], Privileged=True)) or "x")


def test_an_exec_as_the_python_sdk_sends_it_is_allowed() -> None:
    """docker-py's `exec_run` (the notebook kernels' SDK) names the container in the body too."""
    body = {
        "Container": "web",
        "User": "",
        "Privileged": False,
        "Tty": False,
        "AttachStdin": False,
        "AttachStdout": True,
        "AttachStderr": True,
        "Cmd": ["echo", "hi"],
        "Env": None,
    }
    assert ask("POST", "/v1.41/containers/web/exec", json.dumps(body)) is None


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
    # the engine splits `o` on commas and matches each flag exactly: " bind" is no bind to it, and is
    # handed to the file system, which debugfs and bpf ignore: the machine's kernel files, mounted
    "API: o=' bind' (a debugfs volume, not a bind, to the engine)": (
        {"DriverOpts": {"type": "debugfs", "o": " bind", "device": "/submission"}},
        "`--opt type=debugfs`",
    ),
    "API: o='bind ' (a bpf volume)": (
        {"DriverOpts": {"type": "bpf", "o": "bind ", "device": "/submission"}},
        "`--opt type=bpf`",
    ),
    "API: o='ro,\\tbind'": (
        {"DriverOpts": {"type": "debugfs", "o": "ro,\tbind", "device": "/submission"}},
        "`--opt type=debugfs`",
    ),
    "docker volume create --opt type=debugfs --opt o=bind --opt device=/submission/d v": (
        {"DriverOpts": {"type": "debugfs", "o": "bind", "device": "/submission/d"}},
        "`--opt type=debugfs`",
    ),
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
    "docker volume create --opt o=bind,ro --opt device=/submission/data d": {
        "DriverOpts": {"o": "bind,ro", "device": "/submission/data"}
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
    "docker buildx build . (not upgraded)": (("POST", "/v1.41/grpc", b""), {}, "as buildx speaks it"),
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
    "API: a version of 5000 digits (past Python's int)": (
        ("POST", "/v1." + "9" * 5000 + "/containers/create", run()),
        {},
        "not one any Docker engine speaks",
    ),
    "API: a version of 5000 zeros before 1.23": (
        ("POST", "/v" + "0" * 5000 + "1.23/containers/web/start", b'{"Privileged": true}'),
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
    "API: /v01.0044 (leading zeros, which Go's Atoi reads)": ("GET", "/v01.0044/info", {}),
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


# The allowlist: what the docker CLIs send, captured (fixtures/cli-*.json beside this file), and odd shapes.

FIXTURES = Path(__file__).parent / "fixtures"
CAPTURED = [
    pytest.param(record, id=f"{name} {record['method']} {record['path']} ({record['command'][:60]})")
    for name in ("cli-20.10", "cli-28.2", "cli-26.1", "compose-1.29", "compose-2.26")
    for record in json.loads((FIXTURES / f"{name}.json").read_text())
]
"""Every request of ordinary course commands, recorded through a guard in front of a sandbox: the 20.10
CLI of the bookworm runner, the host's 28.2 CLI, notebook 11's docker-compose 1.29 (docker-py) in a
kernel, and the trixie runner's 26.1 CLI and compose 2.26 plugin (`python -m tests.sandbox.guard.record`)."""


@pytest.mark.parametrize("record", CAPTURED)
def test_everything_the_docker_clis_send_for_course_commands_is_allowed(record: dict[str, Any]) -> None:
    body = b"" if record["body"] is None else json.dumps(record["body"]).encode()
    message = refusal(record["method"], record["path"], record["query"], body, allowed_bind_roots=("/tmp",))
    assert message is None


def create(**document: Any) -> str:
    return json.dumps(document)


ODD_CREATES = {
    "top level, HostConfig missing": ('{"Image": "busybox", "Privileged": true}', "`Privileged`"),
    "top level, HostConfig null": ('{"Privileged": true, "HostConfig": null}', "`Privileged`"),
    "top level beside a harmless HostConfig": (
        create(Image="busybox", Binds=["/:/host"], HostConfig={}),
        "`Binds` is a `HostConfig` field sent outside",
    ),
    "top level, lowercase": ('{"privileged": true, "HostConfig": {}}', "`privileged`"),
    "top level, Cpuset (deprecated)": ('{"Cpuset": "0", "HostConfig": {}}', "`Cpuset`"),
    "top level, a resource": ('{"Memory": 1, "HostConfig": {}}', "`Memory`"),
    "HostConfig missing": ('{"Image": "busybox"}', "no `HostConfig`"),
    "HostConfig null": (
        '{"Image": "busybox", "HostConfig": null}',
        "`HostConfig` must be an object, not null",
    ),
    "HostConfig a list": ('{"HostConfig": []}', "`HostConfig` must be an object"),
    "HostConfig given twice": ('{"HostConfig": {}, "hostconfig": {}}', "`HostConfig` is given twice"),
    "a harmless key given twice": ('{"Image": "a", "IMAGE": "b", "HostConfig": {}}', "given twice"),
    "Privileged false given twice": (
        '{"HostConfig": {"Privileged": false, "privileged": false}}',
        "`HostConfig.Privileged` is given twice",
    ),
    "PRIVILEGED": ('{"HostConfig": {"PRIVILEGED": true}}', "`--privileged`"),
    "Privileged as text": ('{"HostConfig": {"Privileged": "true"}}', "`--privileged`"),
    "Privileged as 1": ('{"HostConfig": {"Privileged": 1}}', "`--privileged`"),
    "unknown HostConfig field": ('{"HostConfig": {"Foo": 1}}', "`HostConfig.Foo` is not something"),
    "unknown top-level field": ('{"Foo": 1, "HostConfig": {}}', "`Foo` is not something the course needs"),
    "Privileged inside NetworkingConfig": (
        '{"HostConfig": {}, "NetworkingConfig": {"Privileged": true}}',
        "`NetworkingConfig.Privileged` is not",
    ),
    "Privileged inside a Mount": (
        '{"HostConfig": {"Mounts": [{"Type": "volume", "Target": "/x", "Privileged": true}]}}',
        "`HostConfig.Mounts[0].Privileged` is not",
    ),
    "Binds inside Healthcheck": (
        '{"Healthcheck": {"Binds": ["/:/h"]}, "HostConfig": {}}',
        "`Healthcheck.Binds` is not",
    ),
    "HostConfig inside HostConfig": (
        '{"HostConfig": {"HostConfig": {"Privileged": true}}}',
        "`HostConfig.HostConfig` is not",
    ),
    "Memory as text": ('{"HostConfig": {"Memory": "1g"}}', "`HostConfig.Memory` must be a whole number"),
    "Memory as a fraction": ('{"HostConfig": {"Memory": 1.5}}', "must be a whole number"),
    "Binds as text": ('{"HostConfig": {"Binds": "/:/h"}}', "`HostConfig.Binds` must be a list"),
    "Mounts as an object": ('{"HostConfig": {"Mounts": {"Type": "bind"}}}', "must be a list"),
    "Env as text": ('{"Env": "A=1", "HostConfig": {}}', "`Env` must be a list"),
    "LogConfig null": ('{"HostConfig": {"LogConfig": null}}', "`HostConfig.LogConfig` must be an object"),
    "RestartPolicy null": ('{"HostConfig": {"RestartPolicy": null}}', "must be an object, not null"),
    "a label given twice": ('{"Labels": {"a": "1", "a": "2"}, "HostConfig": {}}', "given twice"),
    "NaN": ('{"HostConfig": {"Memory": NaN}}', "not valid JSON"),
    "a list, not an object": ("[]", "must be an object"),
}


@pytest.mark.parametrize(("body", "named"), ODD_CREATES.values(), ids=ODD_CREATES.keys())
def test_a_container_configuration_in_odd_shapes_is_refused_naming_the_field(body: str, named: str) -> None:
    message = ask("POST", CREATE, body)
    assert message is not None and message.startswith("Refused: ")
    assert named in message


MORE_REFUSED_RUNS = {
    "docker run --cgroupns host busybox": (run(CgroupnsMode="host"), "`--cgroupns host`"),
    "docker run --ipc HOST busybox": (run(IpcMode="HOST"), "`--ipc host`"),
    "docker run --uts HOST busybox": (run(UTSMode="HOST"), "`--uts host`"),
    "docker run --cgroup host (API: Cgroup)": (run(Cgroup="host"), "`--cgroup`"),
    "docker run --network HOST busybox": (run(NetworkMode="HOST"), "`--network host`"),
    "docker run --log-driver syslog busybox": (run(LogConfig={"Type": "syslog"}), "`--log-driver syslog`"),
    "docker run --log-driver gelf --log-opt gelf-address=udp://1.2.3.4 busybox": (
        run(LogConfig={"Type": "gelf", "Config": {"gelf-address": "udp://1.2.3.4:12201"}}),
        "`--log-driver gelf`",
    ),
    "docker run --log-driver fluentd busybox": (run(LogConfig={"Type": "fluentd"}), "`--log-driver fluentd`"),
    "docker run --log-opt syslog-address=tcp://x busybox": (
        run(LogConfig={"Type": "json-file", "Config": {"syslog-address": "tcp://x:1"}}),
        "`HostConfig.LogConfig.Config['syslog-address']`",
    ),
    "docker run --mount type=npipe,...": (run(Mounts=[{"Type": "npipe", "Target": "/x"}]), "type=npipe"),
    "docker run --mount type=cluster,...": (
        run(Mounts=[{"Type": "cluster", "Target": "/x"}]),
        "type=cluster",
    ),
    "docker run --mount type=image,...": (run(Mounts=[{"Type": "image", "Target": "/x"}]), "type=image"),
    "docker run --mount ...,bind-propagation=rshared": (
        run(
            Mounts=[
                {
                    "Type": "bind",
                    "Source": "/tmp/x",
                    "Target": "/x",
                    "BindOptions": {"Propagation": "rshared"},
                }
            ]
        ),
        "bind-propagation=rshared",
    ),
    "docker run -v /tmp/x:/x:rshared busybox": (run(Binds=["/tmp/x:/x:rshared"]), "`-v /tmp/x:/x:rshared`"),
    "docker run --mount ...,volume-driver=rexray": (
        run(
            Mounts=[{"Type": "volume", "Target": "/x", "VolumeOptions": {"DriverConfig": {"Name": "rexray"}}}]
        ),
        "`--mount volume-driver= rexray`",
    ),
    "docker run --volume-driver rexray busybox": (run(VolumeDriver="rexray"), "`--volume-driver rexray`"),
    "docker run --isolation hyperv busybox": (run(Isolation="hyperv"), "`--isolation`"),
    "docker run --oom-score-adj -1000 busybox": (run(OomScoreAdj=-1000), "`--oom-score-adj`"),
    "docker run --oom-kill-disable busybox": (run(OomKillDisable=True), "`--oom-kill-disable`"),
    "docker run --storage-opt size=1G busybox": (run(StorageOpt={"size": "1G"}), "`--storage-opt`"),
    "docker run --annotation a=b busybox": (run(Annotations={"a": "b"}), "`--annotation`"),
    "docker run --device-read-bps /dev/sda:1mb busybox": (
        run(BlkioDeviceReadBps=[{"Path": "/dev/sda", "Rate": 1}]),
        "`--device-read-bps`",
    ),
    "docker run --cpu-rt-runtime 950000 busybox": (run(CpuRealtimeRuntime=950000), "`--cpu-rt-runtime`"),
    "API: MaskedPaths given, even empty": (run(MaskedPaths=[]), "systempaths=unconfined"),
    "API: Capabilities as text": (run(Capabilities="CAP_SYS_ADMIN"), "`--cap-add`"),
    "docker run --network learning with an endpoint on host": (
        json.dumps({"HostConfig": {}, "NetworkingConfig": {"EndpointsConfig": {"host": {}}}}),
        "`--network host`",
    ),
    "docker run --network learning with --driver-opt": (
        json.dumps(
            {"HostConfig": {}, "NetworkingConfig": {"EndpointsConfig": {"l": {"DriverOpts": {"a": "b"}}}}}
        ),
        "`--driver-opt`",
    ),
    "docker run --restart sometimes busybox": (run(RestartPolicy={"Name": "sometimes"}), "`--restart"),
    "docker run --mount type=volume,...,volume-opt=type=debugfs,volume-opt=o=' bind'": (
        run(
            Mounts=[
                {
                    "Type": "volume",
                    "Target": "/x",
                    "VolumeOptions": {
                        "DriverConfig": {
                            "Options": {"type": "debugfs", "o": " bind", "device": "/submission"}
                        }
                    },
                }
            ]
        ),
        "`--mount volume-opt=type=debugfs`",
    ),
    # runc reads `bind` among a tmpfs' options as a bind mount of a file beside the container's root
    "docker run --tmpfs /x:bind busybox": (run(Tmpfs={"/x": "bind"}), "`--tmpfs /x:bind`"),
    "docker run --tmpfs /x:size=1m,rbind busybox": (
        run(Tmpfs={"/x": "size=1m,rbind"}),
        "`--tmpfs /x:size=1m,rbind`",
    ),
    "docker run --tmpfs /x:rshared busybox": (run(Tmpfs={"/x": "rshared"}), "`rshared`"),
    "docker run --tmpfs /x:remount busybox": (run(Tmpfs={"/x": "remount"}), "`remount`"),
    "docker run --tmpfs /x:bogus=1 busybox": (run(Tmpfs={"/x": "bogus=1"}), "`bogus=1`"),
    "API 1.46: --mount type=tmpfs with a bind among its options": (
        run(Mounts=[{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"Options": [["exec"], ["rbind"]]}}]),
        "`--mount type=tmpfs,tmpfs-option=rbind`",
    ),
    "API 1.46: --mount type=tmpfs with an odd key": (
        run(Mounts=[{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"Options": [["bind", "1"]]}}]),
        "`--mount type=tmpfs,tmpfs-option=bind=1`",
    ),
    "docker run --mount type=bind ReadOnly given as text": (
        run(Mounts=[{"Type": "bind", "Source": "/grader/probe", "Target": "/p", "ReadOnly": "true"}]),
        "`HostConfig.Mounts[0].ReadOnly` must be true or false",
    ),
}


@pytest.mark.parametrize(("body", "named"), MORE_REFUSED_RUNS.values(), ids=MORE_REFUSED_RUNS.keys())
def test_more_settings_past_the_sandbox_are_refused(body: bytes | str, named: str) -> None:
    message = ask("POST", CREATE, body)
    assert message is not None and named in message


MORE_ALLOWED_RUNS = {
    "docker run --cgroupns private busybox": run(CgroupnsMode="private"),
    "docker run --ipc shareable busybox": run(IpcMode="shareable"),
    "docker run --log-driver local --log-opt max-size=1m busybox": run(
        LogConfig={"Type": "local", "Config": {"max-size": "1m", "max-file": "2"}}
    ),
    "docker run --log-driver none busybox": run(LogConfig={"Type": "none", "Config": None}),
    "docker run --ulimit nofile=1024:2048 --ulimit nproc=64 busybox": run(
        Ulimits=[{"Name": "nofile", "Soft": 1024, "Hard": 2048}, {"Name": "nproc", "Soft": 64, "Hard": 64}]
    ),
    "docker run --mount type=tmpfs,tmpfs-size=1m,tmpfs-mode=1770": run(
        Mounts=[{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 1048576, "Mode": 1016}}]
    ),
    "docker run --mount ...,bind-propagation=rslave": run(
        Mounts=[
            {"Type": "bind", "Source": "/tmp/x", "Target": "/x", "BindOptions": {"Propagation": "rslave"}}
        ]
    ),
    "docker run --ipc container:web --network container:web busybox": run(
        IpcMode="container:web", NetworkMode="container:web"
    ),
    "docker run --oom-score-adj 500 --shm-size 64m busybox": run(OomScoreAdj=500, ShmSize=67108864),
    "docker run --network learning --ip 10.0.0.5 --network-alias db busybox": json.dumps(
        {
            "HostConfig": {"NetworkMode": "learning"},
            "NetworkingConfig": {
                "EndpointsConfig": {
                    "learning": {"IPAMConfig": {"IPv4Address": "10.0.0.5"}, "Aliases": ["db"]}
                }
            },
        }
    ),
    "docker run --init --read-only --stop-timeout 3 busybox": json.dumps(
        {"StopTimeout": 3, "HostConfig": {"Init": True, "ReadonlyRootfs": True}}
    ),
    "API: Cmd as text (StrSlice)": json.dumps({"Cmd": "echo hi", "HostConfig": {}}),
    "docker run --tmpfs /cache busybox": run(Tmpfs={"/cache": ""}),
    "docker run --mount type=tmpfs,dst=/t,tmpfs-option=exec,tmpfs-option=uid=1000 busybox (API 1.46)": run(
        Mounts=[{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"Options": [["exec"], ["uid", "1000"]]}}]
    ),
    "docker run --tmpfs /cache:rw,exec,suid,dev,size=64m,mode=1777,uid=1000,gid=1000 busybox": run(
        Tmpfs={"/cache": "rw,exec,suid,dev,size=64m,mode=1777,uid=1000,gid=1000"}
    ),
    "docker run --tmpfs /run:ro,noexec,nosuid,nodev,noatime,nr_inodes=1k busybox": run(
        Tmpfs={"/run": "ro,noexec,nosuid,nodev,noatime,nr_inodes=1k"}
    ),
}


@pytest.mark.parametrize("body", MORE_ALLOWED_RUNS.values(), ids=MORE_ALLOWED_RUNS.keys())
def test_harmless_settings_are_allowed(body: bytes | str) -> None:
    assert ask("POST", CREATE, body) is None


EXEC = "/v1.41/containers/web/exec"
EXEC_START = "/v1.41/exec/0123abc/start"
REFUSED_BODIES = {
    "exec: PRIVILEGED": (EXEC, '{"PRIVILEGED": true, "Cmd": ["sh"]}', "`docker exec --privileged`"),
    "exec: Privileged given twice": (EXEC, '{"Privileged": false, "privileged": false}', "given twice"),
    "exec: an unknown field": (EXEC, '{"Cmd": ["sh"], "HostConfig": {}}', "`HostConfig` is not"),
    "exec: a CapAdd": (EXEC, '{"Cmd": ["sh"], "CapAdd": ["ALL"]}', "`CapAdd` is not"),
    "exec: Cmd a number": (EXEC, '{"Cmd": 1}', "`Cmd` must be a list"),
    "exec: not an object": (EXEC, "null", "must be an object"),
    "exec start: a HostConfig": (EXEC_START, '{"HostConfig": {"Privileged": true}}', "`HostConfig` is not"),
    "exec start: Privileged": (EXEC_START, '{"Detach": false, "Privileged": true}', "`Privileged` is not"),
    "start: a HostConfig (v1.41)": (
        "/v1.41/containers/web/start",
        '{"HostConfig": {"Privileged": true}}',
        policy.START_BODY,
    ),
    "start: a HostConfig (no version)": ("/containers/web/start", '{"Privileged": true}', policy.START_BODY),
    "update: Privileged": ("/v1.41/containers/web/update", '{"Privileged": true}', "`Privileged` is not"),
    "update: CapAdd": ("/v1.41/containers/web/update", '{"CapAdd": ["ALL"]}', "`CapAdd` is not"),
    "update: devices": (
        "/v1.41/containers/web/update",
        '{"Devices": [{"PathOnHost": "/dev/sda"}]}',
        "`--device`",
    ),
    "update: cgroup parent": ("/v1.41/containers/web/update", '{"CgroupParent": "/"}', "`--cgroup-parent`"),
    "network create -d macvlan -o parent=eth0": (
        "/v1.41/networks/create",
        '{"Name": "m", "Driver": "macvlan", "Options": {"parent": "eth0"}}',
        "`docker network create --driver macvlan`",
    ),
    "network create -d ipvlan": ("/v1.41/networks/create", '{"Name": "i", "driver": "ipvlan"}', "ipvlan"),
    "network create -d overlay": ("/v1.41/networks/create", '{"Name": "o", "Driver": "overlay"}', "overlay"),
    "network create -o parent=eth0 (bridge)": (
        "/v1.41/networks/create",
        '{"Name": "b", "Options": {"parent": "eth0"}}',
        "`Options['parent']` is not",
    ),
    "network create -o com.docker.network.bridge.name=docker0": (
        "/v1.41/networks/create",
        '{"Name": "b", "Options": {"com.docker.network.bridge.name": "docker0"}}',
        "com.docker.network.bridge.name",
    ),
    "network create --ipam-driver x": (
        "/v1.41/networks/create",
        '{"Name": "b", "IPAM": {"Driver": "x"}}',
        "`--ipam-driver x`",
    ),
    "network create --ingress": ("/v1.41/networks/create", '{"Name": "b", "Ingress": true}', "swarm"),
    "network create --config-from": (
        "/v1.41/networks/create",
        '{"Name": "b", "ConfigFrom": {"Network": "m"}}',
        "swarm",
    ),
    "network create --scope swarm": ("/v1.41/networks/create", '{"Name": "b", "Scope": "swarm"}', "swarm"),
    "network create: Driver given twice": (
        "/v1.41/networks/create",
        '{"Name": "b", "Driver": "bridge", "DRIVER": "bridge"}',
        "given twice",
    ),
    "network create: IPAM null-typed Config": (
        "/v1.41/networks/create",
        '{"Name": "b", "IPAM": {"Config": {"Subnet": "10.0.0.0/8"}}}',
        "`IPAM.Config` must be a list",
    ),
    "network connect host web": ("/v1.41/networks/host/connect", '{"Container": "web"}', "`--network host`"),
    "network connect --driver-opt": (
        "/v1.41/networks/l/connect",
        '{"Container": "web", "EndpointConfig": {"DriverOpts": {"a": "b"}}}',
        "`--driver-opt`",
    ),
    "network connect: Privileged in the endpoint": (
        "/v1.41/networks/l/connect",
        '{"Container": "web", "EndpointConfig": {"Privileged": true}}',
        "`EndpointConfig.Privileged` is not",
    ),
    "network disconnect: an unknown field": (
        "/v1.41/networks/l/disconnect",
        '{"Container": "web", "Foo": 1}',
        "`Foo` is not",
    ),
    "volume create: a cluster volume": (
        "/v1.41/volumes/create",
        '{"Name": "v", "ClusterVolumeSpec": {}}',
        "`ClusterVolumeSpec` is not",
    ),
    "volume create: an option the local driver does not know": (
        "/v1.41/volumes/create",
        '{"Name": "v", "DriverOpts": {"TYPE": "nfs"}}',
        "`DriverOpts['TYPE']` is not",
    ),
    "volume create: driver given twice": (
        "/v1.41/volumes/create",
        '{"Driver": "local", "driver": "local"}',
        "given twice",
    ),
}


@pytest.mark.parametrize(("path", "body", "named"), REFUSED_BODIES.values(), ids=REFUSED_BODIES.keys())
def test_other_configurations_are_checked_field_by_field(path: str, body: str, named: str) -> None:
    message = ask("POST", path, body)
    assert message is not None and message.startswith("Refused: ")
    assert named in message


ALLOWED_BODIES = {
    "exec start, empty": (EXEC_START, ""),
    "exec start, {}": (EXEC_START, "{}"),
    "exec start -d with a console size": (
        EXEC_START,
        '{"Detach": true, "Tty": true, "ConsoleSize": [24, 80]}',
    ),
    "start, empty": ("/v1.41/containers/web/start", ""),
    "start, {}": ("/v1.41/containers/web/start", "{}"),
    "update --memory 64m --restart always": (
        "/v1.41/containers/web/update",
        '{"Memory": 67108864, "RestartPolicy": {"Name": "always"}}',
    ),
    "network create with enable_icc off": (
        "/v1.41/networks/create",
        '{"Name": "b", "Driver": "bridge", "Options": {"com.docker.network.bridge.enable_icc": "false"}}',
    ),
    "network create --internal": ("/v1.41/networks/create", '{"Name": "b", "Internal": true}'),
    "network disconnect -f": ("/v1.41/networks/l/disconnect", '{"Container": "web", "Force": true}'),
}


@pytest.mark.parametrize(("path", "body"), ALLOWED_BODIES.values(), ids=ALLOWED_BODIES.keys())
def test_other_harmless_configurations_are_allowed(path: str, body: str) -> None:
    assert ask("POST", path, body) is None


REFUSED_QUERIES = {
    "docker build https://github.com/x/y.git": (
        "/v1.41/build",
        {"remote": "https://github.com/x/y.git"},
        "URL",
    ),
    "docker build --isolation hyperv": ("/v1.41/build", {"isolation": "hyperv"}, "`docker build --isolation"),
    "docker build --output": ("/v1.41/build", {"outputs": '[{"Type": "local"}]'}, "`--output` is BuildKit's"),
    "build: a session": ("/v1.41/build", {"session": "abc"}, "BuildKit"),
    "build: a build id": ("/v1.41/build", {"buildid": "abc"}, "BuildKit"),
    "build: version 3": ("/v1.41/build", {"version": "3"}, "classic builder"),
    "docker build --security-opt": (
        "/v1.41/build",
        {"securityopt": "seccomp=unconfined"},
        "build --security-opt`",
    ),
    "docker build --network HOST": ("/v1.41/build", {"networkmode": "HOST"}, "`docker build --network host`"),
    "build: an unknown parameter": ("/v1.41/build", {"privileged": "1"}, "`?privileged=` on `POST /build`"),
    "build: NetworkMode (the engine reads networkmode)": (
        "/v1.41/build",
        {"NetworkMode": "x"},
        "`?NetworkMode=`",
    ),
    "docker import http://example.com/x.tar": (
        "/v1.41/images/create",
        {"fromSrc": "http://example.com/x.tar"},
        "`docker import http://example.com/x.tar`",
    ),
    "create: an unknown parameter": (
        CREATE,
        {"checkpoint": "c"},
        "`?checkpoint=` on `POST /containers/create`",
    ),
    "start --checkpoint": ("/v1.41/containers/web/start", {"checkpoint": "c"}, "`?checkpoint=`"),
    "network create: a parameter": ("/v1.41/networks/create", {"driver": "macvlan"}, "`?driver=`"),
}


@pytest.mark.parametrize(("path", "query", "named"), REFUSED_QUERIES.values(), ids=REFUSED_QUERIES.keys())
def test_query_parameters_are_an_allowlist_per_route(path: str, query: dict[str, str], named: str) -> None:
    body = "{}" if path == "/v1.41/networks/create" else b""
    message = ask("POST", path, body, query)
    assert message is not None and named in message


def test_each_value_of_a_parameter_given_twice_is_checked() -> None:
    query = {"networkmode": ["default", "host"], "version": ["1"]}
    message = refusal("POST", "/v1.41/build", query, b"", allowed_bind_roots=ROOTS)
    assert message is not None and "`docker build --network host`" in message


def test_an_import_from_the_requests_body_is_allowed() -> None:
    assert ask("POST", "/v1.41/images/create", query={"fromSrc": "-", "repo": "mine"}) is None


REFUSED_ROUTES = {
    "docker checkpoint create": (
        "POST",
        "/v1.41/containers/web/checkpoints",
        "`POST /containers/web/checkpoints`",
    ),
    "PUT a volume (cluster volumes)": ("PUT", "/v1.43/volumes/v", "`PUT /volumes/v`"),
    "an unknown GET": ("GET", "/v1.41/foo", "`GET /foo`"),
    "OPTIONS": ("OPTIONS", "/v1.41/containers/json", "`OPTIONS /containers/json`"),
    "DELETE a container's files": ("DELETE", "/v1.41/containers/web/archive", None),
    "a container export by POST": ("POST", "/v1.41/containers/web/export", "`POST /containers/web/export`"),
    "buildx's /grpc by GET": ("GET", "/grpc", "BuildKit"),
    "docker plugin enable": ("POST", "/v1.41/plugins/x/enable", "`docker plugin`"),
    "docker service ls (its POST-less reads are fine, a create is not)": (
        "POST",
        "/v1.41/services/create",
        "swarm mode",
    ),
    "a network id with a slash": ("POST", "/v1.41/networks/a/b/connect", "not something the course needs"),
}


@pytest.mark.parametrize(("method", "path", "named"), REFUSED_ROUTES.values(), ids=REFUSED_ROUTES.keys())
def test_routes_the_course_does_not_need_are_refused_naming_them(
    method: str, path: str, named: str | None
) -> None:
    message = ask(method, path, "{}")
    if named is None:  # DELETE /containers/{name:.*} reads it as a container named `web/archive`
        assert message is None
    else:
        assert message is not None and named in message


@pytest.mark.parametrize(
    ("method", "path", "needed"),
    [
        ("POST", "/v1.41/containers/web/update", True),
        ("POST", "/v1.41/containers/web/start", True),
        ("POST", "/v1.41/exec/abc/start", True),
        ("POST", "/v1.41/networks/create", True),
        ("POST", "/v1.41/networks/learning/connect", True),
        ("POST", "/v1.41/networks/learning/disconnect", True),
        ("PUT", "/v1.41/containers/web/archive", False),
        ("POST", "/v1.41/containers/web/attach", False),
    ],
)
def test_every_configuration_checked_is_read_whole(method: str, path: str, needed: bool) -> None:
    assert policy.needs_body(method, path) is needed


@pytest.mark.parametrize(
    "added",
    [["NET_RAW"], ["cap_net_raw"], ["CHOWN", "KILL"], ["Cap_Setuid"]],
    ids=lambda added: ",".join(added),
)
def test_adding_back_one_of_dockers_default_capabilities_is_allowed(added: list[str]) -> None:
    """`--cap-drop ALL --cap-add NET_RAW` (the grader's own lookouts) gives nothing a plain run lacks."""
    assert ask("POST", CREATE, run(CapDrop=["ALL"], CapAdd=added)) is None


@pytest.mark.parametrize(
    "added",
    [["ALL"], ["SYS_PTRACE"], ["NET_RAW", "NET_ADMIN"], ["ſys_admin"], ["NET_RAW "], "NET_RAW", [1]],
    ids=str,
)
def test_adding_any_other_capability_is_refused(added: object) -> None:
    message = ask("POST", CREATE, run(CapAdd=added))
    assert message is not None and "`--cap-add`" in message
