#!/usr/bin/env bash
# Right, written differently: create and start with no limits, then docker update them.
set -eu
docker create --name limited busybox sleep 3600
docker start limited
docker update --memory 67108864 --memory-swap 134217728 --cpu-shares 512 --cpus 0.5 limited
