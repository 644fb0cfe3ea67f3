#!/usr/bin/env bash
# Right, written differently.
set -eu
for net in catsonly learning; do
  docker network create --driver bridge "$net"
done
docker container run --detach --name catserver --net catsonly busybox sh -c 'while true; do sleep 1; done'
docker network connect learning catserver
for pair in dogserver:learning bobcatserver:catsonly; do
  docker container run --detach --name "${pair%%:*}" --net="${pair#*:}" busybox tail -f /dev/null
done
