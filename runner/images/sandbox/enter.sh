#!/bin/bash
# Runs a command (a reader's shell) inside the sandbox's user namespace, as its root: uid 100000 of the
# machine. The runner starts it with `docker exec`, which lands as the container's root outside that
# namespace; nsenter then joins the namespaces of the process boot.sh named, staying in the sandbox
# container's cgroup (so the runner's limits hold it too). Usage: enter.sh COMMAND [ARGS...]
set -euo pipefail
pid=$(</run/lab/userns.pid)
# Only a namespace other than this one: a stale or wrong pid must not open a shell outside the wall.
[ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ] || { echo "enter.sh: no sandbox namespace at pid $pid" >&2; exit 1; }
# nsenter enters the user namespace first and becomes its uid 0 and gid 0 there; the working directory
# is set inside (nsenter --wd would open it as the outer root, which may not read the mapped root's files).
exec nsenter --target "$pid" --user --mount --net --pid --uts --ipc -- env --chdir=/root "$@"
