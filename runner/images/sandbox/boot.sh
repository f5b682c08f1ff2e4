#!/bin/bash
# Entrypoint of a lab sandbox (docker-network-lab/sandbox, run by tini): starts the Docker engine a reader
# works with, makes sure the tutorial's images are in it, and says so on stdout with exactly one of
#   lab-sandbox: ready
#   lab-sandbox: failed: <reason>          (then the container exits with status 1)
# The runner waits for one of these lines in the container's log. /run/lab/ready appears with the
# first, and /run/lab/boot-times holds how long each part took. Then the sandbox stays up until
# SIGTERM, which stops the engine and its containers cleanly.
#
# The sandbox is not privileged (refused on these machines): it needs the capabilities and security
# options the runner gives it, and a mount of its own on /var/lib/docker: the runner gives it a
# size-limited tmpfs (its disk limit), the image builder a volume.
#
# Boot time is the reader's waiting time: this script avoids forking where bash can do the work, and
# overlaps the docker client's start-up with the engine's.
set -uo pipefail

DOCKERD_LOG=/var/log/dockerd.log
BOOT_TIMEOUT_MS=60000
dockerd_pid=

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

fail() {
  echo "lab-sandbox: failed: $*"
  [ -s "$DOCKERD_LOG" ] && tail -n 20 "$DOCKERD_LOG" | sed 's/^/dockerd: /' >&2
  exit 1
}

