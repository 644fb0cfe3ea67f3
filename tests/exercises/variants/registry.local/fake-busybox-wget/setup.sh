#!/usr/bin/env bash
# Hostile: a real registry that holds nothing, on the machine's loopback only (so the grader
# asks it through a busybox container), and an image of its own tagged busybox:latest whose
# wget answers every request with the tag 99.
set -eu
docker run -d --name registry --restart always -p 127.0.0.1:5000:5000 registry:2
docker run --name fake busybox sh -c '
  rm /bin/wget
  printf "#!/bin/sh\necho \"  HTTP/1.1 200 OK\" >&2\necho \"{\\\"name\\\":\\\"mycompany/my-busybox\\\",\\\"tags\\\":[\\\"99\\\"]}\"\n" > /bin/wget
  chmod 755 /bin/wget'
docker commit fake busybox:latest
docker rm fake
