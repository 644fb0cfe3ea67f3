"""`buildx.build_here`, the kernel's own docker CLI building a check cell's context, with a stand-in
`docker` on PATH (what it does with the CLI's output, exit code and time is the logic here; the real
CLI builds in tests/course/test_lab_engine.py)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from grader.model.exercise import BuildSecret
from grader.sandbox import buildx

CONTEXT = b"x" * 2048
TELLS_SECRET = """cat >/dev/null; echo "arg=$API_TOKEN"
file=$(echo "$@" | grep -o "src=[^ ]*" | cut -d= -f2)
echo "file=$(cat "$file")"; echo "at=$file"
"""


def _stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> Path:
    """A `docker` that runs `script` (its arguments in "$@"), first on PATH; returns where stdin goes."""
    folder = tmp_path / "bin"
    folder.mkdir()
    docker = folder / "docker"
    docker.write_text(f"#!/bin/sh\n{script}\n")
    docker.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    monkeypatch.setenv("STDIN_COPY", str(tmp_path / "stdin"))
    buildx.available.cache_clear()
    return tmp_path / "stdin"


def test_a_build_gets_the_context_gzipped_and_keeps_the_plain_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = _stand_in(tmp_path, monkeypatch, 'cat > "$STDIN_COPY"; echo "#5 [2/2] RUN <<EOT"; echo "$@"')
    built = buildx.build_here(tag="t:1", timeout_s=30, network=False, context=CONTEXT)
    assert built.ok and built.image == "t:1"
    assert gzip.decompress(stdin.read_bytes()) == CONTEXT
    assert "#5 [2/2] RUN <<EOT" in built.log
    assert "buildx build --progress=plain --load --no-cache --network none -t t:1 -" in built.log


def test_a_failed_build_says_buildkit_s_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stand_in(tmp_path, monkeypatch, "cat >/dev/null; echo 'ERROR: failed to solve: no such file'; exit 1")
    built = buildx.build_here(tag="t:1", timeout_s=30, network=True, context=CONTEXT)
    assert not built.ok and not built.timed_out
    assert built.cause == "failed to solve: no such file"


def test_a_build_past_its_time_limit_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stand_in(tmp_path, monkeypatch, "echo '#3 [2/2] RUN sleep 600'; exec sleep 600")
    built = buildx.build_here(tag="t:1", timeout_s=1, network=False, context=CONTEXT)
    assert built.timed_out and not built.ok
    assert "within 1 s" in built.error and "RUN sleep 600" in built.log


def test_a_secret_reaches_the_cli_fresh_as_its_file_and_build_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stand_in(tmp_path, monkeypatch, TELLS_SECRET)
    secret = BuildSecret(id="api_token", arg="API_TOKEN")
    first = buildx.build_here(tag="t:1", timeout_s=30, network=False, context=CONTEXT, secret=secret)
    second = buildx.build_here(tag="t:1", timeout_s=30, network=False, context=CONTEXT, secret=secret)
    assert first.ok and len(first.secret) >= 24 and first.secret != second.secret
    assert f"arg={first.secret}" in first.log and f"file={first.secret}" in first.log
    [where] = [line[3:] for line in first.log.splitlines() if line.startswith("at=")]
    assert where.endswith("/secret") and not Path(where).exists(), "the secret's file goes with the build"


def test_buildx_is_available_only_where_the_cli_has_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stand_in(
        tmp_path, monkeypatch, '[ "$1 $2" = "buildx version" ] && echo "github.com/docker/buildx v0.13"'
    )
    assert buildx.available()
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    buildx.available.cache_clear()
    assert not buildx.available()
    buildx.available.cache_clear()
