#!/usr/bin/env bash
# Names the container my-registry.
set -euo pipefail
docker run -d --name my-registry --restart always -p 5000:5000 registry:2
docker tag busybox localhost:5000/mycompany/my-busybox:99
until docker push localhost:5000/mycompany/my-busybox:99; do sleep 1; done
