#!/usr/bin/env bash
# Removes vol2 once it is done.
set -euo pipefail
docker run -d --name vol1 -v /shared-data busybox sleep 3600
docker run --rm --name vol2 --volumes-from vol1 busybox sh -c 'echo hello from vol2 > /shared-data/hello.txt'
