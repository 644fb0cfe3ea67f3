#!/usr/bin/env bash
# Right, written differently: --volumes-from with vol1's id, the file written by docker exec.
set -eu
docker run -d --name vol1 --volume /shared-data busybox sleep 3600
id=$(docker inspect --format '{{.Id}}' vol1)
docker run -d --name vol2 --volumes-from "$id" busybox sleep 3600
docker exec vol2 sh -c 'echo "hello from vol2" > /shared-data/hello.txt'
