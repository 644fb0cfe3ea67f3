#!/usr/bin/env bash
# networks.cats-and-dogs: two networks, three containers, and who may talk to whom.
set -euo pipefail

# TODO 1: create the user-defined networks learning and catsonly.

# TODO 2: run catserver (busybox, kept alive, e.g. `sleep 3600`) on learning,
#         and attach it to catsonly too.

# TODO 3: run dogserver (busybox, kept alive) on learning only.

# TODO 4: run bobcatserver (busybox, kept alive) on catsonly only.
