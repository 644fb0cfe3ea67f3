#!/usr/bin/env bash
# A second, separate anonymous volume for vol2.
set -euo pipefail
docker run -d --name vol1 -v /shared-data busybox sleep 3600
docker run --name vol2 -v /shared-data busybox sh -c 'echo hello from vol2 > /shared-data/hello.txt'
