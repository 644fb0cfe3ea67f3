"""The host's one firewall rule for every sandbox: no connection a sandbox starts reaches the host itself."""

from __future__ import annotations

import os
import shutil
import subprocess

import docker

from grader.host import labels
from grader.text import decode

BRIDGE_PREFIX = "gr-"  # the host's name of every sandbox network's bridge: gr-<run id>, 15 characters
NO_NEW_CONNECTIONS = ["-i", f"{BRIDGE_PREFIX}+", "-m", "conntrack", "!", "--ctstate", "ESTABLISHED,RELATED"]
"""What a sandbox may not start towards the host itself (its services, on any of its addresses): a
connection in through a sandbox's bridge. The host's own connections to published ports are answered."""


def set_rule(host: docker.DockerClient, image: str) -> tuple[int, str]:
    """Insert the rule unless it is there, directly or from a helper container of `image` on the host's
    network; the exit code and output of doing so."""
    script = " && ".join(
        f"{{ {tool} -C INPUT {rule} || {tool} -I INPUT {rule}; }}"
        for tool in ("iptables", "ip6tables")
        for rule in [" ".join(f"'{word}'" for word in [*NO_NEW_CONNECTIONS, "-j", "DROP"])]
    )
    if os.getuid() == 0 and shutil.which("iptables") and shutil.which("ip6tables"):
        done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=False)
        return done.returncode, done.stdout + done.stderr
    helper = host.containers.run(
        image,
        ["sh", "-c", script],
        entrypoint=[],
        detach=True,
        network_mode="host",
        cap_drop=["ALL"],
        cap_add=["NET_ADMIN", "NET_RAW"],
        labels=labels.run_labels("firewall"),
    )
    try:
        return int(helper.wait(timeout=60)["StatusCode"]), decode(helper.logs())
    finally:
        helper.remove(force=True)
