"""Checks for containers.limits: a running busybox container `limited` with resource limits.

    --memory 64m  --cpu-shares 512  --cpu-quota 50000 (per period 100000)

Each limit is checked twice: in the engine's view (`docker inspect`: HostConfig), and in
force, in the container's own cgroup files as its main process sees them, read by the grader's
busybox in a lookout sharing its process namespace (`/proc/1/root/sys/fs/cgroup/...`): nothing
the container runs answers. A stopped container has no cgroup: none of its limits is in
force, so every limit item needs it running.

The cgroup files differ between the two versions of cgroups (v2 when
/sys/fs/cgroup/cgroup.controllers exists inside the container):

    limit    cgroup v1 (cpu may be cpu,cpuacct)           cgroup v2
    memory   memory/memory.limit_in_bytes  67108864       memory.max  67108864
    shares   cpu/cpu.shares                512            cpu.weight  20 (59 since runc 1.3.2)
    quota    cpu/cpu.cfs_quota_us, cpu.cfs_period_us      cpu.max     "50000 100000"
             50000, 100000

`--cpus 0.5` is accepted for the quota: Docker stores it as NanoCpus 500000000 instead of
CpuQuota, and writes the very same quota and period into the cgroup.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from docker.models.containers import Container

from grader.checks.toolkit import Environment, GraderHost, Problems, check, runs_image

NAME = "limited"
BASE = "busybox:latest"
MIB = 1024 * 1024
MEMORY = 64 * MIB
SHARES = 512
QUOTA, PERIOD = 50_000, 100_000
NANO_CPUS = 500_000_000  # what `--cpus 0.5` stores
V1_NO_MEMORY_LIMIT = 1 << 62  # v1 reads a huge number, such as 9223372036854771712, for "no limit"

CGROUP = "/sys/fs/cgroup"
V1_CPU_DIRS = (f"{CGROUP}/cpu", f"{CGROUP}/cpu,cpuacct")


def _weights(shares: int) -> set[int]:
    """The cgroup v2 cpu.weight runc writes for `shares`: before runc 1.3.2, and since (crun 1.23)."""
    old = 1 + ((shares - 2) * 9999) // 262142
    log = math.log2(shares)
    new = math.ceil(10 ** ((log * log + 125 * log) / 612.0 - 7.0 / 34.0))
    return {old, new}


def _size(n: int) -> str:
    if n % MIB == 0:
        return f"{n // MIB} MiB ({n} bytes)"
    return f"{n} bytes"


Reading = Callable[[GraderHost, bool], str | None]
"""What one limit's cgroup files say is wrong (None if nothing), given whether they are cgroup v2."""


def _inside(env: Environment, read: Reading) -> str | None:
    """What `read` finds wrong in the cgroup files of the running container, or None."""
    try:
        host = env.host(NAME)
    except AssertionError as stopped:
        return f"{stopped}: a stopped container has no cgroup, so none of its limits is in force"
    return read(host, host.pidns.run("test -e %s", f"/proc/1/root{CGROUP}/cgroup.controllers").rc == 0)


def _read(host: GraderHost, *paths: str) -> tuple[str, str]:
    """(path, content) of the first of `paths` that can be read inside the container."""
    for path in paths:
        done = host.pidns.run("cat %s", f"/proc/1/root{path}")
        if done.rc == 0:
            return path, done.stdout.strip()
    raise AssertionError(f"inside {NAME}, {paths[0]} cannot be read")


def _read_cpu(host: GraderHost, name: str) -> tuple[str, str]:
    return _read(host, *(f"{folder}/{name}" for folder in V1_CPU_DIRS))


# -- memory ---------------------------------------------------------------------


def _engine_memory(container: Container) -> str | None:
    memory = container.attrs["HostConfig"].get("Memory") or 0
    if memory == MEMORY:
        return None
    if not memory:
        return f"the engine records no memory limit for {NAME}"
    return f"the engine records a memory limit of {_size(memory)}"


def _cgroup_memory(host: GraderHost, v2: bool) -> str | None:
    path, text = _read(host, f"{CGROUP}/memory.max" if v2 else f"{CGROUP}/memory/memory.limit_in_bytes")
    if text == str(MEMORY):
        return None
    unlimited = text == "max" or (text.isdigit() and int(text) >= V1_NO_MEMORY_LIMIT)
    return f"inside {NAME}, {path} reads {text}" + (" (no limit)" if unlimited else "")


# -- CPU shares -----------------------------------------------------------------


def _engine_shares(container: Container) -> str | None:
    shares = container.attrs["HostConfig"].get("CpuShares") or 0
    if shares == SHARES:
        return None
    if not shares:
        return f"the engine records no CPU shares for {NAME} (the default, 1024)"
    return f"the engine records CPU shares of {shares}"


