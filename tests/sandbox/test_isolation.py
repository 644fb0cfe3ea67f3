"""Defence in depth behind the guard: what a sandbox, its runner and its kernel may do, tried for real.

The sandbox holds only the capabilities and system calls a nested engine needs;
runc's leaked-descriptor escape stays closed; runners and kernels write only to
bounded memory and get the sandbox's CPU; the guard's socket is its runner's
alone; every sandbox sits on a network of its own, with no route off the
machine, to another sandbox, or to the host's services.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import docker.errors
import nbformat
import pytest
from docker.models.containers import Container

from grader.course import notebook_sandbox
from grader.host import labels
from grader.host import userns as userns_module
from grader.host.baseimages import sandbox_engine
from grader.sandbox import runner
from grader.sandbox import sandbox as sandbox_module
from grader.sandbox.build import build
from grader.sandbox.context import pack
from grader.sandbox.guard import Guard, guard_of
from grader.sandbox.runner import ScriptResult, run_script
from grader.sandbox.sandbox import CAPABILITIES, SECCOMP_PROFILE, Sandbox, SandboxLimits
from tests.sandboxes import BUSYBOX, SMALL, started

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HALF_A_CPU = SandboxLimits(memory="512m", disk="256m", pids=256, cpus=0.5)
PROBE = "/grader/probe/busybox"
CAP_NUMBERS = {
    "CHOWN": 0, "DAC_OVERRIDE": 1, "DAC_READ_SEARCH": 2, "FOWNER": 3, "FSETID": 4, "KILL": 5, "SETGID": 6,
    "SETUID": 7, "SETPCAP": 8, "LINUX_IMMUTABLE": 9, "NET_BIND_SERVICE": 10, "NET_BROADCAST": 11,
    "NET_ADMIN": 12, "NET_RAW": 13, "IPC_LOCK": 14, "IPC_OWNER": 15, "SYS_MODULE": 16, "SYS_RAWIO": 17,
    "SYS_CHROOT": 18, "SYS_PTRACE": 19, "SYS_PACCT": 20, "SYS_ADMIN": 21, "SYS_BOOT": 22, "SYS_NICE": 23,
    "SYS_RESOURCE": 24, "SYS_TIME": 25, "SYS_TTY_CONFIG": 26, "MKNOD": 27, "LEASE": 28, "AUDIT_WRITE": 29,
    "AUDIT_CONTROL": 30, "SETFCAP": 31, "MAC_OVERRIDE": 32, "MAC_ADMIN": 33, "SYSLOG": 34, "WAKE_ALARM": 35,
    "BLOCK_SUSPEND": 36, "AUDIT_READ": 37, "PERFMON": 38, "BPF": 39, "CHECKPOINT_RESTORE": 40,
}  # fmt: skip
NEVER = (
    *("SYS_MODULE", "SYS_RAWIO", "SYS_BOOT", "SYS_TIME", "MAC_ADMIN", "MAC_OVERRIDE", "SYSLOG"),
    *("WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_CONTROL", "LEASE", "LINUX_IMMUTABLE", "NET_BROADCAST"),
    *("SYS_PACCT", "SYS_TTY_CONFIG", "PERFMON", "BPF", "CHECKPOINT_RESTORE", "DAC_READ_SEARCH"),
    *("SYS_RESOURCE", "IPC_OWNER", "IPC_LOCK", "SYS_NICE", "AUDIT_READ"),
)
ESCAPES = (
    *("open_by_handle_at", "kexec_load", "kexec_file_load", "init_module", "finit_module"),
    *("delete_module", "bpf", "perf_event_open", "userfaultfd", "iopl", "ioperm", "reboot"),
    *("settimeofday", "clock_settime", "syslog", "lookup_dcookie", "fanotify_init", "quotactl"),
    *("fsopen", "fsmount", "open_tree", "move_mount", "kcmp", "pidfd_getfd", "acct", "vhangup"),
)


@pytest.fixture(scope="module")
def sandbox(host_engine: docker.DockerClient) -> Iterator[Sandbox]:
    shared = started(host_engine)
    yield shared
    shared.close()


def _in_sandbox(host: docker.DockerClient, sandbox: Sandbox, script: str) -> tuple[int, str]:
    """Run `script` in the sandbox container itself: as root, with every capability it holds."""
    code, output = host.containers.get(sandbox.container_id).exec_run(["sh", "-c", script])
    return int(code), output.decode(errors="replace")


# Capabilities and system calls


def test_the_sandbox_holds_exactly_the_capabilities_a_nested_engine_needs(
    host_engine: docker.DockerClient, sandbox: Sandbox
) -> None:
    _, status = _in_sandbox(host_engine, sandbox, "grep -E '^(CapBnd|CapEff|Seccomp):' /proc/1/status")
    fields = dict(line.split(":\t") for line in status.splitlines())
    expected = sum(1 << CAP_NUMBERS[name] for name in CAPABILITIES)
    assert int(fields["CapBnd"], 16) == expected, status
    assert int(fields["CapEff"], 16) == expected, status
    assert fields["Seccomp"] == "2", "dockerd runs under a seccomp filter"
    held = {name for name, number in CAP_NUMBERS.items() if int(fields["CapBnd"], 16) >> number & 1}
    assert held.isdisjoint(NEVER), held & set(NEVER)


def test_the_seccomp_profile_grants_the_nested_engine_and_denies_the_classic_escapes() -> None:
    profile = json.loads(SECCOMP_PROFILE.read_text())
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO"
    allowed = {
        name
        for rule in profile["syscalls"]
        if rule["action"] == "SCMP_ACT_ALLOW" and "includes" not in rule  # arch-gated ones aside
        for name in rule["names"]
    }
    assert {"mount", "umount2", "unshare", "setns", "pivot_root", "clone", "sethostname"} <= allowed
    assert allowed.isdisjoint(ESCAPES), allowed & set(ESCAPES)
    assert all("caps" not in rule.get("includes", {}) for rule in profile["syscalls"]), (
        "no rule may depend on the capabilities the sandbox holds (it holds SYS_ADMIN)"
    )


def test_a_nested_container_runs_execs_as_another_user_and_publishes_under_the_profile(
    sandbox: Sandbox,
) -> None:
    assert sandbox.client is not None
    container = sandbox.client.containers.run(
        BUSYBOX,
        ["sleep", "60"],
        detach=True,
        user="1000",
        cap_drop=["ALL"],
        mem_limit="64m",
        ports={"80/tcp": None},
    )
    try:
        code, output = container.exec_run(["id", "-u"])
        assert (code, output) == (0, b"1000\n")
    finally:
        container.remove(force=True)


@pytest.mark.hostile
@pytest.mark.usefixtures("leaves_nothing")
@pytest.mark.parametrize("fd", range(3, 11))
def test_runcs_leaked_descriptor_escape_stays_closed(
    host_engine: docker.DockerClient, sandbox: Sandbox, fd: int
) -> None:
    """CVE-2024-21626: a working directory of /proc/self/fd/N once reached the sandbox's own files."""
    assert sandbox.client is not None
    _, hostname = _in_sandbox(host_engine, sandbox, "cat /etc/hostname")
    container = sandbox.client.containers.create(
        BUSYBOX,
        ["sh", "-c", "cat ../../../../etc/hostname; ls ../../../../run/sandbox"],
        working_dir=f"/proc/self/fd/{fd}",
    )
    try:
        try:
            container.start()
        except docker.errors.APIError:  # runc refuses such a working directory: closed
            return
        container.wait(timeout=30)
        output = container.logs().decode(errors="replace")
        assert hostname.strip() not in output and "docker.sock" not in output, output
    finally:
        container.remove(force=True)


