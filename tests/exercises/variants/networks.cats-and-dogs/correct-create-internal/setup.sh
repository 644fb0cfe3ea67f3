#!/usr/bin/env bash
# Right: internal networks, containers created, connected, then started.
set -euo pipefail
docker network create --internal learning
docker network create --internal catsonly
docker create --name catserver --network catsonly busybox sleep 3600
docker network connect learning catserver
docker create --name dogserver --network learning busybox sleep 3600
docker create --name bobcatserver --network catsonly busybox sleep 3600
docker start catserver dogserver bobcatserver
