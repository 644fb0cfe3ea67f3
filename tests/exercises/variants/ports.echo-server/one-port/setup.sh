#!/usr/bin/env bash
# Forgets to publish the second port.
set -euo pipefail
docker run -d --name echo-server -p 45678:45678 busybox \
  sh -c 'while true; do nc -l -p 45678 | nc -l -p 45679; done'
