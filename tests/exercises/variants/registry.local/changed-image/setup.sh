#!/usr/bin/env bash
# Commits a changed busybox container under the registry name, and pushes that.
set -euo pipefail
docker run -d --name registry --restart always -p 5000:5000 registry:2
docker run --name changed busybox touch /changed.txt
docker commit changed localhost:5000/mycompany/my-busybox:99
docker rm changed
until docker push localhost:5000/mycompany/my-busybox:99; do sleep 1; done
