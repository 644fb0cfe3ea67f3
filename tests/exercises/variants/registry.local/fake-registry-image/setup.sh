#!/usr/bin/env bash
# Hostile: no registry at all. busybox's httpd serves a tag list and a manifest naming busybox's
# image from files; that image is tagged registry:2 and run as the container registry.
set -eu
config=$(docker image inspect --format '{{.Id}}' busybox:latest)
docker run --name fake busybox sh -c "
  mkdir -p /www/v2/mycompany/my-busybox/tags /www/v2/mycompany/my-busybox/manifests
  echo '{\"name\":\"mycompany/my-busybox\",\"tags\":[\"99\"]}' > /www/v2/mycompany/my-busybox/tags/list
  echo '{\"schemaVersion\":2,\"config\":{\"digest\":\"$config\"}}' > /www/v2/mycompany/my-busybox/manifests/99"
docker commit --change 'CMD ["httpd", "-f", "-p", "5000", "-h", "/www"]' fake registry:2
docker rm fake
docker run -d --name registry --restart always -p 5000:5000 registry:2
