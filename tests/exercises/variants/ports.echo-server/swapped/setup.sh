#!/usr/bin/env bash
# The pipe is the wrong way round.
set -euo pipefail
docker run -d --name echo-server -p 45678:45678 -p 45679:45679 busybox \
  sh -c 'while true; do nc -l -p 45679 | nc -l -p 45678; done'
