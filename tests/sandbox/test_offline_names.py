"""An offline sandbox's engine asks its own loopback's port 53 for names, where nothing answers: a
setup.sh can put nothing there to answer them (found by a hostile review: before, a runner or a
published port could, and choose what the engine's pulls and BuildKit's lookups reach)."""

from __future__ import annotations

import pytest

from tests.sandbox.test_runner import Run, run

__all__ = ["run"]  # the fixture: a setup.sh in a fresh offline sandbox behind a guard

pytestmark = [
    pytest.mark.docker,
    pytest.mark.slow,
    pytest.mark.hostile,
    pytest.mark.usefixtures("leaves_nothing"),
]

LISTEN = """perl -MSocket -e '
  socket(my $s, PF_INET, SOCK_DGRAM, 0) or die "socket: $!\\n";
  bind($s, sockaddr_in(53, inet_aton("127.0.0.1"))) or die "bind: $!\\n";
  print "listening on 53\\n"'
"""


def test_a_setup_sh_cannot_answer_the_engines_lookups(run: Run) -> None:
    """The runner (no capability) may not listen below 1024 in the sandbox's network namespace, and the
    guard refuses publishing a container's port there; the engine's lookup is refused at once."""
    result = run(
        LISTEN
        + "docker run -d --name dns -p 127.0.0.1:53:53/udp busybox sleep 60\n"
        + "docker run -d --name dns -p 53:53 busybox sleep 60\n"
        + "docker pull names.example/anything 2>&1 | tail -1\n",
        timeout_s=60,
    )
    assert "bind: Permission denied" in result.output and "listening" not in result.output, result.output
    assert len(result.refusals) == 2 and all("port 53" in r for r in result.refusals), result.refusals
    assert "lookup names.example on 127.0.0.1:53" in result.output, result.output
    assert "connection refused" in result.output, "nothing answered: refused at once, no wait"
