#!/usr/bin/env bash
# vol1 has no command that lasts.
set -euo pipefail
docker run -d --name vol1 -v /shared-data busybox
docker run --name vol2 --volumes-from vol1 busybox sh -c 'echo hello from vol2 > /shared-data/hello.txt'
