/**
 * Whether this machine lets a dind sandbox make the user namespace it runs in (see
 * runner/images/sandbox/boot.sh). The sandbox's root has no CAP_SYS_ADMIN, so it counts as an
 * unprivileged user here: each kernel setting below that turns user namespaces off, or off for
 * unprivileged users, stops every sandbox. The runner says so at start, with what to change,
 * rather than fall back to a sandbox that is root on the machine.
 */
import { readFileSync } from 'node:fs';

/** Reads a sysctl by its /proc/sys path (`user/max_user_namespaces`); null when the kernel has no such setting. */
export type SysctlReader = (path: string) => string | null;

export function readProcSys(path: string): string | null {
  try {
    return readFileSync(`/proc/sys/${path}`, 'utf8').trim();
  } catch {
    return null; // no such setting on this kernel (or not readable): treated as absent
  }
}

const ADVICE = "Set it (sysctl -w, and in /etc/sysctl.d/ to keep it across reboots), or use --provider host for one trusted user on this machine.";

/** What stops user namespaces here and what to change, or null when nothing does. */
export function userNamespaceProblem(read: SysctlReader = readProcSys): string | null {
  const max = read('user/max_user_namespaces');
  if (max === null) {
    return 'The dind provider runs each sandbox in a user namespace, and this kernel has none (no user.max_user_namespaces): it needs a kernel built with CONFIG_USER_NS. Or use --provider host for one trusted user on this machine.';
  }
  if (!/^\d+$/.test(max) || Number(max) === 0) {
    return `The dind provider runs each sandbox in a user namespace, and this machine allows none (user.max_user_namespaces = ${max}). Allow at least one per sandbox with room to spare, e.g. user.max_user_namespaces=15000. ${ADVICE}`;
  }
  // Debian's and Ubuntu's older kernels: user namespaces for root only.
  if (read('kernel/unprivileged_userns_clone') === '0') {
    return `The dind provider runs each sandbox in a user namespace made without CAP_SYS_ADMIN, and this kernel allows that to no one (kernel.unprivileged_userns_clone = 0). Set kernel.unprivileged_userns_clone=1. ${ADVICE}`;
  }
  // Ubuntu 23.10 and later: AppArmor allows it only to programs whose profile says so.
  if (read('kernel/apparmor_restrict_unprivileged_userns') === '1') {
    return `The dind provider runs each sandbox in a user namespace made without CAP_SYS_ADMIN, and AppArmor refuses that here (kernel.apparmor_restrict_unprivileged_userns = 1). Set kernel.apparmor_restrict_unprivileged_userns=0. ${ADVICE}`;
  }
  return null;
}
