#!/usr/bin/env bash
# Builds the lab's images from Debian packages only: no container registry is reachable where the lab
# runs, so nothing here pulls an image. Three images, each tagged :<recipe-hash> and :latest:
#
#   docker-network-lab/tomcat   a few MB: busybox (sh, httpd on 8080) plus the real iproute2 `ip` and
#                               iputils `ping`. The tutorial only needs "a container that has ip and ping".
#   docker-network-lab/redis    Debian's redis-server and redis-cli (7.0; --cluster create needs >= 5).
#   docker-network-lab/sandbox  Debian with docker.io: the per-reader engine. It carries the two images
#                               above as tomcat:latest, redis:5.0.9-alpine3.11 and redis:latest, so the
#                               tutorial's commands run verbatim inside it. Entrypoint: sandbox/boot.sh.
#
# How:  debootstrap --variant=minbase a Debian rootfs (cached as a tarball per package list in
#       $LAB_CACHE/rootfs), shape it with the recipe below, `tar | docker import` it with labels.
#       The two small images copy binaries plus their shared libraries out of a "builder" rootfs.
#
#       The sandbox then boots once, so that its engine loads those two images, and the engine's image
#       store becomes the sandbox image's last layer: each sandbox starts with the images in place.
#
# When: an image's recipe hash is a sha256 over
#         - every img_* helper and its recipe_<role>* functions (as bash prints them: comments don't count),
#         - the package list of the rootfs it starts from,
#         - the files it copies in (runner/images/<role>/, and runner/shell/ for the sandbox),
#         - for the sandbox, the hashes of the tomcat and redis images it carries.
#       An image labelled with the current hash is not rebuilt ("cached"). Changing the rest of this
#       file (progress output, caching) rebuilds nothing.
#
# Usage: build.sh [--force] [--no-latest]
#        --force      rebuilds the images even when cached (the rootfs cache is kept)
#        --no-latest  tags the images by recipe hash only, and leaves :latest and older builds alone: to
#                     try one checkout's images beside another's runs on the same engine (then point
#                     LAB_SANDBOX_IMAGE at docker-network-lab/sandbox:<hash>)
set -euo pipefail

IMAGES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$IMAGES_DIR/../setup/lib.sh"

SUITE=bookworm
PREFIX=docker-network-lab
LABEL=org.docker-network-lab
ROLES=(tomcat redis sandbox)
LOG="$LAB_ROOT/.lab/logs/build-images.log"

# The Debian packages each base rootfs is debootstrapped with (variant minbase, no Recommends).
rootfs_packages() {
  case $1 in
    # Where the small images take their binaries from; never an image itself.
    builder) echo busybox-static iproute2 iputils-ping redis-server redis-tools ;;
    # tini: PID 1 that forwards SIGTERM to boot.sh's process group (-g) and reaps orphans.
    # dnsmasq-base: the sandbox's own resolver, which answers "no such name" (see sandbox/boot.sh).
    # uidmap: newuidmap and newgidmap, which map the sandbox's user namespace to uid 100000 and up.
    sandbox) echo docker.io iptables iproute2 iputils-ping bash procps less ca-certificates tini dnsmasq-base uidmap ;;
    *) return 1 ;;
  esac
}
# Which rootfs each image starts from.
declare -A BASE=([tomcat]=builder [redis]=builder [sandbox]=sandbox)

########################################################################################################
# Recipes. Everything named img_* is part of every image's recipe hash; recipe_<role>* only of <role>'s.
# Recipes run inside `step` (a subshell, set -e): they talk back only through files, e.g. img_config.

