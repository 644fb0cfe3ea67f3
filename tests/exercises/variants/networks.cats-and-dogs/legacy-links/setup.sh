#!/usr/bin/env bash
# The old way: links on the default bridge network.
set -euo pipefail
docker run -d --name catserver busybox sleep 3600
docker run -d --name dogserver --link catserver busybox sleep 3600
docker run -d --name bobcatserver --link catserver busybox sleep 3600
