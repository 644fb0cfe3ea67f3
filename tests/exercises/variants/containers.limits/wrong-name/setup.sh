#!/usr/bin/env bash
# A typo in the name.
set -euo pipefail
docker run -d --name limits --memory 64m --cpu-shares 512 --cpu-quota 50000 busybox sleep 3600
