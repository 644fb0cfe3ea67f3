#!/usr/bin/env bash
# Right: every exposed port published on a random host port; a fifo instead of a pipe.
set -euo pipefail
docker create --name echo-server --expose 45678 --expose 45679 -P busybox sh -c '
  mkfifo /tmp/relay
  while :; do
    nc -l -p 45679 < /tmp/relay &
    nc -l -p 45678 > /tmp/relay
    wait
  done'
docker start echo-server
