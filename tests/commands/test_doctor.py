"""`grader doctor`: its JSON report and exit code, and that it starts nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from grader.commands import doctor
from grader.host import baseimages, engine, userns
from grader.host import doctor as probes
from grader.host.baseimages import sandbox_engine


def report(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = doctor.main(as_json=True)
    return code, json.loads(capsys.readouterr().out)


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in data["checks"]}


@pytest.mark.docker
def test_a_prepared_host_is_healthy(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = report(capsys)
    assert (code, data["ok"]) == (0, True), data
    checks = by_name(data)
    assert checks["Docker engine"]["ok"]
    assert data["engine"]["storage_driver"]
    for recipe in baseimages.recipes():
        assert any(name.endswith(recipe.name) and c["ok"] for name, c in checks.items())
    assert checks["hadolint"]["ok"]
    assert "docker 26.1" in checks[f"sandbox image {sandbox_engine.TAG}"]["detail"]


def test_the_sandbox_engine_is_named_with_its_buildx_and_compose() -> None:
    named = probes.sandbox_versions()
    assert named.startswith("docker 26.1.5+dfsg1-")
    assert ", buildx 0.13.1+" in named and ", compose 2.26.1-" in named


def test_doctor_only_looks(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, object]] = []

    def connect(**kwargs: object) -> None:
        calls.append(kwargs)
        raise engine.EngineUnavailable("The Docker engine is not running. Start it: sudo dockerd &")

    monkeypatch.setattr(engine, "connect", connect)
    code, data = report(capsys)
    assert calls == [{"start": False, "install": False}]
    assert (code, data["ok"], data["engine"]) == (1, False, None)
    assert "sudo dockerd" in by_name(data)["Docker engine"]["fix"]


@pytest.mark.docker
def test_a_missing_image_fails_with_the_prepare_advice(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(baseimages, "states", lambda client: [baseimages.ImageState("busybox:latest", False)])
    code, data = report(capsys)
    assert code == 1
    check = by_name(data)["image busybox:latest"]
    assert (check["ok"], check["detail"]) == (False, "missing")
    assert "grader images prepare" in check["fix"]


def test_warnings_do_not_fail_the_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = [probes.Check("storage driver", False, "vfs", "use overlay2", required=False)]
    monkeypatch.setattr(doctor, "run_checks", lambda: (checks, None))
    assert doctor.main(as_json=False) == 0
    assert "warning" in capsys.readouterr().out


def test_hadolint_is_looked_for_beside_our_python_first() -> None:
    path = probes.hadolint_path()
    assert path is not None and path.name == "hadolint"


@pytest.mark.parametrize(
    ("kernel", "allowed"),
    [("6.1.0-18-amd64", True), ("5.10.0-28-amd64", True), ("5.4.0-150-generic", False), ("", False)],
)
def test_binds_of_submission_folders_need_a_kernel_with_nosymfollow(kernel: str, allowed: bool) -> None:
    check = probes.submission_binds(kernel)
    assert (check.ok, check.required) == (allowed, False)
    assert check.detail.startswith("allowed" if allowed else "refused")


@pytest.mark.parametrize(("obstacle", "ok"), [("", True), ("the host uses cgroup v2; ...", False)])
def test_the_user_namespace_check_says_why_it_is_off(obstacle: str, ok: bool) -> None:
    check = probes.user_namespace(obstacle)
    assert (check.ok, check.required) == (ok, False)
    assert check.detail == (
        f"on: a student container's root is uid {userns.REMAPPED_ROOT} of the host"
        if ok
        else f"off: {obstacle}"
    )
