#!/usr/bin/env bash
# Hostile: vol2 writes nothing. vol1 replaces its own /bin/sh with a script that answers the
# grader's framed commands (taking the marker from each) as if the file held the right words.
set -eu
docker run -d --name vol1 -v /shared-data busybox sh -c "$(cat <<'VOL1'
cat > /fake-sh <<'FAKE'
#!/bin/busybox sh
[ "$1" = "-c" ] && exit 0
while IFS= read -r line; do
  marker=$(printf '%s\n' "$line" | /bin/busybox grep -o '__grader_[0-9a-f]*__' | /bin/busybox head -n 1)
  [ -n "$marker" ] || continue
  case "$line" in
    *'echo $$'*) printf '4242' ;;
    *) printf 'hello from vol2\n' ;;
  esac
  printf '\n%s 0\n' "$marker"
  printf '\n%s\n' "$marker" >&2
done
FAKE
/bin/busybox chmod 755 /fake-sh
/bin/busybox rm /bin/sh
/bin/busybox mv /fake-sh /bin/sh
exec /bin/busybox sleep 3600
VOL1
)"
docker run --name vol2 --volumes-from vol1 busybox true
