"""The fields of a container's `HostConfig` the guard reads (and of `docker update`'s resources), each with
its check; a field not in the table is refused.

Decisions: namespaces may be shared with another container of the sandbox (`container:web`), never the
machine's; log drivers are the local ones (others open connections out of the sandbox); ulimits are
allowed as given (the sandbox lacks CAP_SYS_RESOURCE: a container cannot raise a hard limit past the
sandbox's); mount propagation may not be `shared` (a container's mounts would reach the sandbox); a
`--tmpfs` takes a tmpfs' own options only (runc reads `bind` among them as a bind mount of a file beside
the container's root, and `shared` as a propagation); no port is published on the sandbox's port 53, where
an offline sandbox's engine asks for names (`grader/data/sandbox-entrypoint.sh`): a container answering
there would answer the engine's lookups.
"""

from __future__ import annotations

import re
from typing import Any

from grader.sandbox.guard.checks import (
    NOT_NEEDED,
    At,
    Check,
    Obj,
    anything,
    bind_refusal,
    boolean,
    entries,
    go_number,
    integer,
    items,
    labels,
    namespace,
    nullable,
    one_of,
    only,
    struct,
    text,
    texts,
    unset,
    volume_driver,
    volume_options_refusal,
)

_HARMLESS_SECURITY_OPTS = frozenset({"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"})
_PROPAGATIONS = ("", "private", "rprivate", "slave", "rslave")
LOG_OPTIONS = ("max-size", "max-file", "compress", "mode", "max-buffer-size", "labels", "env", "tag")
TMPFS_FLAGS = frozenset(
    {
        *("defaults", "ro", "rw", "exec", "noexec", "suid", "nosuid", "dev", "nodev", "sync", "async"),
        *("dirsync", "mand", "nomand", "atime", "noatime", "diratime", "nodiratime", "relatime"),
        *("norelatime", "strictatime", "nostrictatime"),
    }
)
"""The mount flags a tmpfs may be given (the engine's list, less binds, remounts and propagations)."""
TMPFS_DATA = ("size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol")
_TMPFS_OPTIONS = "size=, mode=, uid=, gid=, nr_inodes= and flags such as ro or noexec are."
RESOLVER_PORT = 53
"""The sandbox's own port where its engine asks for names (an offline sandbox's resolv.conf names its
loopback): no published port may take it."""
PORT_DIGITS = 5  # of the largest port, 65535; more is no port (`go_number`)
_HOST_PORT = re.compile(r"[0-9]+(-[0-9]+)?")
"""A host port as the engine reads it (`strconv.ParseUint` of each end of a range), or a range."""


def left_unset(why: str) -> Check:
    """A field the course leaves unset (null, false, 0, empty)."""
    return only(unset, why, kind=anything)


def _harmless_security(value: Any) -> bool:
    return value is None or (
        isinstance(value, list) and all(str(opt).casefold() in _HARMLESS_SECURITY_OPTS for opt in value)
    )


def not_host(value: Any) -> bool:
    return isinstance(value, str) and value.casefold() != "host"


def _positive(value: Any) -> bool:
    return isinstance(value, int) and value >= 0


def _check_bind(value: Any, at: At) -> str | None:
    """`-v source:target[:options]`: a folder (a source starting with /) must be an allowed one."""
    if not isinstance(value, str):
        return text(value, at)
    source, _, rest = value.partition(":")
    options = rest.partition(":")[2].split(",")
    if {"shared", "rshared"} & set(options):
        return f"Refused: `-v {value}` shares the container's mounts with the sandbox; {NOT_NEEDED}"
    if source.startswith("/"):
        return bind_refusal(source, f"-v {value}", at.roots, "ro" in options)
    return None


def _check_host_port(value: Any, at: At) -> str | None:
    """`-p HOST:CONTAINER`'s host port: empty (any port), a port or a range, never covering 53."""
    found = text(value, at)
    if found or value == "":
        return found
    if not _HOST_PORT.fullmatch(value):
        return f"Refused: `-p {value[:40]}:...`: a host port is a number or a range such as 8000-8010."
    low, _, high = value.partition("-")
    if go_number(low, PORT_DIGITS) <= RESOLVER_PORT <= go_number(high or low, PORT_DIGITS):
        return (
            f"Refused: `-p {value[:40]}:...` takes the sandbox's port {RESOLVER_PORT}, where its engine asks "
            f"for names; publish on another host port (`-p 46053:{RESOLVER_PORT}/udp`)."
        )
    return None


def _check_tmpfs(value: Any, at: At) -> str | None:
    """`--tmpfs /path:options`: the options a tmpfs takes, never `bind` (runc would bind a folder) nor a
    propagation (`shared`)."""
    found = labels(value, at)
    if found or value is None:
        return found
    for target, options in value.pairs:
        odd = [option for option in options.split(",") if option and not _tmpfs_option(option)]
        if odd:
            return (
                f"Refused: `--tmpfs {target}:{options}`: `{odd[0]}` is not a tmpfs option; {_TMPFS_OPTIONS}"
            )
    return None


