#!/usr/bin/env bash
# ports.echo-server: a container that passes what arrives on its port 45678 to a
# client of its port 45679, both ports published on the host.
set -euo pipefail

# TODO 1: run a detached busybox container named echo-server.
# TODO 2: publish its TCP ports 45678 and 45679 on the host (`-p HOST:CONTAINER`).
# TODO 3: its command: listen on 45678 and pass what arrives to a client of 45679,
#         again and again. busybox's nc listens with `nc -l -p PORT` and writes
#         what it receives to its output; `A | B` feeds A's output to B.
