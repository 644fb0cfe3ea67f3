#!/usr/bin/env bash
# registry.local, reference solution.
set -euo pipefail

docker rm -fv registry >/dev/null 2>&1 || true # a run before left one: start afresh
docker run -d --name registry --restart always -p 5000:5000 registry:2

docker tag busybox localhost:5000/mycompany/my-busybox:99
for attempt in 1 2 3 4 5 6 7 8 9 10; do # the registry may still be starting
  if docker push localhost:5000/mycompany/my-busybox:99; then
    exit 0
  fi
  echo "push attempt $attempt failed; trying again in a second" >&2
  sleep 1
done
exit 1