def _check_tmpfs_option(value: Any, at: At) -> str | None:
    """One of `--mount type=tmpfs`'s options (API 1.46): `[flag]` or `[key, value]`."""
    found = texts(value, at)
    if found or value is None:
        return found
    if not (len(value) in (1, 2) and _tmpfs_option("=".join(value))):
        typed = "=".join(value)
        return f"Refused: `--mount type=tmpfs,tmpfs-option={typed}` is not a tmpfs option; {_TMPFS_OPTIONS}"
    return found


def _tmpfs_option(option: str) -> bool:
    name, equals, _ = option.partition("=")
    return name in TMPFS_DATA if equals else option in TMPFS_FLAGS


def _check_mount(mount: Obj, at: At) -> str | None:
    """A `--mount`: a bind checked like `-v` (read-only only if every ReadOnly given says so)."""
    if "bind" in [str(kind).casefold() for kind in mount.get("Type")]:
        flags = mount.get("ReadOnly")
        read_only = bool(flags) and all(flag is True for flag in flags)
        for source in mount.get("Source"):
            typed = f"--mount type=bind,source={source}"
            found = bind_refusal(str(source), typed, at.roots, read_only)
            if found:
                return found
    return None


def _check_driver_options(driver: Obj, at: At) -> str | None:
    for options in driver.get("Options"):
        found = isinstance(options, Obj) and volume_options_refusal(
            options, "--mount volume-opt={}", at.roots
        )
        if found:
            return found
    return None


def whole_numbers(count: int) -> Check:
    def check(value: Any, at: At) -> str | None:
        if value is None or (isinstance(value, list) and len(value) == count):
            return items(integer)(value, at)
        return f"Refused: `{at.path}` must be a list of {count} whole numbers."

    return check


ULIMIT = struct({"Name": text, "Soft": integer, "Hard": integer})
RESTART_POLICY = struct(
    {
        "Name": only(
            one_of("", "no", "always", "on-failure", "unless-stopped"), "`--restart {value}` is not a policy."
        ),
        "MaximumRetryCount": integer,
    }
)
LOG_CONFIG = struct(
    {
        "Type": only(
            one_of("", "json-file", "local", "none"),
            "`--log-driver {value}` sends logs out of the sandbox; use json-file or local.",
        ),
        "Config": entries(text, keys=LOG_OPTIONS),
    }
)

_DISKS = f"`--blkio-weight-device`, `--device-read-bps` and the like name the machine's disks; {NOT_NEEDED}"
_WINDOWS = f"this limit is for Windows containers; {NOT_NEEDED}"
RESOURCES: dict[str, Check] = {
    **dict.fromkeys(("CpuShares", "Memory", "NanoCpus", "CpuPeriod", "CpuQuota", "BlkioWeight"), integer),
    **dict.fromkeys(("MemoryReservation", "MemorySwap", "KernelMemory", "KernelMemoryTCP"), integer),
    **dict.fromkeys(("CpusetCpus", "CpusetMems"), text),
    "CgroupParent": left_unset("`--cgroup-parent` moves a container out of the limits of the grading run."),
    "BlkioWeightDevice": left_unset(_DISKS),
    "BlkioDeviceReadBps": left_unset(_DISKS),
    "BlkioDeviceWriteBps": left_unset(_DISKS),
    "BlkioDeviceReadIOps": left_unset(_DISKS),
    "BlkioDeviceWriteIOps": left_unset(_DISKS),
    "CpuRealtimePeriod": left_unset(f"`--cpu-rt-period` gives a container real-time CPU time; {NOT_NEEDED}"),
    "CpuRealtimeRuntime": left_unset(
        f"`--cpu-rt-runtime` gives a container real-time CPU time; {NOT_NEEDED}"
    ),
    "Devices": left_unset(f"`--device` gives a container the machine's hardware; {NOT_NEEDED}"),
    "DeviceCgroupRules": left_unset(f"`--device-cgroup-rule` opens the machine's devices; {NOT_NEEDED}"),
    "DeviceRequests": left_unset(f"`--gpus` gives a container the machine's hardware; {NOT_NEEDED}"),
    "MemorySwappiness": nullable(integer),
    "OomKillDisable": left_unset(f"`--oom-kill-disable` can stall the grading run; {NOT_NEEDED}"),
    "PidsLimit": nullable(integer),
    "Ulimits": items(ULIMIT),
    **dict.fromkeys(("CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth"), left_unset(_WINDOWS)),
}
_CAP_ADD = f"`--cap-add` gives a container powers over the machine beyond Docker's default ones; {NOT_NEEDED}"
DEFAULT_CAPABILITIES = frozenset(
    {"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP"}
    | {"NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP"}
)
"""Docker's default capabilities: a container that drops none holds them all, so adding one back
(`--cap-drop ALL --cap-add NET_RAW`, as the grader's own lookouts do) gives nothing new."""


