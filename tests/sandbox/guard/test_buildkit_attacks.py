"""Hostile solves against the guard's BuildKit policy, as raw HTTP/2 frames and protobuf bytes: ways to get
a frontend image, LLB or a remote context past `buildkit` (no Docker needed; see test_h2relay)."""

from __future__ import annotations

import pytest

from grader.sandbox.guard import buildkit
from tests.sandbox.guard.test_h2relay import Client, entry, grpc, guard, key, string

__all__ = ["guard"]  # the fixture, shared with test_h2relay

pytestmark = pytest.mark.hostile

SOLVES = {"control": (buildkit.CONTROL_SOLVE, 6, 7), "bridge": (buildkit.BRIDGE_SOLVE, 2, 3)}
ATTRS_REFUSED = {
    "cmdline given": ("cmdline", "", "the build option `cmdline`"),  # would meet the guard's own
    "sbom": ("attest:sbom", "generator=own-scanner", "the build option `attest:sbom`"),
    "sbom as a build arg": ("build-arg:BUILDKIT_ATTEST_SBOM", "generator=own", "BUILDKIT_ATTEST_SBOM"),
    "sbom, lower case": ("build-arg:BUILDKIT_ATTEST_sbom", "", "BUILDKIT_ATTEST_sbom"),
    "syntax image": ("build-arg:BUILDKIT_SYNTAX", "own-frontend", "`BUILDKIT_SYNTAX`"),
    "input context": ("context:base", "input:base", "`--build-context base=input:base`"),
    "oci layout": ("context:base", "oci-layout://base@sha256:" + "a" * 64, "`--build-context base="),
    "local, other name": ("context:base", "local:context", "`--build-context base=local:context`"),
    "context key": ("contextkey", "other", "the build option `contextkey`"),
    "session look-alike host": ("context", "http://buildkit-session.example.com/x", "the build context"),
    "session over https": ("context", "https://buildkit-session/abc", "the build context"),
    "session git": ("context", "http://buildkit-session/abc.git", "the build context"),
    "session path": ("context", "http://buildkit-session/abc/../x", "the build context"),
    "session newline": ("context", "http://buildkit-session/abc\n", "the build context"),
    "other request": ("requestid", "gateway.v0", "the build option `requestid`"),
    "cgroup parent": ("cgroup-parent", "/", "`--cgroup-parent`"),  # out of the RUN steps' pids bound
}


@pytest.mark.parametrize("which", sorted(SOLVES))
@pytest.mark.parametrize("case", sorted(ATTRS_REFUSED))
def test_each_frontend_option_attack_is_denied_on_either_solve(guard, which: str, case: str) -> None:
    method, frontend, attrs = SOLVES[which]
    name, value, said = ATTRS_REFUSED[case]
    solve = string(frontend, "dockerfile.v0") + entry(attrs, "filename", "Dockerfile")
    solve += entry(attrs, name, value)
    answer = Client(guard[0].socket).call(method, grpc(solve))
    assert answer["grpc-status"] == "7"
    assert said in guard[0].refusals[-1].message
    assert guard[1].calls == []


DOCKERFILE = string(2, "dockerfile.v0") + entry(3, "filename", "Dockerfile")
BRIDGE_REFUSED = {
    "gateway frontend": (string(2, "gateway.v0") + entry(3, "source", "own"), "frontend `gateway.v0`"),
    "no frontend": (entry(3, "filename", "Dockerfile"), "the build frontend ``"),
    "frontend spelled otherwise": (string(2, "Dockerfile.v0"), "the build frontend `Dockerfile.v0`"),
    "frontend with a NUL": (string(2, "dockerfile.v0\0"), "the build frontend `dockerfile.v0"),
    "frontend twice": (DOCKERFILE + string(2, "gateway.v0"), "field 2 given twice"),
    "map key twice": (DOCKERFILE + entry(3, "filename", "Other"), "given twice in one map"),
    "padded field key": (b"\x92\x00\x0ddockerfile.v0", "a varint with padding"),
    "group": (DOCKERFILE + key(7, 3), "wire type"),
    "removed field 4": (DOCKERFILE + string(4, "x"), "field 4"),
    "raw llb": (DOCKERFILE + key(1, 2) + b"\x02" + key(1, 2) + b"\x00", "low-level build definition"),
    "frontend inputs": (DOCKERFILE + key(13, 2) + b"\x00", "low-level build definition"),
    "cache import": (DOCKERFILE + key(12, 2) + b"\x0a" + string(1, "registry"), "`--cache-from`"),
    "source policy": (DOCKERFILE + key(15, 2) + b"\x02" + key(1, 0) + b"\x01", "a source policy"),
}


@pytest.mark.parametrize("case", sorted(BRIDGE_REFUSED))
def test_each_bridge_solve_attack_is_denied_and_never_sent(guard, case: str) -> None:
    payload, said = BRIDGE_REFUSED[case]
    answer = Client(guard[0].socket).call(buildkit.BRIDGE_SOLVE, grpc(payload))
    assert answer["grpc-status"] == "7"
    assert said in guard[0].refusals[-1].message
    assert guard[1].calls == []


@pytest.mark.parametrize("which", sorted(SOLVES))
def test_a_second_request_on_a_solve_is_denied_and_neither_is_sent(guard, which: str) -> None:
    method, frontend, attrs = SOLVES[which]
    first = string(frontend, "dockerfile.v0") + entry(attrs, "filename", "Dockerfile")
    second = string(frontend, "gateway.v0")
    answer = Client(guard[0].socket).call(method, grpc(first) + grpc(second))
    assert answer["grpc-status"] == "7"
    assert "more than one request" in guard[0].refusals[-1].message
    assert guard[1].calls == []


@pytest.mark.parametrize("which", sorted(SOLVES))
def test_a_print_subrequest_is_answered_by_the_engine_s_own_frontend(guard, which: str) -> None:
    """`--print`/`--call` (`requestid=frontend.*`) may pass; the Dockerfile frontend answers it only
    with `cmdline` (else a `# syntax=` image would)."""
    method, frontend, attrs = SOLVES[which]
    solve = string(frontend, "dockerfile.v0") + entry(attrs, "requestid", "frontend.outline")
    answer = Client(guard[0].socket).call(method, grpc(solve))
    assert answer.get("grpc-status") == "0"
    assert guard[1].calls == [(method, grpc(solve + entry(attrs, "cmdline", "")))]


def test_provenance_as_a_build_arg_is_let_through() -> None:
    """buildx asks for provenance (`attest:provenance`); BuildKit reads the build arg as the same."""
    assert buildkit.frontend_attrs_refusal({"build-arg:BUILDKIT_ATTEST_PROVENANCE": "mode=min"}) is None
    assert buildkit.frontend_attrs_refusal({"attest:provenance": "mode=min"}) is None
