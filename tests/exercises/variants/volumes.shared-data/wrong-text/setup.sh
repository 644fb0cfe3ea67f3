#!/usr/bin/env bash
# The wrong words.
set -euo pipefail
docker run -d --name vol1 -v /shared-data busybox sleep 3600
docker run --name vol2 --volumes-from vol1 busybox sh -c 'echo hello from vol1 > /shared-data/hello.txt'
