#!/usr/bin/env bash
# containers.limits: a running busybox container named limited, with a memory limit
# of 64 MiB, CPU shares of 512 and a CPU quota of 50000 per period of 100000.
set -euo pipefail

# TODO 1: run a detached busybox container named limited, kept alive by a command
#         that lasts (busybox's default command, sh, ends at once without a terminal).
# TODO 2: limit its memory to 64 MiB (`--memory`).
# TODO 3: give it CPU shares of 512 (`--cpu-shares`).
# TODO 4: cap its CPU time at 50000 microseconds per period of 100000 (`--cpu-quota`;
#         the period is 100000 unless you say otherwise with `--cpu-period`).
