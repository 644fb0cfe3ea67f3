#!/usr/bin/env bash
# Right, written differently: create, start, a variable, a long-form commit.
set -eu
name=important-$$
docker container create --name "$name" busybox sh -c 'echo secret > /importantfile.txt'
docker container start --attach "$name"
docker container commit --message "added the important file" "$name" my-image
docker container rm "$name"