def _host_processes_of(container_id: str) -> list[int]:
    """The host's pids of a nested container's processes, found by its id in their cgroup paths."""
    found = []
    for cgroup in Path("/proc").glob("[0-9]*/cgroup"):
        with contextlib.suppress(OSError):
            if container_id in cgroup.read_text():
                found.append(int(cgroup.parent.name))
    return found


def _host_status(pid: int, field: str) -> list[str]:
    """A field of /proc/<pid>/status as the host sees it (`Uid:` gives real, effective, saved, fs)."""
    line = next(
        line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith(field)
    )
    return line.split()[1:]


@pytest.mark.hostile
@pytest.mark.usefixtures("leaves_nothing")
def test_a_container_a_script_starts_runs_as_an_unprivileged_user_of_the_host(
    host_engine: docker.DockerClient, tmp_path: Path
) -> None:
    """By default the nested engine maps its containers' root to REMAPPED_ROOT: root inside, seen from
    the host (its /proc, its uid_map) an unprivileged user, and its limits still set."""
    if reason := userns_module.userns_support(host_engine):
        pytest.skip(f"no user namespace on this machine: {reason}")
    (tmp_path / "setup.sh").write_text(
        "docker run -d --name kept --memory 64m busybox sleep 600 >/dev/null\n"
    )
    sandbox = started(host_engine, submission=pack(tmp_path, limit_bytes=1 << 20, required="setup.sh").tar)
    try:
        with guard_of(sandbox) as guard:
            result = run_script(
                host_engine, sandbox, guard_socket=guard.socket, script="setup.sh", timeout_s=60
            )
        assert result.exit_code == 0 and sandbox.client is not None, result.output
        kept = sandbox.client.containers.get("kept")
        assert kept.exec_run(["id", "-u"]).output == b"0\n"  # root inside
        assert kept.attrs["HostConfig"]["Memory"] == 64 * 1024 * 1024
        pids = _host_processes_of(str(kept.id))
        assert pids, "the nested container's process is not visible from the host"
        remapped = str(userns_module.REMAPPED_ROOT)
        for pid in pids:
            assert _host_status(pid, "Uid:") == _host_status(pid, "Gid:") == [remapped] * 4
            assert Path(f"/proc/{pid}/uid_map").read_text().split() == ["0", remapped, "65536"]
    finally:
        sandbox.close()


