#!/bin/sh
# Make this container's own cgroup subtrees writable so the nested engine can
# create its containers' cgroups *inside* this sandbox's limits.
set -e
if ! touch /sys/fs/cgroup/memory/.w 2>/dev/null && [ -d /sys/fs/cgroup/memory ]; then
  awk '$9 == "cgroup" {print $4, $5, $NF}' /proc/self/mountinfo | while read -r root point opts; do
    sub=${opts##*,}; tmp=$(mktemp -d)
    mount -t cgroup -o "$sub" cgroup "$tmp"
    umount "$point"
    mount --bind "$tmp$root" "$point"
    umount "$tmp"; rmdir "$tmp"
  done
fi
# The engine puts its containers in the cgroup docker/<id> and BuildKit its RUN steps in
# docker/buildkit/<step> (cgroupfs' default parent), the daemons themselves staying here. A container
# has the pids limit it was given, if any, a RUN step none: a fork bomb in either would take every
# process this sandbox may have, and the engine could no longer fork runc to stop it. So everything
# under docker/ shares a bound below the sandbox's, and the build steps a smaller one within it (so
# containers still start during a bomb in a build), made here before the engine starts (cgroup v1).
if [ -n "${SANDBOX_WORKLOAD_PIDS:-}" ] && [ -d /sys/fs/cgroup/pids ]; then
  mkdir -p /sys/fs/cgroup/pids/docker/buildkit
  echo "$SANDBOX_WORKLOAD_PIDS" > /sys/fs/cgroup/pids/docker/pids.max
  echo "${SANDBOX_BUILD_PIDS:-max}" > /sys/fs/cgroup/pids/docker/buildkit/pids.max
fi
# On an internal network Docker still hands out a default route (its firewall drops what takes it):
# an offline sandbox drops the route too, so a fetch fails at once ("network is unreachable").
# And a name fails at once: it is asked of this sandbox's own loopback, where nothing answers (Docker's
# DNS on an internal network lets each query time out, and BuildKit on the containerd image store
# looks docker.io up for every FROM: 2 s a build).
if [ "${SANDBOX_OFFLINE:-}" = 1 ]; then
  /grader/probe/busybox ip route del default 2>/dev/null || true
  printf "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n" > /etc/resolv.conf  # (the guard keeps
  # its port 53 free, but were anything to take it and not answer, a lookup would still end in 1 s)
fi
# User namespaces (cgroup v1 only): the nested engine maps its containers' root to an unprivileged
# user of the host (dockremap, from uid and gid $SANDBOX_USERNS, to whom the grader hands the
# submission). The kernel mounts a new proc or sysfs in a user namespace only where the whole of
# it is visible already: so the masks Docker lays over this
# container's /proc and /sys go (its root, holding SYS_ADMIN, could lift them anyway), and the
# cgroup hierarchies move off /sys to /run/cgroup (runc and dockerd find them by mountinfo).
if [ "${SANDBOX_USERNS:-0}" != 0 ] && [ -d /sys/fs/cgroup/memory ]; then
  echo "dockremap:$SANDBOX_USERNS:65536" | tee /etc/subuid > /etc/subgid
  mkdir -p /run/cgroup
  mount --move /sys/fs/cgroup /run/cgroup
  # lazily: a process exec'd meanwhile (`runc init` reads /proc/sys/kernel/cap_last_cap) keeps a mask busy
  awk '$5 ~ "^/(proc|sys)/" {print $5}' /proc/self/mountinfo | sort -r | while read -r point; do
    umount -l "$point"
  done
  set -- --userns-remap=default "$@"
fi
# Engines from 27 on (28.5 was measured) turn IPv6 off on each container's interface themselves and fail
# the container when they cannot (26's way round, DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE below, is gone):
# so for them alone the sandbox's /proc/sys/net, read-only, becomes writable. A net sysctl is that of
# the network namespace writing it (the sandbox's, or its containers'), never the host's; the rest of
# /proc/sys stays read-only.
case "$(dockerd --version)" in
  *" version 2"[0-6].*) ;;
  *) [ -w /proc/sys/net/ipv6/conf/all/disable_ipv6 ] ||
       { mount --bind /proc/sys/net /proc/sys/net && mount -o remount,bind,rw /proc/sys/net; } ;;
esac
# The image store asked for, in so many words (the engine's containerd-snapshotter feature): engine 29
# takes containerd's on a fresh /var/lib/docker unless told. A feature is set in daemon.json only, so the
# engine reads a copy of it that says which.
snapshotter=false
if [ "${SANDBOX_IMAGE_STORE:-classic}" = containerd ]; then snapshotter=true; fi
sed "1s/^{/{\"features\": {\"containerd-snapshotter\": $snapshotter},/" /etc/docker/daemon.json > /run/daemon.json
set -- --config-file=/run/daemon.json "$@"
# The sandbox's /proc/sys is read-only, so dockerd (25 and later) cannot turn IPv6 off on its containers'
# interfaces itself: the sandbox has it off already (its sysctls), so the engine may go on without.
export DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1
exec dockerd "$@"
