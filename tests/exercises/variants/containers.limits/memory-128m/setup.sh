#!/usr/bin/env bash
# Twice the memory asked for.
set -euo pipefail
docker run -d --name limited --memory 128m --cpu-shares 512 --cpu-quota 50000 busybox sleep 3600