def _default_capabilities(value: Any) -> bool:
    """No capability, or only defaults, named as the engine reads them (any case, `CAP_` or not)."""
    return unset(value) or (isinstance(value, list) and all(map(_a_default, value)))


def _a_default(name: Any) -> bool:
    if not isinstance(name, str) or not name.isascii():
        return False
    return name.upper().removeprefix("CAP_") in DEFAULT_CAPABILITIES


_SYSTEM_PATHS = f"`--security-opt systempaths=unconfined` exposes the kernel; {NOT_NEEDED}"
MOUNT = struct(
    {
        "Type": only(
            one_of("bind", "volume", "tmpfs"), "`--mount type={value}` is not something the course needs."
        ),
        "Source": text,
        "Target": text,
        "ReadOnly": boolean,
        "Consistency": text,
        "BindOptions": struct(
            {
                "Propagation": only(
                    one_of(*_PROPAGATIONS),
                    "`--mount bind-propagation={value}` shares the container's mounts with the sandbox; "
                    + NOT_NEEDED,
                ),
                **dict.fromkeys(("NonRecursive", "CreateMountpoint"), boolean),
                **dict.fromkeys(("ReadOnlyNonRecursive", "ReadOnlyForceRecursive"), boolean),
            },
            nullable=True,
        ),
        "VolumeOptions": struct(
            {
                "NoCopy": boolean,
                "Labels": labels,
                "Subpath": text,
                "DriverConfig": struct(
                    {"Name": volume_driver("--mount volume-driver="), "Options": labels},
                    nullable=True,
                    also=_check_driver_options,
                ),
            },
            nullable=True,
        ),
        "TmpfsOptions": struct(
            {"SizeBytes": integer, "Mode": integer, "Options": items(_check_tmpfs_option)}, nullable=True
        ),
    },
    also=_check_mount,
)
HOST_CONFIG: dict[str, Check] = {
    **RESOURCES,
    "Binds": items(_check_bind),
    "ContainerIDFile": text,
    "LogConfig": LOG_CONFIG,
    "NetworkMode": only(
        not_host, "`--network host` puts a container on the machine's network; use a network."
    ),
    "PortBindings": entries(items(struct({"HostIp": text, "HostPort": _check_host_port}))),
    "RestartPolicy": RESTART_POLICY,
    "AutoRemove": boolean,
    "VolumeDriver": volume_driver("--volume-driver"),
    "VolumesFrom": texts,
    "ConsoleSize": whole_numbers(2),
    "Annotations": left_unset(f"`--annotation` passes settings to the container's runtime; {NOT_NEEDED}"),
    "CapAdd": only(_default_capabilities, _CAP_ADD, kind=anything),
    "Capabilities": left_unset(_CAP_ADD),
    "CapDrop": texts,
    "CgroupnsMode": only(
        one_of("", "private"), f"`--cgroupns host` shares the machine's control groups; {NOT_NEEDED}"
    ),
    **dict.fromkeys(("Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "GroupAdd", "Links"), texts),
    "IpcMode": only(
        namespace("", "none", "private", "shareable"),
        f"`--ipc host` shares the machine's shared memory; {NOT_NEEDED}",
    ),
    "Cgroup": only(namespace(""), f"`--cgroup` shares the machine's control groups; {NOT_NEEDED}"),
    "OomScoreAdj": only(
        _positive, f"a negative `--oom-score-adj` shields a container; {NOT_NEEDED}", integer
    ),
    "PidMode": only(
        namespace(""), f"`--pid host` lets a container see every process of the machine; {NOT_NEEDED}"
    ),
    "Privileged": left_unset(f"`--privileged` gives a container full control of the machine; {NOT_NEEDED}"),
    "PublishAllPorts": boolean,
    "ReadonlyRootfs": boolean,
    "SecurityOpt": only(
        _harmless_security, f"`--security-opt` turns off protections; {NOT_NEEDED}", kind=anything
    ),
    "StorageOpt": left_unset(f"`--storage-opt` changes how the engine stores a container; {NOT_NEEDED}"),
    "Tmpfs": _check_tmpfs,
    "UTSMode": only(one_of(""), f"`--uts host` lets a container rename the machine; {NOT_NEEDED}"),
    "UsernsMode": only(one_of(""), f"`--userns host` turns off a protection of the machine; {NOT_NEEDED}"),
    "ShmSize": only(_positive, "`--shm-size` must not be negative.", integer),
    "Sysctls": left_unset(f"`--sysctl` changes settings of the machine's kernel; {NOT_NEEDED}"),
    "Runtime": only(
        one_of("", "runc"), f"`--runtime` swaps the program that isolates containers; {NOT_NEEDED}"
    ),
    "Isolation": only(one_of("", "default"), f"`--isolation` is for Windows; {NOT_NEEDED}"),
    "Mounts": items(MOUNT),
    "MaskedPaths": only(lambda value: value is None, _SYSTEM_PATHS, kind=anything),
    "ReadonlyPaths": only(lambda value: value is None, _SYSTEM_PATHS, kind=anything),
    "Init": nullable(boolean),
}
