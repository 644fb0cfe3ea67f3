#!/usr/bin/env bash
# registry.local: run a registry on host port 5000 and push busybox to it as
# mycompany/my-busybox:99.
set -euo pipefail

# TODO 1: run a detached container named "registry" of the image registry:2,
#         with the restart policy "always", its port 5000 published on the
#         host's port 5000.

# TODO 2: give busybox a second name, one that says where it goes:
#         localhost:5000/mycompany/my-busybox:99

# TODO 3: push that name. The registry needs a moment to start: if the push
#         fails at once, try again (a few times, a second apart).
