# Shared helpers for the setup scripts. Sourced, never run.
# Every step prints what it does, skips what is already there, and stops with a message that says
# what to install when it cannot do the job itself.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_TOOLS="$LAB_ROOT/.lab/tools"
# Slow artefacts (rootfs tarballs) survive in a machine-wide cache, keyed by recipe hash.
LAB_CACHE=${LAB_CACHE:-/var/cache/docker-network-lab}

say() { printf '\033[1m[lab]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[lab] error:\033[0m %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

is_debian_like() {
  [ -r /etc/os-release ] && grep -Eqi '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release
}

apt_updated=
apt_install() {
  is_root && is_debian_like || return 1
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# The Debian mirror apt is configured with: deb822 sources first, then the one-line format.
debian_mirror() {
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{print $2}' | grep -v -- '-security' | head -n1)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | grep -v -- '-security' | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}')
  fi
  [ -n "$uri" ] || return 1
  printf '%s\n' "$uri"
}