@pytest.mark.hostile
@pytest.mark.usefixtures("leaves_nothing")
def test_a_nested_containers_root_cannot_write_what_the_hosts_root_owns(
    host_engine: docker.DockerClient, sandbox: Sandbox
) -> None:
    """Handed a bind past the guard (as an escape from the guard or from its container would be), a
    nested container's root is no root of the host: a file and the engine's socket stay out of reach."""
    assert sandbox.client is not None
    code, _ = _in_sandbox(host_engine, sandbox, "echo kept > /tmp/host-owned && chmod 644 /tmp/host-owned")
    assert code == 0
    binds = {
        "/tmp/host-owned": {"bind": "/f", "mode": "rw"},
        "/run/sandbox": {"bind": "/engine", "mode": "rw"},
    }
    script = "echo changed > /f; ls /engine; [ -w /engine/docker.sock ] && echo engine writable; cat /f"
    container = sandbox.client.containers.run(BUSYBOX, ["sh", "-c", script], volumes=binds, detach=True)
    try:
        container.wait(timeout=30)
        output = container.logs(stderr=False).decode(errors="replace")
        errors = container.logs(stdout=False).decode(errors="replace")  # apart: the two interleave anyhow
    finally:
        container.remove(force=True)
    assert "Permission denied" in errors and output == "kept\n", (output, errors)
    assert "docker.sock" not in output + errors and "engine writable" not in output, output
    _, after = _in_sandbox(host_engine, sandbox, "cat /tmp/host-owned; rm /tmp/host-owned")
    assert after == "kept\n"


