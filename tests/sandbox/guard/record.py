"""Record what a docker CLI sends for the course's commands: the fixtures of test_policy.py.

    PYTHONPATH=. .venv/bin/python -m tests.sandbox.guard.record cli-26.1 compose-2.26

starts a sandbox of the current sandbox engine image, a runner of that image (its docker CLI and
compose plugin) and, between them, a guard that forwards everything but writes down each request
with the command that sent it, and what the guard's policy would have answered. The commands are those
recorded from the earlier CLIs (fixtures/cli-28.2.json), in their order, and a compose project's life.
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

import docker

from grader.sandbox.guard import Guard
from grader.sandbox.guard.request import Request
from grader.sandbox.runner import guarded
from tests.sandboxes import started

FIXTURES = Path(__file__).parent / "fixtures"
COMPOSE_FILE = """\
services:
  web:
    image: busybox
    command: httpd -f -p 80
    volumes: [notes:/notes]
  client:
    image: busybox
    command: sh -c 'echo started; sleep 300'
    depends_on: [web]
volumes:
  notes:
"""
COMPOSE_COMMANDS = [
    "cd /tmp/demo && docker compose version && docker compose -p demo up -d 2>&1",
    "cd /tmp/demo && docker compose -p demo ps",
    "cd /tmp/demo && sleep 3 && docker compose -p demo logs --no-color --tail 3 client",
    "cd /tmp/demo && docker compose -p demo up -d --scale web=3 2>&1",
    "cd /tmp/demo && docker compose -p demo exec -T client sh -c 'wget -q -O - http://web/ || true'",
    "docker rm -f demo-web-2",
    "cd /tmp/demo && docker compose -p demo down -v 2>&1",
]


class Recorder(Guard):
    """A guard that forwards everything and writes down each request, and what its policy says."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.command = ""  # the command running now
        self.records: list[dict[str, Any]] = []
        self.verdicts: list[str] = []

    def _refusal(self, request: Request, body: bytes) -> str | None:
        verdict = super()._refusal(request, body)
        self.records.append(
            {
                "command": self.command,
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "body": json.loads(body) if body else None,
            }
        )
        if verdict is not None:
            self.verdicts.append(f"{self.command}\n  {request.method} {request.path}: {verdict}")
        return None


def cli_commands() -> list[str]:
    """The course's commands as the earlier recordings ran them, in order."""
    commands: list[str] = []
    for record in json.loads((FIXTURES / "cli-28.2.json").read_text()):
        if record["command"] not in commands:
            commands.append(record["command"])
    return commands


def record(host: docker.DockerClient, commands: list[str], setup: str = "") -> tuple[list[Any], list[str]]:
    """The requests `commands` send, run one by one in a runner, and the guard's would-be refusals."""
    empty = io.BytesIO()
    tarfile.open(fileobj=empty, mode="w").close()
    sandbox = started(host, submission=empty.getvalue())
    try:
        guard = Recorder(sandbox.socket, allowed_bind_roots=("/tmp",), client_group=sandbox.owner)
        with guard:
            options = guarded(sandbox, guard.socket, memory="384m")
            runner = host.containers.run(
                sandbox.image, ["sleep", "infinity"], entrypoint=[], detach=True, **options
            )
            try:
                if setup:
                    runner.exec_run(["bash", "-c", setup])
                for command in commands:
                    guard.command = command
                    code, output = runner.exec_run(["bash", "-c", command])
                    print(f"$ {command}\n{output.decode(errors='replace')}(exit {code})")
            finally:
                runner.remove(force=True)
            return guard.records, guard.verdicts
    finally:
        sandbox.close()


def main(names: list[str]) -> None:
    host = docker.from_env()
    for name in names:
        if name.startswith("compose"):
            setup = f"mkdir -p /tmp/demo && cat > /tmp/demo/compose.yaml <<'EOF'\n{COMPOSE_FILE}EOF"
            records, verdicts = record(host, COMPOSE_COMMANDS, setup)
        else:
            records, verdicts = record(host, cli_commands())
        (FIXTURES / f"{name}.json").write_text(json.dumps(records, indent=1) + "\n")
        print(f"{name}: {len(records)} requests; the guard would refuse {len(verdicts)}:")
        print("\n".join(verdicts))


if __name__ == "__main__":
    main(sys.argv[1:])
