#!/usr/bin/env bash
# Publishes UDP ports.
set -euo pipefail
docker run -d --name echo-server -p 45678:45678/udp -p 45679:45679/udp busybox \
  sh -c 'while true; do nc -l -p 45678 | nc -l -p 45679; done'
