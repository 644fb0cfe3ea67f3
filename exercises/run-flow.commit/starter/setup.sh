#!/usr/bin/env bash
# run-flow.commit: make the image my-image:latest with docker commit.
set -euo pipefail

# TODO 1: run a busybox container that creates /importantfile.txt
#         (give it a name, so that you can find it again).

# TODO 2: commit that container as my-image:latest.

# TODO 3: leave no container of this script running.
