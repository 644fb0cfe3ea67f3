#!/usr/bin/env bash
# networks.cats-and-dogs, reference solution.
set -euo pipefail

docker network create learning
docker network create catsonly

docker run -d --name catserver --network learning busybox sleep 3600
docker network connect catsonly catserver
docker run -d --name dogserver --network learning busybox sleep 3600
docker run -d --name bobcatserver --network catsonly busybox sleep 3600
