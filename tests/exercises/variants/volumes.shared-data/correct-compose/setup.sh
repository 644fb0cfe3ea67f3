#!/usr/bin/env bash
# Right, with Compose v2: vol1 keeps an anonymous volume, vol2 takes it with volumes_from and writes.
set -eu
cat > compose.yaml <<'YAML'
services:
  vol1:
    image: busybox
    container_name: vol1
    command: top
    volumes:
      - /shared-data
  vol2:
    image: busybox
    container_name: vol2
    depends_on: [vol1]
    volumes_from: [vol1]
    command: sh -c 'printf "hello from vol2" > /shared-data/hello.txt'
YAML
docker compose up -d
docker wait vol2
