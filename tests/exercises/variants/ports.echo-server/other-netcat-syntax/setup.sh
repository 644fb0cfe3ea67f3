#!/usr/bin/env bash
# netcat-openbsd's syntax; busybox takes 45678 for an address and stops.
set -euo pipefail
docker run -d --name echo-server -p 45678:45678 -p 45679:45679 busybox \
  sh -c 'nc -l 45678 | nc -l 45679'
