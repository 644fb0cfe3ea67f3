#!/usr/bin/env bash
# Host port 5001, consistently.
set -euo pipefail
docker run -d --name registry --restart always -p 5001:5000 registry:2
docker tag busybox localhost:5001/mycompany/my-busybox:99
until docker push localhost:5001/mycompany/my-busybox:99; do sleep 1; done
