#!/usr/bin/env bash
# ports.echo-server, reference solution.
set -euo pipefail

docker run -d --name echo-server -p 45678:45678 -p 45679:45679 busybox \
  sh -c 'while true; do nc -l -p 45678 | nc -l -p 45679; done'
