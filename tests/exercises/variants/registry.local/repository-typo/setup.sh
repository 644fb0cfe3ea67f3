#!/usr/bin/env bash
# mybusybox instead of my-busybox.
set -euo pipefail
docker run -d --name registry --restart always -p 5000:5000 registry:2
docker tag busybox localhost:5000/mycompany/mybusybox:99
until docker push localhost:5000/mycompany/mybusybox:99; do sleep 1; done
