"""Where sandboxes get a user namespace: decided from the host engine's facts, and why not when not."""

from __future__ import annotations

from typing import Any

import pytest

from grader.host import userns as userns_module
from grader.host.userns import userns_obstacle

CGROUP_V1 = {"CgroupVersion": "1", "SecurityOptions": ["name=seccomp,profile=default"]}


class _Host:
    """Just enough of a docker client for `userns_support`: its address and its `info()`."""

    def __init__(self, info: dict[str, Any], url: str) -> None:
        self._info = info
        self.api = type("Api", (), {"base_url": url})()
        self.asked = 0

    def info(self) -> dict[str, Any]:
        self.asked += 1
        return self._info


def test_a_cgroup_v1_host_engine_gives_sandboxes_a_user_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(userns_module, "_max_user_namespaces", lambda: 63000)
    assert userns_obstacle(CGROUP_V1) == ""


@pytest.mark.parametrize(
    ("info", "said"),
    [
        ({"CgroupVersion": "2", "SecurityOptions": []}, "cgroup v2"),
        ({**CGROUP_V1, "SecurityOptions": ["name=seccomp", "name=rootless"]}, "rootless or remapped"),
        ({**CGROUP_V1, "SecurityOptions": ["name=userns"]}, "rootless or remapped"),
    ],
)
def test_where_it_cannot_work_the_reason_is_given(info: dict[str, Any], said: str) -> None:
    assert said in userns_obstacle(info)


def test_a_kernel_without_user_namespaces_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(userns_module, "_max_user_namespaces", lambda: 0)
    assert "max_user_namespaces is 0" in userns_obstacle(CGROUP_V1)


def test_the_engine_is_asked_once() -> None:
    host = _Host({"CgroupVersion": "2"}, "unix:///tmp/test-userns-support.sock")
    assert "cgroup v2" in userns_module.userns_support(host)  # type: ignore[arg-type]
    assert "cgroup v2" in userns_module.userns_support(host)  # type: ignore[arg-type]
    assert host.asked == 1


def test_ids_from_a_remapped_engine_read_as_the_container_sees_them() -> None:
    assert userns_module.as_seen_inside(userns_module.REMAPPED_ROOT) == 0
    assert userns_module.as_seen_inside(userns_module.REMAPPED_ROOT + 101) == 101
    assert userns_module.as_seen_inside(101) == 101  # an engine without a user namespace
    assert userns_module.as_seen_inside(userns_module.REMAPPED_ROOT + userns_module.MAPPED_IDS) == (
        userns_module.REMAPPED_ROOT + userns_module.MAPPED_IDS
    )
