#!/usr/bin/env bash
# Makes the change but never commits it.
set -euo pipefail
docker run --name saver busybox touch /importantfile.txt
docker rm saver