# Bounded runners and kernels


@pytest.fixture
def run(host_engine: docker.DockerClient, tmp_path: Path) -> Iterator[Callable[..., ScriptResult]]:
    opened: list[Sandbox] = []

    def run_it(
        text: str, *, limits: SandboxLimits = SMALL, during: Callable[[str], None] | None = None
    ) -> ScriptResult:
        (tmp_path / "setup.sh").write_text(text)
        packed = pack(tmp_path, limit_bytes=1 << 20, required="setup.sh")
        sandbox = started(host_engine, limits, packed.tar)
        opened.append(sandbox)
        with guard_of(sandbox) as guard:
            watcher = threading.Thread(target=during, args=(f"grader-runner-{sandbox.run_id}",), daemon=True)
            if during is not None:
                watcher.start()
            result = run_script(
                host_engine, sandbox, guard_socket=guard.socket, script="setup.sh", timeout_s=60
            )
            if during is not None:
                watcher.join()
            return result

    yield run_it
    for sandbox in opened:
        sandbox.close()


@pytest.mark.hostile
@pytest.mark.usefixtures("leaves_nothing")
def test_a_runner_cannot_fill_the_hosts_disk(run: Callable[..., ScriptResult]) -> None:
    before = _docker_disk_free()
    result = run(
        "dd if=/dev/zero of=/filler bs=1M count=500 2>&1 | head -1\n"
        "dd if=/dev/zero of=/usr/filler bs=1M count=500 2>&1 | head -1\n"
        "dd if=/dev/zero of=/tmp/filler bs=1M count=500 2>&1 | head -1\n"
        "dd if=/dev/zero of=$HOME/filler bs=1M count=500 2>&1 | head -1\n"
        "docker version --format '{{.Server.Version}}' >/dev/null && echo the docker CLI works\n"
    )
    lines = result.output.splitlines()
    assert "Read-only file system" in lines[0] and "Read-only file system" in lines[1], result.output
    assert "No space left on device" in lines[2] and "No space left on device" in lines[3], result.output
    assert "the docker CLI works" in lines, result.output
    assert _docker_disk_free() > before - 100 * 1024 * 1024, "the host's disk filled"


def _docker_disk_free() -> int:
    stat = os.statvfs("/var/lib/docker")
    return stat.f_bavail * stat.f_frsize


@pytest.mark.hostile
@pytest.mark.usefixtures("leaves_nothing")
def test_a_runner_spinning_four_loops_gets_the_sandboxs_cpu_at_most(
    host_engine: docker.DockerClient, run: Callable[..., ScriptResult]
) -> None:
    used: list[float] = []

    def measure(name: str) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                container = host_engine.containers.get(name)
                time.sleep(1)  # the loops are spinning
                used.append(_cpus_used(container))
                return
            except docker.errors.NotFound:
                time.sleep(0.05)

    result = run(
        "for i in 1 2 3 4; do timeout 4 sh -c 'while :; do :; done' & done; wait; echo done\n",
        limits=HALF_A_CPU,
        during=measure,
    )
    assert result.output.strip().endswith("done"), result.output
    assert used and used[0] <= 0.5 * 1.3, f"the runner used {used} CPUs (its bound: 0.5)"
    assert used[0] > 0.5 / 4, f"the loops did not spin ({used} CPUs)"


def _cpus_used(container: Container) -> float:
    """The CPUs a container used over about a second, from its stats (not from wall time)."""
    stats = container.stats(stream=False)
    cpu, pre = stats["cpu_stats"], stats["precpu_stats"]
    used = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
    elapsed = cpu["system_cpu_usage"] - pre.get("system_cpu_usage", 0)
    return float(used / elapsed * cpu.get("online_cpus", os.cpu_count() or 1)) if elapsed > 0 else 0.0


