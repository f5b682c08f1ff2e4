#!/bin/bash
# Entrypoint of a lab sandbox (docker-network-lab/sandbox, run by tini): starts the Docker engine a reader
# works with, inside a user namespace whose root is uid 100000 of the machine, makes sure the tutorial's
# images are in it, and says so on stdout with exactly one of
#   lab-sandbox: ready
#   lab-sandbox: failed: <reason>          (then the container exits with status 1)
# The runner waits for one of these lines in the container's log. /run/lab/userns.pid names the process
# whose namespaces a reader's shell enters (/lab/enter.sh); the inside part's boot time goes to stderr.
# Then the sandbox stays up until SIGTERM, which stops the engine and its containers cleanly.
#
# Two parts, in this one file:
#   outside  (as the container's root, with CHOWN, SETUID and SETGID and no other capability): gives the
#            writable places to the mapped root, then makes the namespaces (user, mount, network, pid,
#            uts, ipc) with `unshare`, the uid range mapped by newuidmap from /etc/subuid;
#   inside   (`boot.sh inside`, as root of that namespace, that is, uid 100000 on the machine): its own
#            /run, loopback, resolver and the engine, `dockerd --rootless` (no cgroups of its own: every
#            process of the sandbox stays in the sandbox container's cgroup, under the runner's fence).
# Everything a reader starts runs inside; no capability of the machine's user namespace reaches it.
#
# Boot time is the reader's waiting time: this script avoids forking where bash can do the work, and
# overlaps the docker client's start-up with the engine's.
set -uo pipefail

DOCKERD_LOG=/var/log/dockerd.log
BOOT_TIMEOUT_MS=60000
# The uid and gid range the namespace's 0..65535 map to (also in /etc/subuid and /etc/subgid).
MAPPED_ROOT=100000
MAPPED_COUNT=65536
# The places a reader and the engine write: tmpfs mounts the runner gives the sandbox (the image
# builder's volume on /var/lib/docker), handed to the mapped root. /run stays the outer root's.
WRITABLE=(/var/lib/docker /tmp /var/tmp /root /home /var/log /etc/docker /mydata /data /srv /opt /mnt)

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

# Fields of a mountinfo line: id parent major:minor root mountpoint options [optional...] - fstype ...
is_mountpoint() { # PATH
  local line fields
  while read -r line; do
    read -ra fields <<<"$line"
    [ "${fields[4]}" = "$1" ] && return 0
  done </proc/self/mountinfo
  return 1
}

