#!/usr/bin/env bash
# Right: the policy comes from docker update; an extra tag does no harm.
set -euo pipefail
docker run -d -p 5000:5000 --name registry registry:2
docker update --restart always registry
for tag in 99 1.36; do
  docker tag busybox "localhost:5000/mycompany/my-busybox:$tag"
  n=0
  until docker push "localhost:5000/mycompany/my-busybox:$tag"; do
    n=$((n + 1)); [ "$n" -lt 20 ] || exit 1; sleep 0.5
  done
done
