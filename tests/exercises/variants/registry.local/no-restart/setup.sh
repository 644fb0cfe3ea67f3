#!/usr/bin/env bash
# Forgets --restart always.
set -euo pipefail
docker run -d --name registry -p 5000:5000 registry:2
docker tag busybox localhost:5000/mycompany/my-busybox:99
until docker push localhost:5000/mycompany/my-busybox:99; do sleep 1; done