def test_a_runner_and_a_kernel_are_read_only_bounded_and_rotated(sandbox: Sandbox, tmp_path: Path) -> None:
    socket_path = tmp_path / "docker.sock"
    socket_path.touch()
    sandbox.submission_volume = "a-volume"  # guarded() only names it
    try:
        for options in (
            runner.guarded(sandbox, socket_path, memory="64m"),
            notebook_sandbox._kernel_options(sandbox, socket_path),
        ):
            assert options["read_only"] is True
            assert options["nano_cpus"] == int(sandbox.limits.cpus * 1e9)
            assert options["cap_drop"] == ["ALL"]
            assert set(options["tmpfs"]) == {"/tmp", "/root"}
            assert all("size=" in value for value in options["tmpfs"].values())
            assert options["log_config"]["config"]["max-size"]
    finally:
        sandbox.submission_volume = None


# The guard's socket


@pytest.mark.hostile
@pytest.mark.usefixtures("leaves_nothing")
def test_another_local_user_cannot_reach_the_guards_socket(sandbox: Sandbox) -> None:
    if os.getuid() != 0:
        pytest.skip("becoming another user needs root")
    with Guard(sandbox.socket) as guard:
        assert guard.socket.stat().st_mode & 0o777 == 0o600
        assert guard.socket.parent.stat().st_mode & 0o777 == 0o700
        connect = f"import socket; socket.socket(socket.AF_UNIX).connect({str(guard.socket)!r}); print('in')"
        other = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", connect],
            capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
        assert other.returncode != 0 and "PermissionError" in other.stderr, other.stdout + other.stderr
        mine = subprocess.run([sys.executable, "-c", connect], capture_output=True, text=True, check=False)
        assert mine.stdout == "in\n", mine.stderr


