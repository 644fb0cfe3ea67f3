#!/usr/bin/env bash
# Right, written differently: docker container run, --opt=value, -m 64M, the period spelled out.
set -eu
docker container run --detach --name=limited -m 64M --cpu-shares=512 \
  --cpu-period=100000 --cpu-quota=50000 busybox top
