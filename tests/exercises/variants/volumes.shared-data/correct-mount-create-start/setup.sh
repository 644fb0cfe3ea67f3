#!/usr/bin/env bash
# Right, written differently: --mount for the anonymous volume, create + start for vol2.
set -eu
docker container run --detach --name vol1 --mount type=volume,destination=/shared-data busybox top
docker container create --name vol2 --volumes-from vol1:rw busybox \
  sh -c 'printf "hello from vol2" > /shared-data/hello.txt'
docker container start --attach vol2