@pytest.mark.usefixtures("leaves_nothing")
def test_a_runner_reaches_a_guard_of_a_grader_not_root_through_its_group(
    host_engine: docker.DockerClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a grader in the docker group would leave it: socket 0660 and folder 0710, its user's and
    group's; the runner (root, no capability: no owner's rights) gets in by the group it is given."""
    if os.getuid() != 0:
        pytest.skip("handing the socket to another user needs root")
    (tmp_path / "setup.sh").write_text("docker version --format '{{.Server.Version}}'\n")
    sandbox = started(host_engine, submission=pack(tmp_path, limit_bytes=1 << 20, required="setup.sh").tar)
    try:
        with Guard(sandbox.socket, allowed_bind_roots=sandbox.bind_roots) as guard:
            for path, mode in ((guard.socket, 0o660), (guard.socket.parent, 0o710)):
                os.chown(path, 65534, 65534)
                path.chmod(mode)
            assert runner.guard_groups(guard.socket) == ["65534"]
            result = run_script(
                host_engine, sandbox, guard_socket=guard.socket, script="setup.sh", timeout_s=60
            )
        engine = sandbox_engine.versions_of(sandbox_engine.chosen())["docker"].rsplit("-", 1)[
            0
        ]  # the Debian revision off
        assert (result.exit_code, result.output) == (0, f"{engine}\n"), result.output
        with Guard(sandbox.socket, allowed_bind_roots=sandbox.bind_roots) as guard:  # without the group
            for path, mode in ((guard.socket, 0o660), (guard.socket.parent, 0o710)):
                os.chown(path, 65534, 65534)
                path.chmod(mode)
            monkeypatch.setattr(runner, "guard_groups", lambda _socket: [])
            result = run_script(
                host_engine, sandbox, guard_socket=guard.socket, script="setup.sh", timeout_s=60
            )
        assert result.exit_code != 0 and "permission denied" in result.output, result.output
    finally:
        sandbox.close()


# A network of its own


@pytest.mark.hostile
@pytest.mark.usefixtures("leaves_nothing")
def test_a_sandbox_has_no_route_off_its_own_network(host_engine: docker.DockerClient) -> None:
    sandbox = started(host_engine)
    try:
        code, routes = _in_sandbox(host_engine, sandbox, f"{PROBE} ip route; {PROBE} ip -6 route")
        assert code == 0, routes
        assert "default" not in routes, routes
        network = host_engine.networks.get(f"grader-sandbox-{sandbox.run_id}")
        assert network.attrs["Internal"] is True
        assert network.attrs["Labels"][labels.RUN] == sandbox.run_id
        if os.getuid() == 0:  # what takes a route of its own making is dropped on the host
            bridge = network.attrs["Options"]["com.docker.network.bridge.name"]
            rules = subprocess.run(["iptables", "-S"], capture_output=True, text=True, check=True).stdout
            assert f"! -d {network.attrs['IPAM']['Config'][0]['Subnet']} -i {bridge} -j DROP" in rules
            assert "-A INPUT -i gr-+ -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP" in rules
    finally:
        sandbox.close()


@pytest.mark.usefixtures("leaves_nothing")
def test_a_sandbox_of_an_exercise_that_declares_network_has_a_route_out(
    host_engine: docker.DockerClient,
) -> None:
    sandbox = Sandbox(
        host_engine, sandbox_engine.chosen(), run_id=labels.new_run_id(), limits=SMALL, outside=True
    )
    with sandbox:
        _, routes = _in_sandbox(host_engine, sandbox, f"{PROBE} ip route")
        assert "default via" in routes, routes  # checked, never used: no packet is sent off the machine
        assert host_engine.networks.get(f"grader-sandbox-{sandbox.run_id}").attrs["Internal"] is False


@pytest.mark.hostile
@pytest.mark.usefixtures("leaves_nothing")
def test_sandboxes_side_by_side_cannot_reach_each_others_published_ports(
    host_engine: docker.DockerClient,
) -> None:
    first, second = started(host_engine), started(host_engine)
    try:
        assert first.client is not None
        first.client.containers.run(
            BUSYBOX, ["sh", "-c", "echo hi > /i.html && exec httpd -f -p 8080 -h /"], detach=True,
            ports={"8080/tcp": 45678},
        )  # fmt: skip
        _wait_for_port(first.address, 45678)  # the host, the grader, reaches it
        try_it = f"{PROBE} wget -q -T 3 -O - http://{first.address}:45678/i.html && echo reached"
        _, output = _in_sandbox(host_engine, second, try_it)
        assert "reached" not in output, output
        # even with a route of its own making (the sandbox holds NET_ADMIN) through its gateway
        gateway = _gateway(host_engine, second)
        _code, output = _in_sandbox(
            host_engine, second, f"{PROBE} ip route add default via {gateway}; {try_it}"
        )
        assert "reached" not in output, output
    finally:
        first.close()
        second.close()


@pytest.mark.hostile
@pytest.mark.usefixtures("leaves_nothing")
def test_a_sandbox_cannot_reach_the_hosts_services_through_its_gateway(
    host_engine: docker.DockerClient, sandbox: Sandbox
) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("0.0.0.0", 0))  # a service of the host's, on every address
    listener.listen(4)
    port = listener.getsockname()[1]
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            pass  # it answers on the host
        gateway = _gateway(host_engine, sandbox)
        _, output = _in_sandbox(
            host_engine, sandbox, f"{PROBE} nc -w 3 {gateway} {port} </dev/null && echo reached"
        )
        assert "reached" not in output, output
    finally:
        listener.close()


@pytest.mark.usefixtures("leaves_nothing")
def test_the_hosts_firewall_rule_is_set_once_whether_or_not_iptables_is_at_hand(
    host_engine: docker.DockerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without iptables (or root) the rule is set from a container on the host's network; either way
    it is there once, whatever the number of sandboxes."""
    monkeypatch.setattr(sandbox_module.shutil, "which", lambda _name: None)
    monkeypatch.setattr(sandbox_module, "_guarded_hosts", set())
    sandbox_module.guard_the_host(host_engine, sandbox_engine.chosen())
    monkeypatch.setattr(sandbox_module, "_guarded_hosts", set())  # as a second grading process would
    sandbox_module.guard_the_host(host_engine, sandbox_engine.chosen())
    if os.getuid() == 0:
        rules = subprocess.run(["iptables", "-S", "INPUT"], capture_output=True, text=True, check=True).stdout
        assert rules.count("-A INPUT -i gr-+ -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP") == 1, (
            rules
        )


