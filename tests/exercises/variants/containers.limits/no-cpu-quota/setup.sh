#!/usr/bin/env bash
# Forgets the quota.
set -euo pipefail
docker run -d --name limited --memory 64m --cpu-shares 512 busybox sleep 3600
