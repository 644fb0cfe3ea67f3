#!/usr/bin/env bash
# Borrows the volume read-only; the write fails (the script goes on).
docker run -d --name vol1 -v /shared-data busybox sleep 3600
docker run --name vol2 --volumes-from vol1:ro busybox sh -c 'echo hello from vol2 > /shared-data/hello.txt'