# Copies programs out of a rootfs together with the shared libraries ldd says they load, at the same
# paths. FROM is a full Debian rootfs (ldd runs chrooted there), TO the image being assembled.
img_copy_bin() { # FROM TO /path/in/rootfs...
  local from=$1 to=$2 file
  shift 2
  local ldd_out
  ldd_out=$(chroot "$from" ldd "$@")
  if grep -q 'not found' <<<"$ldd_out"; then
    printf '%s\n' "$ldd_out" >&2
    return 1
  fi
  # ldd prints "name => /path (addr)" and "/lib64/ld-linux... (addr)"; with several programs it also
  # prints "/usr/bin/x:" headers, which are not libraries.
  for file in "$@" $(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\// && $i !~ /:$/) print $i }' <<<"$ldd_out" | sort -u); do
    mkdir -p "$to$(dirname "$file")"
    cp -L --preserve=mode,timestamps "$from$file" "$to$file" # -L: the soname symlink becomes the file
  done
}

# The skeleton both small images share: a merged-/usr tree (the paths ldd prints work through the
# symlinks), busybox as /bin/sh and every applet the real binaries do not replace, the real ip and ping,
# and the few /etc files glibc and the tutorial's commands read.
img_small_base() { # BUILDER DEST
  local from=$1 to=$2 applet dir
  mkdir -p "$to"/usr/{bin,sbin,lib/x86_64-linux-gnu,lib64,share} "$to"/{etc,dev,proc,sys,run,root,tmp,var/tmp}
  for dir in bin sbin lib lib64; do ln -s "usr/$dir" "$to/$dir"; done
  chmod 700 "$to/root"
  chmod 1777 "$to/tmp" "$to/var/tmp"
  img_copy_bin "$from" "$to" /usr/bin/ip /usr/bin/ping
  cp -a "$from/etc/iproute2" "$to/etc/" # names of route tables, protocols and scopes
  cp "$from/usr/bin/busybox" "$to/usr/bin/busybox"  # static: no libraries to copy
  for applet in $(chroot "$from" /usr/bin/busybox --list); do
    [ -e "$to/usr/bin/$applet" ] || ln -s busybox "$to/usr/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$to/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$to/etc/group"
  # files before dns: --link writes the linked name into /etc/hosts, and glibc's default without this
  # file asks DNS first and stops when DNS is unavailable, so `ping tomcat02` would fail.
  printf 'passwd: files\ngroup: files\nhosts: files dns\nnetworks: files\n' >"$to/etc/nsswitch.conf"
  # Docker bind-mounts these over the image's; empty files keep the mount points tidy.
  : >"$to/etc/hosts"
  : >"$to/etc/hostname"
  : >"$to/etc/resolv.conf"
}

# Appends Dockerfile-style instructions (CMD, ENV, EXPOSE, ...) given to `docker import --change`.
img_config() {
  printf '%s\n' "$@" >>"$IMG_CONFIG"
}

recipe_tomcat() { # BUILDER DEST
  local from=$1 to=$2
  img_small_base "$from" "$to"
  mkdir -p "$to/usr/local/tomcat/bin" "$to/usr/local/tomcat/webapps/ROOT"
  install -m 0755 "$IMAGES_DIR/tomcat/catalina.sh" "$to/usr/local/tomcat/bin/catalina.sh"
  install -m 0644 "$IMAGES_DIR/tomcat/index.html" "$to/usr/local/tomcat/webapps/ROOT/index.html"
  # The real image has bash, and tutorials often say `docker exec -it tomcat01 /bin/bash`: answer with
  # busybox's shell under that name.
  printf '#!/bin/sh\nexec /bin/sh "$@"\n' >"$to/usr/bin/bash"
  chmod 0755 "$to/usr/bin/bash"
  img_config \
    'ENV PATH=/usr/local/tomcat/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV CATALINA_HOME=/usr/local/tomcat' \
    'WORKDIR /usr/local/tomcat' \
    'EXPOSE 8080' \
    'CMD ["catalina.sh", "run"]'
}

recipe_redis() { # BUILDER DEST
  local from=$1 to=$2 name
  img_small_base "$from" "$to"
  img_copy_bin "$from" "$to" /usr/bin/redis-server /usr/bin/redis-cli
  # One binary: it picks its role by the name it was started as.
  for name in redis-check-aof redis-check-rdb redis-sentinel; do ln -s redis-server "$to/usr/bin/$name"; done
  mkdir -p "$to/data" "$to/etc/redis"
  install -D -m 0755 "$IMAGES_DIR/redis/docker-entrypoint.sh" "$to/usr/local/bin/docker-entrypoint.sh"
  # As in the official image: the working directory /data is where appendonly files and nodes.conf go
  # (the tutorial's redis.conf has no `dir`), and the tutorial mounts a host directory there.
  img_config \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'WORKDIR /data' \
    'VOLUME /data' \
    'EXPOSE 6379 16379' \
    'ENTRYPOINT ["docker-entrypoint.sh"]' \
    'CMD ["redis-server"]'
}

# The tutorial's images, in one `docker save` archive whose tags are the names the tutorial uses.
# The tags are rewritten in the archive's manifest rather than with `docker tag`, so this machine's own
# engine never gets a tomcat:latest or redis:... that could shadow a real one.
recipe_sandbox_images() { # OUT.tar
  local out=$1 tmp="$WORK/inner-images"
  mkdir "$tmp"
  docker save -o "$tmp/save.tar" "$PREFIX/tomcat:${HASH[tomcat]}" "$PREFIX/redis:${HASH[redis]}"
  mkdir "$tmp/x"
  tar -C "$tmp/x" -xf "$tmp/save.tar"
  sed -i \
    -e "s|\"$PREFIX/tomcat:${HASH[tomcat]}\"|\"tomcat:latest\"|" \
    -e "s|\"$PREFIX/redis:${HASH[redis]}\"|\"redis:5.0.9-alpine3.11\",\"redis:latest\"|" \
    "$tmp/x/manifest.json"
  grep -q '"tomcat:latest"' "$tmp/x/manifest.json" && grep -q '"redis:latest"' "$tmp/x/manifest.json"
  rm -f "$tmp/x/repositories" # the legacy tag list; docker load reads manifest.json
  # Uncompressed: the sandbox loads it at every boot, and decompressing would cost more than reading.
  tar --numeric-owner -C "$tmp/x" -cf "$out" .
  rm -rf "$tmp"
}

recipe_sandbox() { # SANDBOX_ROOTFS (shaped in place)
  local r=$1
  # Nothing is installed later (no network), so apt's caches and the docs are dead weight.
  rm -rf "$r"/var/cache/apt/* "$r"/var/lib/apt/lists/* "$r"/var/cache/debconf/*-old \
         "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/locale/* \
         "$r"/var/log/*.log "$r"/var/log/apt/* "$r"/var/lib/docker "$r"/var/lib/containerd
  # Debian's docker.io and containerd ship test and legacy tools the engine never runs: libnetwork's
  # dnet/ovrouter, containerd's stress tool, and the v1 shims (20.10 uses io.containerd.runc.v2).
  rm -f "$r"/usr/bin/dnet "$r"/usr/sbin/ovrouter "$r"/usr/bin/containerd-stress \
        "$r"/usr/bin/containerd-shim "$r"/usr/bin/containerd-shim-runc-v1
  # debootstrap copied this machine's resolver and name; Docker mounts its own over them.
  : >"$r/etc/resolv.conf"
  echo lab >"$r/etc/hostname"
  mkdir -p "$r/lab" "$r/etc/lab" "$r/var/lib/docker"
  install -m 0755 "$IMAGES_DIR/sandbox/boot.sh" "$r/lab/boot.sh"
  install -m 0755 "$IMAGES_DIR/sandbox/enter.sh" "$r/lab/enter.sh"
  # The uid and gid range the sandbox's root may map its user namespace to (newuidmap reads these).
  echo 'root:100000:65536' >"$r/etc/subuid"
  echo 'root:100000:65536' >"$r/etc/subgid"
  recipe_sandbox_images "$r/lab/images.tar" # also the fallback when the image store is not baked in
  # The shell integration the runner starts every reader's shell with (bash --rcfile /etc/lab/bashrc).
  if [ -f "$LAB_ROOT/runner/shell/lab-bashrc.sh" ]; then
    install -m 0644 "$LAB_ROOT/runner/shell/lab-bashrc.sh" "$r/etc/lab/bashrc"
  fi
  # recipe_sandbox_bake adds the engine's image store at /lab/docker-store.
  img_config \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV LANG=C.UTF-8' \
    'WORKDIR /root' \
    'ENTRYPOINT ["/usr/bin/tini", "-g", "--", "/lab/boot.sh"]'
}

# Boots the freshly imported sandbox once, as the runner does (runner/sandbox/dind.ts) but on a volume,
# so its engine loads /lab/images.tar; then adds the engine's image store (/var/lib/docker/image and
# overlay2) to the final image at /lab/docker-store. A sandbox's /var/lib/docker is a size-limited
# tmpfs; boot.sh copies the store's metadata into it and mounts the layers from the image read-only
# (a few ms, and no copy of the images in the sandbox's memory) instead of `docker load` (about a second).
# The engine runs in the sandbox's user namespace, so the store's files belong to the mapped range
# (uid 100000 and up), as every sandbox's engine needs them.
recipe_sandbox_bake() { # STAGE-IMAGE FINAL-IMAGE
  local stage=$1 final=$2 logs i
  # Not local: the EXIT trap (this runs in a step's subshell) removes both containers, also on failure.
  bake=lab-bake-$$ copy=
  trap 'docker rm -fv "$bake" $copy >/dev/null 2>&1' EXIT
  docker run -d --name "$bake" --label "$LABEL.build=lab" --network none -v /var/lib/docker \
    --cap-drop ALL --cap-add CHOWN --cap-add SETUID --cap-add SETGID \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --security-opt systempaths=unconfined --security-opt no-new-privileges "$stage"
  for i in $(seq 600); do
    logs=$(docker logs "$bake" 2>&1)
    case $logs in
      *"lab-sandbox: ready"*) break ;;
      *"lab-sandbox: failed"*) printf '%s\n' "$logs"; return 1 ;;
    esac
    [ "$i" -lt 600 ] || { printf '%s\n' "$logs"; echo "the sandbox did not boot within 120 s"; return 1; }
    sleep 0.2
  done
  printf '%s\n' "$logs"
  docker stop -t 20 "$bake" # SIGTERM: boot.sh stops the engine cleanly, so its store is consistent
  mkdir "$WORK/baked"
  docker cp "$bake:/var/lib/docker" - | tar -C "$WORK/baked" -xf -
  # Only the images: the engine makes its network, container and other state afresh at every boot.
  copy=$(docker create "$stage")
  mkdir "$WORK/baked/docker-store"
  mv "$WORK/baked/docker/image" "$WORK/baked/docker/overlay2" "$WORK/baked/docker-store/"
  tar --numeric-owner -C "$WORK/baked" -c docker-store | docker cp - "$copy:/lab"
  docker commit "$copy" "$final"
}

########################################################################################################
# Machinery: hashes, the rootfs cache, steps with progress, import. None of this is in a recipe hash.

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
secs_since() { # START_MS -> "12.3"
  local ms=$(( $(now_ms) - $1 ))
  printf '%d.%d' $(( ms / 1000 )) $(( ms % 1000 / 100 ))
}

# Runs one build step with its output in $LOG, saying what runs and, every 10 s, for how long.
# A failing step names itself, shows the end of the log and stops the build.
step() { # "what" command args...
  local what=$1 start pid next=10
  shift
  start=$(now_ms)
  say "$what ..."
  printf '\n=== %s: %s\n' "$(date '+%F %T')" "$what" >>"$LOG"
  ( "$@" ) >>"$LOG" 2>&1 </dev/null &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 0.2
    if [ $(( $(now_ms) - start )) -ge $(( next * 1000 )) ]; then
      say "  ... $what: ${next} s"
      next=$(( next + 10 ))
    fi
  done
  if ! wait "$pid"; then
    tail -n 15 "$LOG" | sed 's/^/    /' >&2
    die "image build failed at step '$what' after $(secs_since "$start") s (see log $LOG)"
  fi
  say "$what: done in $(secs_since "$start") s"
}

hash_text() { sha256sum | cut -c1-16; }

rootfs_hash() { # NAME
  printf 'debootstrap --variant=minbase %s: %s\n' "$SUITE" "$(rootfs_packages "$1")" | hash_text
}

recipe_hash() { # ROLE
  local role=$1 dir file
  {
    # shellcheck disable=SC2046 # one function name per word
    declare -f $(compgen -A function img_ | LC_ALL=C sort) $(compgen -A function "recipe_$role" | LC_ALL=C sort)
    echo "rootfs $(rootfs_hash "${BASE[$role]}")"
    dir=("$IMAGES_DIR/$role")
    if [ "$role" = sandbox ]; then
      dir+=("$LAB_ROOT/runner/shell")
      echo "carries tomcat ${HASH[tomcat]} redis ${HASH[redis]}"
    fi
    { find "${dir[@]}" -type f 2>/dev/null || true; } | LC_ALL=C sort | while read -r file; do # a missing dir adds nothing
      printf '%s %s\n' "${file#"$LAB_ROOT"/}" "$(sha256sum <"$file" | cut -d' ' -f1)"
    done
  } | hash_text
}

# A debootstrapped rootfs, unpacked into DEST: from the cache when this package list was bootstrapped
# before, else fresh from the Debian mirror apt uses (then cached).
debootstrap_rootfs() { # NAME MIRROR TARBALL DEST
  local name=$1 mirror=$2 tarball=$3 dest=$4 packages
  packages=$(rootfs_packages "$name")
  mkdir -p "$dest"
  debootstrap --variant=minbase --include="${packages// /,}" "$SUITE" "$dest" "$mirror"
  rm -f "$dest"/var/cache/apt/archives/*.deb # installed already; only the cache tarball would carry them
  mkdir -p "$(dirname "$tarball")"
  tar --numeric-owner -C "$dest" -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
}

unpack_rootfs() { # TARBALL DEST
  mkdir -p "$2"
  tar --numeric-owner -C "$2" -xpf "$1"
}

ensure_rootfs() { # NAME -> unpacked at $WORK/rootfs-NAME (once per run)
  local name=$1 tarball mirror
  local dest="$WORK/rootfs-$name"
  [ -d "$dest" ] && return 0
  tarball="$LAB_CACHE/rootfs/$(rootfs_hash "$name").tar"
  if [ -f "$tarball" ]; then
    step "unpack cached $name rootfs" unpack_rootfs "$tarball" "$dest"
  else
    command -v debootstrap >/dev/null || apt_install debootstrap \
      || die "debootstrap is needed to build the lab images; install it (apt-get install debootstrap) and run this again."
    mirror=$(debian_mirror) || die "no Debian mirror found in apt's sources (/etc/apt/sources.list.d/*.sources or sources.list)."
    say "$name rootfs: $SUITE minbase with $(rootfs_packages "$name") (about a minute)"
    step "debootstrap $name rootfs" debootstrap_rootfs "$name" "$mirror" "$tarball" "$dest"
  fi
}

# Imports an assembled rootfs as a labelled image, with the instructions its recipe wrote to CONFIG.
import_rootfs() { # ROOTFS ROLE HASH CONFIG IMAGE
  local rootfs=$1 role=$2 hash=$3 config=$4 image=$5 line
  local args=(--change "LABEL $LABEL.build=lab $LABEL.role=$role $LABEL.recipe-hash=$hash")
  while IFS= read -r line; do args+=(--change "$line"); done <"$config"
  tar --numeric-owner -C "$rootfs" -c . | docker import "${args[@]}" - "$image"
}

build_image() { # ROLE
  local role=$1 src
  local hash=${HASH[$role]} start
  start=$(now_ms)
  ensure_rootfs "${BASE[$role]}"
  src="$WORK/rootfs-${BASE[$role]}"
  export IMG_CONFIG="$WORK/$role.config"
  : >"$IMG_CONFIG"
  if [ "$role" = sandbox ]; then
    step "$role: apply recipe" recipe_sandbox "$src" # the sandbox rootfs is used once: shape it in place
    step "$role: docker import" import_rootfs "$src" "$role" "$hash" "$IMG_CONFIG" "$PREFIX/$role-stage:$hash"
    step "$role: boot once to bake in the images" recipe_sandbox_bake "$PREFIX/$role-stage:$hash" "$PREFIX/$role:$hash"
    docker rmi "$PREFIX/$role-stage:$hash" >/dev/null # its layers stay, under the final image
  else
    mkdir "$WORK/image-$role"
    step "$role: apply recipe" "recipe_$role" "$src" "$WORK/image-$role"
    step "$role: docker import" import_rootfs "$WORK/image-$role" "$role" "$hash" "$IMG_CONFIG" "$PREFIX/$role:$hash"
  fi
  [ -n "$no_latest" ] || docker tag "$PREFIX/$role:$hash" "$PREFIX/$role:latest"
  say "built $PREFIX/$role:$hash ($(docker image inspect -f '{{.Size}}' "$PREFIX/$role:$hash" | awk '{ printf "%.1f MB", $1 / 1e6 }')) in $(secs_since "$start") s"
  # Older builds of this role: remove them. One a container still uses stays (untagged) until the
  # container is gone; the next build removes it then.
  [ -z "$no_latest" ] || return 0
  { docker images --filter "label=$LABEL.role=$role" --format '{{.Repository}}:{{.Tag}}' \
      | grep -v -e ":$hash\$" -e ':latest$' -e ':<none>$' || true; } | xargs -r docker rmi >/dev/null 2>&1 || true
  docker images -q --filter dangling=true --filter "label=$LABEL.role=$role" | xargs -r docker rmi >/dev/null 2>&1 || true
}

########################################################################################################

force= no_latest=
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    --no-latest) no_latest=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$arg' (usage: build.sh [--force] [--no-latest])" ;;
  esac
done

docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || die "no Docker engine answers; run runner/setup/ensure-engine.sh first."

declare -A HASH
for role in "${ROLES[@]}"; do HASH[$role]=$(recipe_hash "$role"); done

# One look at the engine for all images: the id and recipe-hash label behind each of our tags.
declare -A ID_OF LABELLED # tag -> image id; tag -> the recipe hash its image is labelled with
refs=()
for role in "${ROLES[@]}"; do refs+=("$PREFIX/$role:${HASH[$role]}" "$PREFIX/$role:latest"); done
while read -r id labelled tags; do
  for tag in $tags; do ID_OF[$tag]=$id; LABELLED[$tag]=$labelled; done
done < <(docker image inspect --format "{{.Id}} {{index .Config.Labels \"$LABEL.recipe-hash\"}} {{range .RepoTags}}{{.}} {{end}}" \
           "${refs[@]}" 2>/dev/null || true)

todo=()
for role in "${ROLES[@]}"; do
  tag="$PREFIX/$role:${HASH[$role]}"
  if [ -z "$force" ] && [ "${LABELLED[$tag]:-}" = "${HASH[$role]}" ]; then
    say "image $tag: cached"
    # :latest may point at another build (after a branch switch): point it at this one.
    [ -n "$no_latest" ] || [ "${ID_OF[$PREFIX/$role:latest]:-}" = "${ID_OF[$tag]}" ] || docker tag "$tag" "$PREFIX/$role:latest"
  else
    todo+=("$role")
  fi
done
[ ${#todo[@]} -eq 0 ] && exit 0

is_root || die "building the lab images needs root (debootstrap, chroot, and files owned by root)."
mkdir -p "$LAB_CACHE" "$(dirname "$LOG")"
# Two builds at once (start and test) would debootstrap twice and race on the tags.
exec 9>"$LAB_CACHE/build-images.lock"
if ! flock -n 9; then
  say "another image build is running; waiting for it"
  flock 9
  exec bash "${BASH_SOURCE[0]}" "$@" # it may have built what we need: look again
fi
: >"$LOG"
# Next to the cache, not in /tmp: the unpacked rootfs trees take about 1 GB, too much for a tmpfs.
WORK=$(mktemp -d "$LAB_CACHE/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

total=$(now_ms)
say "building ${todo[*]} (log: $LOG)"
for role in "${todo[@]}"; do build_image "$role"; done

# Keep the four most recent rootfs tarballs: enough for switching between branches, not unbounded.
{ ls -1t "$LAB_CACHE"/rootfs/*.tar 2>/dev/null || true; } | tail -n +5 | xargs -r rm -f
say "images ready in $(secs_since "$total") s"
