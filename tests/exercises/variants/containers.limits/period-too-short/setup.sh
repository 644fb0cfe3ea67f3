#!/usr/bin/env bash
# A quota equal to its period is no limit below one CPU.
set -euo pipefail
docker run -d --name limited --memory 64m --cpu-shares 512 --cpu-period 50000 --cpu-quota 50000 busybox sleep 3600
