#!/usr/bin/env bash
# run-flow.commit, reference solution.
set -euo pipefail

docker run --name make-important busybox touch /importantfile.txt
docker commit make-important my-image:latest
docker rm make-important
