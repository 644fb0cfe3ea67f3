#!/usr/bin/env bash
# Right: Docker picks the host ports.
set -eu
docker container run --detach --name echo-server --publish 45678 --publish 45679/tcp busybox \
  sh -c 'until false; do nc -l -p 45678 | nc -l -p 45679; done'
docker port echo-server
