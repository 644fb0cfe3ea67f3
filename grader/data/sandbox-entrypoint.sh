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
exec dockerd "$@"
