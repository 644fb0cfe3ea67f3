#!/bin/sh
# Engine 29 (Docker 29.7.2), which no Debian suite serves yet, for measuring the sandbox and the course on it:
# dockerd, docker-proxy and the docker CLI built from moby's and docker/cli's sources, offline (vendored
# modules, Debian sid's Go), then laid over engine 28's sandbox image as docker-course/sandbox-engine-29.
#
#   benchmarks/engine29/build.sh MOBY_GIT_DIR CLI_GIT_DIR
#
# As root, from a clone with its .venv (`make setup`). MOBY_GIT_DIR and CLI_GIT_DIR are git clones of
# github.com/moby/moby and github.com/docker/cli holding the tags below. The Go build runs in a sid root
# made with debootstrap from the host's Debian mirror (ENGINE29_WORK, /var/tmp/engine29 unless set; about
# 3 GB), never in a container: nothing is left on the engine but the image. A second run reuses the
# binaries and only lays them over engine 28's image again (after a change to the sandbox's recipe).
set -eu
MOBY_TAG=docker-v29.7.2
CLI_TAG=v29.7.2
VERSION=29.7.2
GO=golang-1.26-go
[ $# -eq 2 ] || { sed -n '2,11s/^# \{0,1\}//p' "$0" >&2; exit 2; }
MOBY_GIT=$1
CLI_GIT=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/benchmarks/engine29
WORK=${ENGINE29_WORK:-/var/tmp/engine29}
PY=$ROOT/.venv/bin/python
tag_of() { "$PY" -c "from grader.host.baseimages import sandbox_engine as e; print(e.$1.tag)"; }

"$ROOT/.venv/bin/grader" images prepare --offline --engine 28 >/dev/null
BASE=$(tag_of SID)
TAG=$(tag_of FROM_SOURCE)
MOBY_COMMIT=$(git -C "$MOBY_GIT" rev-parse --short=7 "$MOBY_TAG^{commit}")
CLI_COMMIT=$(git -C "$CLI_GIT" rev-parse --short=7 "$CLI_TAG^{commit}")

built() {  # whether bin/ holds this version's three binaries
  for binary in dockerd docker-proxy docker; do [ -x "$WORK/bin/$binary" ] || return 1; done
  "$WORK/bin/dockerd" --version | grep -q "version $VERSION, build $MOBY_COMMIT" &&
    "$WORK/bin/docker" --version | grep -q "version $VERSION, build $CLI_COMMIT"
}

build_binaries() {
  sid=$WORK/sid
  if [ ! -d "$sid/usr" ]; then
    mirror=$("$PY" -c "from grader.host import system; print(system.apt_mirror(suite='sid'))")
    debootstrap --variant=minbase sid "$sid" "$mirror"
  fi
  mount -t proc proc "$sid/proc"
  mount --bind /dev "$sid/dev"
  trap 'umount "$sid/proc" "$sid/dev"' EXIT
  if [ ! -x "$sid/usr/lib/go-1.26/bin/go" ]; then
    # A mirror that is a snapshot serves sid's Release as expired against today's date.
    chroot "$sid" apt-get -q -o Acquire::Check-Valid-Until=false update
    chroot "$sid" apt-get -q -y -o Acquire::Check-Valid-Until=false install --no-install-recommends \
      "$GO" git ca-certificates gcc libc6-dev pkg-config
  fi
  rm -rf "$sid/build" "$sid/go" && mkdir -p "$sid/build/moby" "$sid/go/src/github.com/docker/cli"
  git -C "$MOBY_GIT" archive "$MOBY_TAG" | tar -x -C "$sid/build/moby"
  git -C "$CLI_GIT" archive "$CLI_TAG" | tar -x -C "$sid/go/src/github.com/docker/cli"
  env="PATH=/usr/lib/go-1.26/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root GOPATH=/go GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off VERSION=$VERSION"
  # Each as upstream's release build does it: moby's hack/make.sh (static dockerd with cgo, docker-proxy
  # without), docker/cli's scripts/build/binary (GOPATH mode over vendor/); dated by their tags' commits.
  chroot "$sid" env $env GOFLAGS="-p=2 -mod=vendor" CGO_ENABLED=1 DOCKER_STATIC=1 PREFIX=/build/out \
    DOCKER_GITCOMMIT="$MOBY_COMMIT" SOURCE_DATE_EPOCH="$(git -C "$MOBY_GIT" log -1 --format=%ct "$MOBY_TAG")" \
    sh -c 'cd /build/moby && nice -n 10 ./hack/make.sh binary'
  chroot "$sid" env $env GOFLAGS=-p=2 TARGET=/build/cli-out GITCOMMIT="$CLI_COMMIT" \
    SOURCE_DATE_EPOCH="$(git -C "$CLI_GIT" log -1 --format=%ct "$CLI_TAG")" \
    sh -c 'cd /go/src/github.com/docker/cli && nice -n 10 ./scripts/build/binary'
  umount "$sid/proc" "$sid/dev" && trap - EXIT
  mkdir -p "$WORK/bin"
  cp "$sid/build/out/bundles/binary-daemon/dockerd" "$sid/build/out/bundles/binary-daemon/docker-proxy" \
    "$WORK/bin/" && cp -L "$sid/build/cli-out/docker" "$WORK/bin/"
  chmod 0755 "$WORK/bin/"*
}

built || build_binaries
built || { echo "The binaries in $WORK/bin are not $VERSION's." >&2; exit 1; }
go_version=$("$WORK/sid/usr/lib/go-1.26/bin/go" version | awk '{print $3}')
made="dockerd and docker-proxy $VERSION (moby $MOBY_TAG, $MOBY_COMMIT) and docker CLI $VERSION (docker/cli $CLI_TAG, $CLI_COMMIT), built from source with $go_version (Debian sid $GO)"

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir "$context/bin"
cp "$HERE/Dockerfile" "$context/"
cp -p "$WORK/bin/dockerd" "$WORK/bin/docker-proxy" "$WORK/bin/docker" "$context/bin/"
recipe=$(docker image inspect --format '{{index .Config.Labels "org.docker-course.recipe"}}' "$BASE")
old=$(docker image inspect --format '{{.Id}}' "$TAG" 2>/dev/null || true)
DOCKER_BUILDKIT=0 docker build -q --rm --force-rm --build-arg "BASE=$BASE" \
  --build-arg "BASE_RECIPE=$recipe" --build-arg "MADE=$made" -t "$TAG" "$context"
new=$(docker image inspect --format '{{.Id}}' "$TAG")
[ -z "$old" ] || [ "$old" = "$new" ] || docker image rm "$old" >/dev/null 2>&1 || true
echo "$TAG: $made"
