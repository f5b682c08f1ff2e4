#!/usr/bin/env bash
# Makes sure a Docker engine answers, at DOCKER_HOST or the standard socket.
# On Debian or Ubuntu as root, installs docker.io (and iptables) from the distro and starts dockerd.
# Anywhere else, stops with a message that says what to install.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if command -v docker >/dev/null && engine_answers; then
  exit 0
fi
if [ -n "${DOCKER_HOST:-}" ]; then
  die "DOCKER_HOST=$DOCKER_HOST does not answer. Start that engine, or unset DOCKER_HOST to use the local one."
fi

if ! command -v dockerd >/dev/null; then
  if ! is_root || ! is_debian_like; then
    die "No Docker engine answers and this script can only install one on Debian or Ubuntu as root.
       Install Docker Engine (https://docs.docker.com/engine/install/), start it, and run this again."
  fi
  apt_install docker.io iptables ca-certificates || die "apt-get install docker.io failed (see above)."
fi
if ! is_root; then
  die "dockerd is installed but not running, and starting it needs root. Start it (sudo systemctl start docker) and run this again."
fi

say "starting dockerd"
mkdir -p /var/log
# Debian's docker.io calls its runtime 'runc'; the legacy iptables backend works in more kernels.
if command -v update-alternatives >/dev/null && [ -x /usr/sbin/iptables-legacy ] && ! iptables -L -n >/dev/null 2>&1; then
  update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null 2>&1 || true # best effort: nft may work
fi
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl start docker >&2 || true # fall through to a plain dockerd below
fi
if ! engine_answers; then
  nohup dockerd >/var/log/docker-network-lab-dockerd.log 2>&1 </dev/null &
fi
for _ in $(seq 1 60); do
  engine_answers && { say "Docker engine $(docker version --format '{{.Server.Version}}') is up"; exit 0; }
  sleep 1
done
tail -n 20 /var/log/docker-network-lab-dockerd.log >&2 2>/dev/null || true
die "dockerd did not answer within 60 s (log: /var/log/docker-network-lab-dockerd.log)."
