#!/usr/bin/env bash
# Commits a container that keeps running.
set -euo pipefail
docker run -d --name keeper busybox sh -c 'touch /importantfile.txt && sleep 3600'
sleep 1
docker commit keeper my-image
