#!/bin/bash
# The escape probes a reader's shell runs (see escape-probes.ts): each tests a permission, never
# an effect, and prints one line "seen: <route> <key>=<value>...". Args: the machine's namespace
# links, the machine engine's ID, the disk's "major minor" or "none".
machine_ns=$1 engine_id=$2 disk=$3
say() { echo "seen: $*"; }
# Runs a command; prints rc=<status> and why it failed (the end of its first line of errors).
try() {
  local err rc
  err=$("$@" 2>&1 >/dev/null)
  rc=$?
  err=${err%%$'\n'*}
  err=${err##*: }
  printf 'rc=%d why=%s' "$rc" "${err// /_}"
}
# Opens FILE for append and writes nothing.
try_open() { try bash -c 'exec 3>>"$1"' open "$1"; }
# finit_module(fd of a file that is no module): 1 EPERM refused, 8 ENOEXEC permitted.
try_module() { perl -e 'open(my $f, "<", $ARGV[0]) or die "open: $!"; my $params = ""; my $r = syscall(313, fileno($f), $params, 0); printf "errno=%d", $r == 0 ? 0 : $! + 0' "$1"; }
# Reads one byte: how many came back.
try_read() { printf 'bytes=%s %s' "$(head -c 1 "$1" 2>/dev/null | wc -c)" "$(try head -c 1 "$1")"; }

say uid_map "map=$(tr -s ' ' </proc/self/uid_map | sed 's/^ //; s/ /:/g' | paste -sd,)"
user_ns=$(readlink /proc/self/ns/user)
case " $machine_ns " in *" $user_ns "*) say userns is=machine ;; *) say userns is=own ;; esac
say caps "$(sed -n 's/^CapEff:\t*/eff=/p' /proc/self/status)"

for path in /proc/sys /sys; do
  bound=
  result=$(try mount -o remount,rw "$path")
  # Where /proc/sys is no mount of its own (a procfs of the sandbox's own), make it one, then remount.
  if [[ $result != rc=0* ]] && [ "$path" = /proc/sys ] && mount --bind /proc/sys /proc/sys 2>/dev/null; then
    bound=1
    result="$(try mount -o remount,bind,rw /proc/sys) bound=1"
  fi
  say "remount_rw:$path" "$result"
  if [ "$path" = /proc/sys ] && [[ $result == rc=0* ]]; then
    say core_pattern_after_remount "$(try_open /proc/sys/kernel/core_pattern)"
  fi
  if [ -n "$bound" ]; then
    umount /proc/sys
  elif [[ $result == rc=0* ]]; then
    mount -o remount,ro "$path"
  fi
done

say core_pattern "$(try_open /proc/sys/kernel/core_pattern)"
mkdir -p /tmp/lab-probe-proc
result=$(try mount -t proc proc /tmp/lab-probe-proc)
say fresh_proc "$result"
if [[ $result == rc=0* ]]; then
  say core_pattern_fresh_proc "$(try_open /tmp/lab-probe-proc/sys/kernel/core_pattern)"
  say sysrq_fresh_proc "$(try_open /tmp/lab-probe-proc/sysrq-trigger)"
  say kcore_fresh_proc "$(try_read /tmp/lab-probe-proc/kcore)"
  umount /tmp/lab-probe-proc
fi
say sysrq "$(try_open /proc/sysrq-trigger)"

mkdir -p /tmp/lab-probe-cg
result=$(try mount -t cgroup -o pids cgroup /tmp/lab-probe-cg)
say cgroup_v1_mount "$result"
if [[ $result == rc=0* ]]; then
  agents=$(find /tmp/lab-probe-cg -maxdepth 3 -name release_agent 2>/dev/null)
  say release_agent "found=$(printf '%s' "$agents" | grep -c .)" "$(try_open /tmp/lab-probe-cg/release_agent)"
  umount /tmp/lab-probe-cg
fi

say finit_module "$(try_module /etc/hostname)"

if [ "$disk" != none ]; then
  rm -f /tmp/lab-probe-disk
  result=$(try mknod /tmp/lab-probe-disk b $disk)
  say disk_mknod "$result"
  if [[ $result == rc=0* ]]; then
    say disk_read "$(try_read /tmp/lab-probe-disk)"
    mkdir -p /tmp/lab-probe-mnt
    say disk_mount "$(try mount -o ro /tmp/lab-probe-disk /tmp/lab-probe-mnt)"
    umount /tmp/lab-probe-mnt 2>/dev/null
    rm -f /tmp/lab-probe-disk
  fi
fi

say kcore "$(try_read /proc/kcore)"
say dev_mem "$(try_read /dev/mem)"

# Every namespace any process this shell can see is in: is one of them the machine's?
shared=0 roots=0 foreign=0
for p in /proc/[0-9]*; do
  for link in "$p"/ns/*; do
    ns=$(readlink "$link" 2>/dev/null) || continue
    case " $machine_ns " in *" $ns "*) shared=$((shared + 1)) ;; esac
  done
  # A process outside the reader's user namespace: can the reader reach into it?
  ns=$(readlink "$p/ns/user" 2>/dev/null) || continue # gone meanwhile
  [ "$ns" = "$user_ns" ] && continue
  foreign=$((foreign + 1))
  ls "$p/root/" >/dev/null 2>&1 && roots=$((roots + 1))
done
say machine_namespaces "shared=$shared"
say outside_processes "visible=$foreign root_readable=$roots"
# setns into the machine's namespaces, through the only process the reader can name: pid 1 of its view.
say nsenter_pid1 "$(try nsenter --target 1 --user --mount --net --preserve-credentials true)"
say unshare_user "$(try unshare --user --map-root-user true)"

# Any socket in reach that answers as the machine's engine?
machine_engine=0 sockets=0
while read -r sock; do
  sockets=$((sockets + 1))
  id=$(timeout 3 docker -H "unix://$sock" info --format '{{.ID}}' 2>/dev/null) || continue
  [ "$id" = "$engine_id" ] && machine_engine=$((machine_engine + 1))
done < <(find / -xdev -type s 2>/dev/null; find /run /var/run /tmp -type s 2>/dev/null)
say docker_socket "sockets=$sockets machine_engine=$machine_engine"
rmdir /tmp/lab-probe-proc /tmp/lab-probe-cg /tmp/lab-probe-mnt 2>/dev/null
# The reader's shell itself (the runner's attach path): the process that started this script.
shell=$PPID
say shell_nnp "value=$(sed -n 's/^NoNewPrivs:\t*//p' "/proc/$shell/status")"
say shell_uid "$(sed -n 's/^Uid:\t*/ids=/p' "/proc/$shell/status" | tr '\t' ',')"
say shell_fds "list=$(ls /proc/$shell/fd | sort -n | paste -sd,)"
say shell_exe "target=$(readlink "/proc/$shell/exe") $(try_open "/proc/$shell/exe")"
[ "$(<"/proc/$shell/cgroup")" = "$(</proc/1/cgroup)" ] && same=1 || same=0
say shell_cgroup "same_as_pid1=$same lines=$(wc -l <"/proc/$shell/cgroup")"
say done "ok=1"
