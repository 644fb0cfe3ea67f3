#!/usr/bin/env bash
# containers.limits, reference solution.
set -euo pipefail

docker run -d --name limited --memory 64m --cpu-shares 512 --cpu-quota 50000 busybox sleep 3600
