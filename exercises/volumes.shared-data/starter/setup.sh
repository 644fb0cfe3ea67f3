#!/usr/bin/env bash
# volumes.shared-data: vol1 holds an anonymous volume at /shared-data; vol2 borrows it
# with --volumes-from and writes a file into it, which vol1 then sees.
set -euo pipefail

# TODO 1: run a detached busybox container named vol1, kept alive (sleep 3600),
#         with an anonymous volume at /shared-data (`-v /shared-data`: no name, no host folder).
# TODO 2: run a busybox container named vol2 with the volumes of vol1 (`--volumes-from`),
#         whose command writes "hello from vol2" into /shared-data/hello.txt.
#         Keep vol2 (no --rm): the grader looks at how it was started.