########################################################################################################
# Inside the user namespace: pid 1 of its own pid namespace, root of its own network namespace.
inside() {
  local dockerd_pid= t_start t_engine store images request go
  t_start=$(now_ms)
  stop_inside() {
    trap - TERM INT
    if [ -n "$dockerd_pid" ]; then
      kill -TERM "$dockerd_pid" 2>/dev/null
      wait "$dockerd_pid"
    fi
    exit 0
  }
  trap stop_inside TERM INT

  # The engine's sockets and state: a /run of the namespace's own (the outer /run/lab stays out of reach).
  mount -t tmpfs -o size=64m,mode=0755 tmpfs /run || fail "could not mount a tmpfs on /run inside the user namespace"
  mkdir -p /run/lab
  ip link set lo up || fail "could not bring up the loopback interface"

  # Name lookups stay inside the sandbox: a tiny resolver on docker0's address answers "no such name" to
  # everything, so `ping tomcat01` from a container on docker0 fails at once with "Name or service not
  # known", as in the tutorial. User-defined networks resolve container names with Docker's embedded
  # server, which forwards the rest here too. --bind-dynamic: it binds when docker0 gets its address.
  dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-poll --bind-dynamic --listen-address=172.18.0.1 \
    --address=/#/ --user=root --pid-file=/run/lab/dnsmasq.pid \
    || fail "dnsmasq did not start"

  # The tutorial's images, into the engine's empty store before it starts. The image carries the store
  # as a rootless engine made it (recipe_sandbox_bake in build.sh): owned by the mapped range.
  # Only its metadata (about 150 KB, which the engine writes) is copied into the tmpfs; each image
  # layer's files stay where they are in the sandbox image, read-only, mounted where the engine reads
  # them (containers only ever use them as an overlay's lower layers). So a sandbox holds no copy of
  # the images in its memory (a copy was 30 MiB, counted in its limit), every sandbox shares one
  # page cache of them, and the boot copies nothing of size.
  shopt -s nullglob dotglob
  local existing=(/var/lib/docker/*) layer
  shopt -u nullglob dotglob
  if [ -d /lab/docker-store ] && [ ${#existing[@]} -eq 0 ]; then
    tar -C /lab/docker-store --exclude='./overlay2/*/diff/*' -cf - . | tar -C /var/lib/docker -xf - \
      || fail "could not copy the image store's metadata into /var/lib/docker"
    for layer in /lab/docker-store/overlay2/*/diff; do
      mount --bind -o ro "$layer" "/var/lib/docker/${layer#/lab/docker-store/}" \
        || fail "could not mount the image layer ${layer%/diff} into /var/lib/docker"
    done
  fi

  # --rootless: the engine runs as root of a user namespace; on cgroup v1 it makes no cgroups, so
  #   containers stay in the sandbox's own (the runner's fence holds them all).
  # --bip: docker0 at 172.18.0.1/16 and the first container at 172.18.0.2, as in the tutorial.
  # --storage-driver: named, so dockerd does not probe the others at every start.
  # --userland-proxy=false: published ports (-P, -p) work through iptables alone, without one
  #   docker-proxy process per port (the Redis cluster publishes 12).
  # --dns: the resolver above, for containers on docker0 and as the embedded server's upstream.
  # --shutdown-timeout: on SIGTERM, containers get 5 s before they are killed.
  # GOGC=50: the engine's Go heap (and its containerd's, which inherits it) grows half as far past
  # what is live before a collection; an idle sandbox holds a few MiB less, at a little more GC work
  # while a reader runs commands.
  GOGC=50 dockerd \
    --rootless \
    --bip 172.18.0.1/16 \
    --storage-driver overlay2 \
    --userland-proxy=false \
    --dns 172.18.0.1 \
    --shutdown-timeout 5 \
    >"$DOCKERD_LOG" 2>&1 </dev/null &
  dockerd_pid=$!

  store=
  [ -f /var/lib/docker/image/overlay2/repositories.json ] && store=$(</var/lib/docker/image/overlay2/repositories.json)
  if [[ $store == *'"tomcat:latest"'* && $store == *'"redis:5.0.9-alpine3.11"'* ]]; then
    images=baked
  else
    images=loaded
  fi

  # The engine creates its socket early and answers on it once it is initialised; a client that connects
  # in between waits for the answer. So the client's first request starts as soon as the socket exists.
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
  t_engine=$(now_ms)

  # Ready only once the outer part has written where a shell enters (it says so on stdin).
  read -r -t 30 go || fail "the outer part of the sandbox did not say where shells enter"
  exec </dev/null
  echo "lab-sandbox: ready"
  printf 'images=%s inside_ms=%d\n' "$images" $(( t_engine - t_start )) >&2

  # `wait` returns early when the TERM trap runs; otherwise dockerd ended on its own.
  wait "$dockerd_pid"
  fail "dockerd exited with status $?"
}

########################################################################################################
# Outside: the sandbox container's root, with the three capabilities the runner leaves it.
# It becomes `unshare` (exec): the process tree is tini, unshare, the inside part and the engine.
# tini runs with -g, so a SIGTERM reaches the whole group: the inside part stops the engine cleanly.
outside() {
  # Without a mount of its own, /var/lib/docker is on the container's own overlay, where the inner
  # engine can only use the slow vfs driver (and --storage-driver overlay2 would make it fail).
  is_mountpoint /var/lib/docker || fail "/var/lib/docker is not a mount of its own (start the sandbox with a tmpfs or a volume there)"
  [ "$(</proc/sys/user/max_user_namespaces)" -gt 0 ] 2>/dev/null \
    || fail "user namespaces are off on this machine (sysctl user.max_user_namespaces=0); set it above 0 (for example 15000)"
  command -v newuidmap >/dev/null && command -v newgidmap >/dev/null \
    || fail "newuidmap and newgidmap are missing from the sandbox image (Debian's uidmap package)"

  # The mapped root owns the writable places; the image's files stay the machine root's, read-only.
  chown "$MAPPED_ROOT:$MAPPED_ROOT" "${WRITABLE[@]}" 2>/dev/null
  [ -O /tmp ] && fail "could not give /tmp to the mapped root (uid $MAPPED_ROOT): does the sandbox have CAP_CHOWN?"

  mkdir -p /run/lab
  rm -f /run/lab/go
  mkfifo -m 0600 /run/lab/go || fail "could not make /run/lab/go"
  exec 5<>/run/lab/go # read-write: opening it does not wait for the other end
  announce &
  exec 5>&-

  # --setuid/--setgid 0: root of the namespace; without them the process keeps the machine's uid 0.
  # --kill-child: when unshare goes, so does everything inside.
  exec unshare --user --map-users="$MAPPED_ROOT,0,$MAPPED_COUNT" --map-groups="$MAPPED_ROOT,0,$MAPPED_COUNT" \
    --setuid 0 --setgid 0 --mount --net --pid --uts --ipc --fork --mount-proc --kill-child \
    "$0" inside </run/lab/go
}

# Beside unshare (this script's pid, $$): finds the namespace's pid 1 as this pid namespace sees it (the
# child of unshare in another pid namespace), writes it where enter.sh reads it, and lets the inside
# part say it is ready.
announce() {
  local i child own
  own=$(readlink /proc/self/ns/pid)
  for (( i = 0; i < 3000; i++ )); do
    for child in $(<"/proc/$$/task/$$/children"); do
      if [ "$(readlink "/proc/$child/ns/pid" 2>/dev/null)" != "$own" ] && [ -e "/proc/$child/ns/pid" ]; then
        echo "$child" >/run/lab/userns.pid
        echo go >&5
        exit 0
      fi
    done 2>/dev/null
    sleep 0.01
  done
  echo "lab-sandbox: failed: the sandbox's user namespace did not start within 30 s"
  kill -KILL $$
}

if [ "${1:-}" = inside ]; then inside; else outside; fi
