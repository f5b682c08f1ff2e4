#!/bin/bash
# The direct attach path of a dind sandbox (runner/sandbox/attach.ts says when it is used, and why this
# order). node-pty spawns it as the machine's root, with the reader's pty as 0, 1 and 2; it becomes,
# through exec only, a shell inside the sandbox's user namespace: no daemon relays the terminal's bytes.
#   attach.sh TARGET_PID TARGET_START USERNS CGROUP_PROCS... -- COMMAND [ARGS...]
# TARGET_PID: the sandbox namespace's pid 1 (machine pid), TARGET_START its start time (field 22 of
# /proc/<pid>/stat) and USERNS its user namespace (`user:[inode]`), as the runner found them at boot;
# CGROUP_PROCS: the sandbox container's cgroup.procs files, one per hierarchy.
set -euo pipefail
target=$1 start=$2 userns=$3
shift 3

# 0. Nothing of the machine's but the pty: descriptors the runner was given without close-on-exec (by
#    whatever started it) would otherwise reach the reader's shell.
for fd in /proc/$$/fd/*; do
  fd=${fd##*/}
  if [ "$fd" -gt 2 ]; then exec {fd}>&-; fi
done

# 1. Into the sandbox's cgroups first, while still able to write them: from here on every process of
#    this terminal counts against the fence's limits (pids, memory, CPU, devices).
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
  echo "$$" 2>/dev/null >"$1" || { echo "attach.sh: could not join the sandbox's cgroup $1" >&2; exit 1; }
  shift
done
[ "${1:-}" = -- ] || { echo "attach.sh: no command" >&2; exit 2; }
shift

# 2. The target must still be the process the runner found: same start time (a pid used again is another
#    process) and the same user namespace, which is not this one. Otherwise no shell: never one outside
#    the wall. setns(2) into the machine's own user namespace fails anyway (EINVAL).
{ stat=$(<"/proc/$target/stat"); } 2>/dev/null || { echo "attach.sh: the sandbox is gone (no pid $target)" >&2; exit 1; }
# The fields after "(comm) " start at field 3; the start time is field 22.
read -ra fields <<<"${stat##*) }"
[ "${fields[19]}" = "$start" ] || { echo "attach.sh: pid $target is no longer the sandbox" >&2; exit 1; }
[ "$(readlink "/proc/$target/ns/user")" = "$userns" ] && [ "$userns" != "$(readlink /proc/self/ns/user)" ] \
  || { echo "attach.sh: pid $target is not in the sandbox's user namespace" >&2; exit 1; }

# 3. No new privileges, ever (inherited by everything the reader runs). Then, in two steps:
#    a. the cgroup namespace (owned by the machine's user namespace: joined while still root there) and
#       the user namespace, then uid 0 and gid 0 of it: uid 100000 of the machine, with capabilities in
#       the sandbox's user namespace only. No pid namespace yet, so nothing of the reader's sees this
#       process, and it forks nothing.
#    b. as that uid, the mount, network, pid, uts and ipc namespaces; nsenter forks into the pid
#       namespace, and the child, already uid 100000, execs the command found in the sandbox's own
#       filesystem. So no process of the machine's uid 0 is ever in the sandbox's pid namespace
#       (util-linux nsenter forks before it calls setuid: one nsenter with all the namespaces would put
#       a root process of the machine there, for a moment, open to the reader's ptrace).
exec setpriv --no-new-privs \
  nsenter --target "$target" --cgroup --user -- \
  nsenter --target "$target" --mount --net --pid --uts --ipc -- \
  env --chdir=/root "$@"
