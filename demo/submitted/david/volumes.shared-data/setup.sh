#!/usr/bin/env bash
# Shares a folder (a bind mount) instead of a volume.
mkdir -p data
docker run -d --name vol1 -v "$(pwd)/data:/shared-data" busybox sleep 3600
docker run --name vol2 --volumes-from vol1 busybox sh -c 'echo hello from vol2 > /shared-data/hello.txt'
