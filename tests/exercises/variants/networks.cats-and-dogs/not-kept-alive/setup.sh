#!/usr/bin/env bash
# No long-running command: the containers exit at once.
set -euo pipefail
docker network create learning
docker network create catsonly
docker run -d --name catserver --network learning busybox
docker network connect catsonly catserver
docker run -d --name dogserver --network learning busybox
docker run -d --name bobcatserver --network catsonly busybox
