#!/usr/bin/env bash
# Right, with Docker 25 and later: catserver joins both networks with two --network flags at once.
set -eu
docker network create learning
docker network create catsonly
docker run -d --name catserver --network learning --network catsonly busybox sleep infinity
docker run -d --name dogserver --network learning busybox sleep infinity
docker run -d --name bobcatserver --network catsonly busybox sleep infinity
