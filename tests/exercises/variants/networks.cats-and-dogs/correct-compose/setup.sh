#!/usr/bin/env bash
# Right, with Compose v2: the script writes a compose file and runs `docker compose up -d`.
set -eu
cat > compose.yaml <<'YAML'
services:
  catserver:
    image: busybox
    container_name: catserver
    command: sh -c 'while true; do sleep 1; done'
    networks: [learning, catsonly]
  dogserver:
    image: busybox
    container_name: dogserver
    command: tail -f /dev/null
    networks: [learning]
  bobcatserver:
    image: busybox
    container_name: bobcatserver
    command: tail -f /dev/null
    networks: [catsonly]
networks:
  learning:
    name: learning
  catsonly:
    name: catsonly
YAML
docker compose up -d