def _cgroup_shares(host: GraderHost, v2: bool) -> str | None:
    if v2:
        path, text = _read(host, f"{CGROUP}/cpu.weight")
        wanted = _weights(SHARES)
        if text in {str(weight) for weight in wanted}:
            return None
        shown = " or ".join(str(weight) for weight in sorted(wanted))
        return f"inside {NAME}, {path} reads {text}, not the weight Docker gives 512 shares ({shown})"
    path, text = _read_cpu(host, "cpu.shares")
    return None if text == str(SHARES) else f"inside {NAME}, {path} reads {text}"


# -- CPU quota ------------------------------------------------------------------


def _engine_quota(container: Container) -> str | None:
    config = container.attrs["HostConfig"]
    quota, period = config.get("CpuQuota") or 0, config.get("CpuPeriod") or 0
    nano = config.get("NanoCpus") or 0
    if nano:
        if nano == NANO_CPUS:
            return None
        quota = nano * PERIOD // 10**9
        return f"the engine records --cpus {nano / 1e9:g}, a quota of {quota} per period of {PERIOD}"
    if quota == QUOTA and period in (0, PERIOD):
        return None
    if not quota:
        return f"the engine records no CPU quota for {NAME}" + (f" (a period of {period})" if period else "")
    return f"the engine records a CPU quota of {quota} per period of {period or PERIOD}"


def _cgroup_quota(host: GraderHost, v2: bool) -> str | None:
    if v2:
        path, text = _read(host, f"{CGROUP}/cpu.max")
        if text.split() == [str(QUOTA), str(PERIOD)]:
            return None
        return f"inside {NAME}, {path} reads {text}" + (" (no quota)" if text.startswith("max") else "")
    quota_path, quota = _read_cpu(host, "cpu.cfs_quota_us")
    period_path, period = _read_cpu(host, "cpu.cfs_period_us")
    if (quota, period) == (str(QUOTA), str(PERIOD)):
        return None
    shown = "-1 (no quota)" if quota == "-1" else quota
    return f"inside {NAME}, {quota_path} reads {shown} and {period_path} reads {period}"


def _limit(env: Environment, engine: Callable[[Container], str | None], cgroup: Reading) -> None:
    """One limit, in the engine's view and in the cgroup: fails once, naming what each got wrong."""
    with Problems() as problems:
        problems.add(engine(env.container(NAME)))
        problems.add(_inside(env, cgroup))


# -- rubric ---------------------------------------------------------------------


@check(
    points=2,
    expected=f"A container named {NAME}, of busybox, is running.",
    hint="Run it detached with a command that lasts: "
    "`docker run -d --name limited ... busybox sleep 3600`. busybox's default command, `sh`, "
    "ends at once when it has no terminal, and the container stops.",
    reproduce="docker ps -a --filter name=limited",
)
def test_running(env: Environment) -> None:
    runs_image(env.running(NAME), env.base(BASE), name="busybox")


@check(
    points=3,
    expected=f"{NAME} has a memory limit of 64 MiB ({MEMORY} bytes), in the engine's view and in its cgroup.",
    hint="`--memory 64m` (or `-m 64m`): m is MiB, so 64m is 64 × 1024 × 1024 bytes.",
    reproduce="docker inspect -f '{{.HostConfig.Memory}}' limited ; "
    "docker exec limited cat /sys/fs/cgroup/memory/memory.limit_in_bytes"
    "   # cgroup v2: /sys/fs/cgroup/memory.max",
)
def test_memory_limit(env: Environment) -> None:
    _limit(env, _engine_memory, _cgroup_memory)


@check(
    points=2,
    expected=f"{NAME} has CPU shares of {SHARES}, in the engine's view and in its cgroup.",
    hint="`--cpu-shares 512`: half the default weight of 1024, which counts only when containers "
    "compete for the CPU.",
    reproduce="docker inspect -f '{{.HostConfig.CpuShares}}' limited ; "
    "docker exec limited cat /sys/fs/cgroup/cpu/cpu.shares   # cgroup v2: /sys/fs/cgroup/cpu.weight",
)
def test_cpu_shares(env: Environment) -> None:
    _limit(env, _engine_shares, _cgroup_shares)


@check(
    points=3,
    expected=f"{NAME} may use {QUOTA} µs of CPU time per period of {PERIOD} µs (half a CPU), "
    "in the engine's view and in its cgroup.",
    hint="`--cpu-quota 50000`: the period is 100000 µs unless you change it, and "
    "`--cpu-period 100000` says so explicitly. (`--cpus 0.5` is the same limit, and is accepted too.)",
    reproduce="docker inspect -f "
    "'{{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}} {{.HostConfig.NanoCpus}}' limited ; "
    "docker exec limited cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us"
    "   # cgroup v2: /sys/fs/cgroup/cpu.max",
)
def test_cpu_quota(env: Environment) -> None:
    _limit(env, _engine_quota, _cgroup_quota)