# Why dockerd stopped, in one line: its "failed to start daemon: ..." message (which can span lines),
# else its last fatal or error line.
dockerd_error() {
  local why
  why=$(sed -n '/^failed to start daemon/,$p' "$DOCKERD_LOG" | tr '\n' ' ')
  [ -n "$why" ] || why=$(grep -E 'level=(fatal|error)' "$DOCKERD_LOG" | tail -n 1)
  echo "${why:0:400}"
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

t_start=$(now_ms)
# Fields of a mountinfo line: id parent major:minor root mountpoint options [optional...] - fstype ...
mapfile -t MOUNTINFO </proc/self/mountinfo
is_mountpoint() { # PATH
  local line fields
  for line in "${MOUNTINFO[@]}"; do
    read -ra fields <<<"$line"
    [ "${fields[4]}" = "$1" ] && return 0
  done
  return 1
}

# Without a mount of its own, /var/lib/docker is on the container's own overlay, where the inner engine
# can only use the slow vfs driver (and --storage-driver overlay2 below would make it fail).
is_mountpoint /var/lib/docker || fail "/var/lib/docker is not a mount of its own (start the sandbox with a tmpfs or a volume there)"

# Docker mounts the cgroup filesystems read-only in a container that is not privileged; the inner
# engine must create cgroups for its containers.
setup_cgroups() {
  local line fields mountpoint
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    # cgroup v2, in the container's own cgroup namespace (Docker's default there). As in Docker's
    # dind script: processes must leave the root before controllers can be delegated to children.
    mount -o remount,rw /sys/fs/cgroup || return 1
    mkdir -p /sys/fs/cgroup/init
    xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
    sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control
    return
  fi
  # cgroup v1: one read-only mount per hierarchy, each a bind of the sandbox's own cgroup
  # (/docker/<id>), not of the machine's root. Remounting them read-write keeps that view, so the
  # inner engine's cgroups (/docker/<inner-id> as it sees them) land below the sandbox's own and its
  # --memory and --pids-limit bound them; and a reader cannot reach any other cgroup of the machine.
  # (Unmounting and mounting them afresh would also work, but would show the whole machine's tree.)
  for line in "${MOUNTINFO[@]}"; do
    read -ra fields <<<"$line"
    mountpoint=${fields[4]}
    [ "${mountpoint#/sys/fs/cgroup/}" != "$mountpoint" ] || continue
    [[ " ${fields[*]:6} " == *" - cgroup "* ]] || continue
    [[ ",${fields[5]}," == *,ro,* ]] || continue
    mount -o remount,bind,rw "$mountpoint" || return 1
  done
}
setup_cgroups || fail "could not make the cgroup filesystems writable (does the sandbox have --cap-add SYS_ADMIN and apparmor=unconfined?)"
t_cgroups=$(now_ms)

# Name lookups stay inside the sandbox: a tiny resolver on docker0's address answers "no such name" to
# everything, so `ping tomcat01` from a container on docker0 fails at once with "Name or service not
# known", as in the tutorial, instead of waiting for a public resolver the sandbox cannot reach (and
# must not try to). User-defined networks resolve container names with Docker's embedded server, which
# forwards the rest here too. --bind-dynamic: it starts now and binds when docker0 gets its address.
mkdir -p /run/lab
dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-poll --bind-dynamic --listen-address=172.18.0.1 \
  --address=/#/ --user=root --pid-file=/run/lab/dnsmasq.pid \
  || fail "dnsmasq did not start"
# The sandbox's own lookups too. The runner sets it (--dns), on a read-only root; a bind mount: write, not replace.
grep -qx 'nameserver 172.18.0.1' /etc/resolv.conf || echo 'nameserver 172.18.0.1' >/etc/resolv.conf

# /proc/sys is read-only in a sandbox (the kernel's settings are the machine's). The engine writes
# only network settings, which belong to the sandbox's own network namespace: those are made writable.
if [ ! -w /proc/sys/net/ipv4/ip_forward ]; then
  { mount --bind /proc/sys/net /proc/sys/net && mount -o remount,bind,rw /proc/sys/net; } \
    || fail "could not make /proc/sys/net writable (does the sandbox have --cap-add SYS_ADMIN?)"
fi

# The tutorial's images, into the engine's empty store before it starts (see below).
shopt -s nullglob dotglob
existing=(/var/lib/docker/*)
shopt -u nullglob dotglob
if [ -d /lab/docker-store ] && [ ${#existing[@]} -eq 0 ]; then
  cp -a /lab/docker-store/. /var/lib/docker/ || fail "could not copy the image store into /var/lib/docker"
fi

# --bip: docker0 at 172.18.0.1/16 and the first container at 172.18.0.2, as in the tutorial.
# --storage-driver: named, so dockerd does not probe the others at every start.
# --userland-proxy=false: published ports (-P, -p) work through iptables alone, without one
#   docker-proxy process per port (the Redis cluster publishes 12).
# --dns: the resolver above, for containers on docker0 and as the embedded server's upstream.
# --shutdown-timeout: on SIGTERM, containers get 5 s before they are killed.
dockerd \
  --bip 172.18.0.1/16 \
  --storage-driver overlay2 \
  --userland-proxy=false \
  --dns 172.18.0.1 \
  --shutdown-timeout 5 \
  >"$DOCKERD_LOG" 2>&1 </dev/null &
dockerd_pid=$!

# The image brings the tutorial's images already in an engine's store (/lab/docker-store, see
# recipe_sandbox_bake in build.sh): copied into the empty /var/lib/docker before the engine reads it.
# Otherwise they are loaded from /lab/images.tar.
store=
[ -f /var/lib/docker/image/overlay2/repositories.json ] && store=$(</var/lib/docker/image/overlay2/repositories.json)
if [[ $store == *'"tomcat:latest"'* && $store == *'"redis:5.0.9-alpine3.11"'* ]]; then
  images=baked
else
  images=loaded
fi

# The engine creates its socket early and answers on it once it is initialised; a client that connects
# in between waits for the answer. So the client's first request starts as soon as the socket exists,
# and its own start-up (a large Go binary) overlaps the engine's.
until [ -S /var/run/docker.sock ]; do
  kill -0 "$dockerd_pid" 2>/dev/null || fail "dockerd exited while starting: $(dockerd_error)"
  [ $(( $(now_ms) - t_start )) -lt $BOOT_TIMEOUT_MS ] || fail "dockerd did not create its socket within $(( BOOT_TIMEOUT_MS / 1000 )) s"
  sleep 0.01
done
if [ "$images" = baked ]; then
  request=(docker version --format '{{.Server.Version}}')
else
  request=(docker load -q -i /lab/images.tar)
fi
until "${request[@]}" >/dev/null 2>/run/lab/boot.err; do
  kill -0 "$dockerd_pid" 2>/dev/null || fail "dockerd exited while starting: $(dockerd_error)"
  [ $(( $(now_ms) - t_start )) -lt $BOOT_TIMEOUT_MS ] || fail "${request[*]:0:2} failed: $(tail -n 1 /run/lab/boot.err)"
  sleep 0.1
done
t_loaded=$(now_ms)

: >/run/lab/ready
echo "lab-sandbox: ready"

# After the reader's wait: how long the engine took to answer (its log says when it began to) and the rest.
api_at=$(sed -n 's/^time="\([^"]*\)".*API listen on.*/\1/p' "$DOCKERD_LOG" | head -n 1)
api_ms=0
[ -n "$api_at" ] && api_ms=$(( $(date -d "$api_at" +%s%3N) - t_cgroups ))
printf 'images=%s cgroups_ms=%d dockerd_ms=%d load_ms=%d total_ms=%d\n' "$images" $(( t_cgroups - t_start )) \
  "$api_ms" $(( t_loaded - t_cgroups - api_ms )) $(( t_loaded - t_start )) >/run/lab/boot-times
echo "boot: $(</run/lab/boot-times)" >&2

# `wait` returns early when the TERM trap runs; otherwise dockerd ended on its own.
wait "$dockerd_pid"
status=$?
echo "lab-sandbox: failed: dockerd exited with status $status"
exit 1
