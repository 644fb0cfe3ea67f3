#!/usr/bin/env bash
# A typo in the file name.
set -euo pipefail
docker run --name saver busybox touch /important-file.txt
docker commit saver my-image:latest
docker rm saver
