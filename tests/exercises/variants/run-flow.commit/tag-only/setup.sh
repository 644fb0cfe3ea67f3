#!/usr/bin/env bash
# Tags busybox instead of committing a change.
set -euo pipefail
docker tag busybox my-image:latest
