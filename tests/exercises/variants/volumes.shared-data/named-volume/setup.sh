#!/usr/bin/env bash
# Names the volume.
set -euo pipefail
docker run -d --name vol1 -v shared:/shared-data busybox sleep 3600
docker run --name vol2 --volumes-from vol1 busybox sh -c 'echo hello from vol2 > /shared-data/hello.txt'