def _gateway(host: docker.DockerClient, sandbox: Sandbox) -> str:
    network = host.networks.get(f"grader-sandbox-{sandbox.run_id}")
    return str(network.attrs["IPAM"]["Config"][0]["Gateway"])


def _wait_for_port(address: str, port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection((address, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.hostile
@pytest.mark.usefixtures("leaves_nothing")
@pytest.mark.parametrize(
    ("dockerfile", "says"),
    [
        ("FROM busybox\nADD http://192.0.2.1/file /file\n", "network is unreachable"),  # no packet leaves
        ("FROM grader-tests/not-loaded:1\nRUN true\n", "53: read: connection refused"),  # no DNS wait
    ],
    ids=["ADD a URL", "FROM an image not loaded"],
)
def test_a_build_that_fetches_without_network_fails_at_once(
    sandbox: Sandbox, dockerfile: str, says: str
) -> None:
    assert sandbox.client is not None
    started = time.monotonic()
    built = build(
        sandbox.client,
        _context(dockerfile),
        tag="fetches",
        timeout_s=60,
        network=False,
        on_timeout=sandbox.kill,
    )
    assert not built.ok and says in built.error, built.error
    assert time.monotonic() - started < 10


def _context(dockerfile: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile.encode())
        tar.addfile(info, io.BytesIO(dockerfile.encode()))
    return buffer.getvalue()


SPIN_FOUR = "for i in 1 2 3 4; do timeout 4 sh -c 'while :; do :; done' & done; wait"


@pytest.mark.hostile
@pytest.mark.usefixtures("kernel_image", "leaves_nothing")
def test_a_kernel_writes_only_to_bounded_memory_and_gets_the_sandboxs_cpu(
    host_engine: docker.DockerClient, tmp_path: Path
) -> None:
    cells = [
        "import subprocess\n"
        "for where in ('/filler', '/tmp/filler'):\n"
        "    done = subprocess.run(['dd', 'if=/dev/zero', f'of={where}', 'bs=1M', 'count=400'],"
        " capture_output=True, text=True)\n"
        "    print(where, done.stderr.splitlines()[0])",
        f"subprocess.run(['sh', '-c', {SPIN_FOUR!r}])",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell) for cell in cells])
    nbformat.write(notebook, str(tmp_path / "n.ipynb"))
    used: list[float] = []

    def measure() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not used:
            mine = host_engine.containers.list(filters={"label": f"{labels.OWNER_PID}={os.getpid()}"})
            kernels = [container for container in mine if container.name.startswith("grader-kernel-")]
            if kernels:
                time.sleep(4)  # the kernel has started, its first cell run, the loops are spinning
                with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                    used.append(_cpus_used(kernels[0]))
                return
            time.sleep(0.1)

    watcher = threading.Thread(target=measure, daemon=True)
    watcher.start()
    executed = notebook_sandbox.execute(notebook, tmp_path, name="n.ipynb", host=host_engine, timeout_s=60)
    watcher.join()
    lines = "".join(output.get("text", "") for output in executed.cells[0].outputs).splitlines()
    assert "Read-only file system" in lines[0] and "No space left on device" in lines[1], lines
    assert used and used[0] <= SMALL.cpus * 1.3, f"the kernel used {used} CPUs (its bound: {SMALL.cpus})"
    assert used[0] > SMALL.cpus / 4, f"the loops did not spin ({used} CPUs)"
