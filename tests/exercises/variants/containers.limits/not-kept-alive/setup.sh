#!/usr/bin/env bash
# No command that lasts: sh without a terminal exits at once.
set -euo pipefail
docker run -d --name limited --memory 64m --cpu-shares 512 --cpu-quota 50000 busybox
