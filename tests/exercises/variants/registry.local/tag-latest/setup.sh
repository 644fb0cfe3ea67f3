#!/usr/bin/env bash
# Leaves out the tag: it becomes latest.
set -euo pipefail
docker run -d --name registry --restart always -p 5000:5000 registry:2
docker tag busybox localhost:5000/mycompany/my-busybox
until docker push localhost:5000/mycompany/my-busybox; do sleep 1; done
