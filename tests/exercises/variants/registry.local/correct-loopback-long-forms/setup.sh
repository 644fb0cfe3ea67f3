#!/usr/bin/env bash
# Right, written differently: the registry is reachable from this machine only.
set -eu
target=localhost:5000/mycompany/my-busybox:99
docker container run --detach --name=registry --restart=always \
  --publish 127.0.0.1:5000:5000 registry:2
# Wait until the registry answers its API before pushing (at most 30 s).
for _ in $(seq 1 150); do
  wget -q -O /dev/null http://localhost:5000/v2/ && break
  sleep 0.2
done
docker image tag busybox:latest "$target"
docker image push "$target"
