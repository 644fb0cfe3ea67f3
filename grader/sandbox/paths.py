"""Where things are mounted: the paths the sandbox, its runner and the checked containers share.

The sandbox container (the nested engine) sees the submission at `SUBMISSION_DIR`, the probe
toolkit at `PROBE_SOURCE`, and keeps its engine's socket in `SOCKET_DIR`. A runner or kernel
finds the guard's socket in `GUARD_DIR`. A container the checks look into sees the probe
toolkit, read-only, at `PROBE_DIR`.
"""

SOCKET_DIR = "/run/sandbox"
SUBMISSION_DIR = "/submission"
PROBE_SOURCE = "/grader/probe"
GUARD_DIR = "/run/guard"  # where containers working on a sandbox's engine find the guard's socket
ENGINE_DIR = "/run/course-engine"  # where the course engine's kernel finds its engine's socket (no guard)

PROBE_DIR = "/.grader"
PROBE_BUSYBOX = f"{PROBE_DIR}/busybox"
PROBE_BIN = f"{PROBE_DIR}/bin"
PROBE_PATH = PROBE_BIN
"""The whole PATH of commands run in a checked container: the probe's applets and nothing else."""
