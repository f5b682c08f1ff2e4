#!/bin/bash
# Entrypoint of a lab sandbox (docker-network-lab/sandbox, under tini): starts the Docker engine a reader
# works with, loads the tutorial's images into it, and says so on stdout with exactly one of
#   lab-sandbox: ready
#   lab-sandbox: failed: <reason>          (then the container exits with status 1)
# The runner waits for one of these lines in the container's log. Then it stays up until SIGTERM,
# which stops the engine and its containers cleanly.
#
# The sandbox is not privileged (refused on these machines): it needs the capabilities and security
# options the runner gives it, and a volume on /var/lib/docker (the image declares one).
set -uo pipefail

DOCKERD_LOG=/var/log/dockerd.log
dockerd_pid=

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

fail() {
  echo "lab-sandbox: failed: $*"
  [ -s "$DOCKERD_LOG" ] && tail -n 20 "$DOCKERD_LOG" | sed 's/^/dockerd: /' >&2
  exit 1
}

stop() {
  trap - TERM INT
  if [ -n "$dockerd_pid" ]; then
    kill -TERM "$dockerd_pid" 2>/dev/null
    wait "$dockerd_pid"
  fi
  exit 0
}
trap stop TERM INT

# Docker mounts the cgroup filesystems read-only in a container that is not privileged; the inner
# engine must create cgroups for its containers.
setup_cgroups() {
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    # cgroup v2, in the container's own cgroup namespace (Docker's default there). As in Docker's
    # dind script: processes must leave the root before controllers can be delegated to children.
    mount -o remount,rw /sys/fs/cgroup || return 1
    mkdir -p /sys/fs/cgroup/init
    xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
    sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control || return 1
    return 0
  fi
  # cgroup v1: a tmpfs with one read-only mount per hierarchy. Mount each one afresh, read-write.
  local mounts line mountpoint type options option subsystems
  mapfile -t mounts </proc/self/mounts # read first: the loop changes the mount table
  for line in "${mounts[@]}"; do
    read -r _ mountpoint type options _ <<<"$line"
    [ "$type" = cgroup ] && [ "${mountpoint#/sys/fs/cgroup/}" != "$mountpoint" ] || continue
    subsystems=
    for option in ${options//,/ }; do
      case $option in
        ro|rw|nosuid|nodev|noexec|relatime|noatime|xattr|clone_children|cpuset_v2_mode) ;;
        *) subsystems+=${subsystems:+,}$option ;;
      esac
    done
    case $subsystems in name=*) subsystems=none,$subsystems ;; esac # a named hierarchy without controllers
    umount "$mountpoint" && mount -t cgroup -o "$subsystems" cgroup "$mountpoint" || return 1
  done
  # In the host's cgroup namespace (Docker's default on v1) these mounts show the whole machine's
  # hierarchy. Put the inner containers below the sandbox's own cgroup, so the sandbox's memory and
  # pids limits bound them too. In a private cgroup namespace the path is "/" and the default is right.
  local own
  own=$(awk -F: '$2 == "memory" { print $3; exit }' /proc/self/cgroup)
  if [ -n "$own" ] && [ "$own" != / ]; then
    CGROUP_PARENT=$own/docker
  fi
}

t0=$(now_ms)
case $(stat -f -c %T /var/lib/docker 2>/dev/null) in
  overlayfs|'') fail "/var/lib/docker is not a volume (start the sandbox with -v /var/lib/docker)" ;;
esac
CGROUP_PARENT=
setup_cgroups || fail "could not mount the cgroup filesystems read-write (missing --cap-add SYS_ADMIN or apparmor=unconfined?)"

# --bip: docker0 at 172.18.0.1/16 and the first container at 172.18.0.2, as in the tutorial.
# --storage-driver: named, so dockerd does not probe the others at every start.
# --userland-proxy=false: published ports (-P, -p) work through iptables alone, without one
#   docker-proxy process per port (the Redis cluster publishes 12).
# --dns 172.18.0.1: containers on docker0 ask the sandbox itself, where nothing listens on port 53, so a
#   name that is not in /etc/hosts fails at once ("Name or service not known") instead of waiting for
#   a public resolver the sandbox cannot and must not reach. User-defined networks still resolve
#   container names with the embedded DNS server.
dockerd_args=(
  --bip 172.18.0.1/16
  --storage-driver overlay2
  --userland-proxy=false
  --dns 172.18.0.1
  --shutdown-timeout 5
)
[ -n "$CGROUP_PARENT" ] && dockerd_args+=(--cgroup-parent "$CGROUP_PARENT")
dockerd "${dockerd_args[@]}" >"$DOCKERD_LOG" 2>&1 </dev/null &
dockerd_pid=$!

t1=$(now_ms)
until docker version --format '{{.Server.Version}}' >/dev/null 2>&1; do
  kill -0 "$dockerd_pid" 2>/dev/null || fail "dockerd exited while starting: $(tail -n 1 "$DOCKERD_LOG")"
  [ $(( $(now_ms) - t1 )) -lt 60000 ] || fail "dockerd did not answer within 60 s"
  sleep 0.05
done
t2=$(now_ms)
docker load -q -i /lab/images.tar >/dev/null || fail "docker load -i /lab/images.tar failed"
t3=$(now_ms)

mkdir -p /run/lab
printf 'cgroups_ms=%d dockerd_ms=%d load_ms=%d total_ms=%d\n' $(( t1 - t0 )) $(( t2 - t1 )) $(( t3 - t2 )) $(( t3 - t0 )) >/run/lab/boot-times
echo "boot: engine up in $(( t2 - t1 )) ms, images loaded in $(( t3 - t2 )) ms" >&2
: >/run/lab/ready
echo "lab-sandbox: ready"

# `wait` returns early when the TERM trap runs; otherwise dockerd ended on its own.
wait "$dockerd_pid"
status=$?
echo "lab-sandbox: failed: dockerd exited with status $status"
exit 1
