/**
 * What a workshop's start prints: the name and end time, the learners' and the facilitator's
 * links, the capacity check (learners × the sandbox memory limit against this machine's memory,
 * the warm pool) and how to serve the room on a LAN or behind a TLS proxy. Pure functions of
 * their inputs, so the text is tested as the operator reads it.
 */
import { readFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { BOARD_PAGE, FACILITATOR_FRAGMENT, JOIN_FRAGMENT, JOIN_PAGE } from '../../src/protocol/workshop.ts';

/**
 * What one dind sandbox takes with its engine up and no container running: 34-35 MiB in its
 * cgroup (usage less inactive file cache) in tests/bench/results/workshop.md.
 */
export const SANDBOX_IDLE_MIB = 35;
const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
/** The smallest --sandbox-memory the config takes. */
const MIN_SANDBOX_MEMORY = 256 * MIB;

export interface Meminfo {
  totalBytes: number;
  availableBytes: number;
}

/** MemTotal and MemAvailable from /proc/meminfo's text; null when either is missing. */
export function parseMeminfo(text: string): Meminfo | null {
  const kib = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : null;
  };
  const totalBytes = kib('MemTotal');
  const availableBytes = kib('MemAvailable');
  return totalBytes === null || availableBytes === null ? null : { totalBytes, availableBytes };
}

/** This machine's memory, or null where there is no /proc/meminfo. */
export function readMeminfo(): Meminfo | null {
  try {
    return parseMeminfo(readFileSync('/proc/meminfo', 'utf8'));
  } catch {
    // Not Linux (or no procfs): the check says it could not look.
    return null;
  }
}

/** Bridges and veths of container engines and VMs on this machine: no learner reaches the room through them. */
const VIRTUAL_INTERFACE = /^(docker|br-|veth|virbr|cni|flannel|vxlan|podman|lxc|lxd)/;

/** The machine's non-internal IPv4 addresses, from os.networkInterfaces(), without container bridges. */
export function lanAddresses(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string[] {
  return Object.entries(interfaces)
    .filter(([name]) => !VIRTUAL_INTERFACE.test(name))
    .flatMap(([, list]) => list ?? [])
    .filter((i) => i.family === 'IPv4' && !i.internal)
    .map((i) => i.address);
}

export interface WorkshopLinks {
  join: string;
  joinEnglish: string;
  board: string;
  boardEnglish: string;
}

/** `base`: the first of --origins when set, else the runner's own URL. */
export function workshopLinks(base: string, tokens: { join: string; facilitator: string }): WorkshopLinks {
  const root = base.replace(/\/+$/, '');
  return {
    join: `${root}/${JOIN_PAGE}#${JOIN_FRAGMENT}=${tokens.join}`,
    joinEnglish: `${root}/en/${JOIN_PAGE}#${JOIN_FRAGMENT}=${tokens.join}`,
    board: `${root}/${BOARD_PAGE}#${FACILITATOR_FRAGMENT}=${tokens.facilitator}`,
    boardEnglish: `${root}/en/${BOARD_PAGE}#${FACILITATOR_FRAGMENT}=${tokens.facilitator}`,
  };
}

export interface CapacityCheck {
  /** Sandboxes that fit in the memory available now, each at its limit. */
  fit: number | null;
  fits: boolean;
  lines: string[];
}

const gib = (bytes: number) => `${(bytes / GIB).toFixed(1)} GiB`;
/** A limit as people read it: `1 GiB`, `768 MiB`. */
const readable = (bytes: number) => (bytes % GIB === 0 ? `${bytes / GIB} GiB` : `${Math.round(bytes / MIB)} MiB`);

/** Sizes as the config takes them: `768m`, `1g`. */
function size(bytes: number): string {
  return bytes % GIB === 0 ? `${bytes / GIB}g` : `${Math.floor(bytes / MIB)}m`;
}

export function capacityCheck(options: { learners: number; sandboxMemoryBytes: number; warmSandboxes: number; meminfo: Meminfo | null; provider: 'dind' | 'host' }): CapacityCheck {
  const { learners, sandboxMemoryBytes, warmSandboxes, meminfo } = options;
  if (options.provider === 'host') {
    return {
      fit: null,
      fits: true,
      lines: [`Capacity: ${learners} learners on the host provider share this machine's own Docker engine; no sandbox limits apply.`],
    };
  }
  const need = learners * sandboxMemoryBytes;
  const lines: string[] = [];
  const each = `${learners} ${learners === 1 ? 'learner' : 'learners'} × ${readable(sandboxMemoryBytes)} sandbox memory limit = ${gib(need)}`;
  const warm = `  Warm pool: ${warmSandboxes} ${warmSandboxes === 1 ? 'sandbox' : 'sandboxes'} kept booted ahead of the next learners (--warm-sandboxes).`;
  if (!meminfo) {
    lines.push(`Capacity: ${each}; this machine's memory could not be read (no /proc/meminfo), so it is not checked.`, warm);
    return { fit: null, fits: true, lines };
  }
  lines.push(`Capacity: ${each}; this machine has ${gib(meminfo.totalBytes)} in all, ${gib(meminfo.availableBytes)} available now.`, warm);
  const fit = Math.floor(meminfo.availableBytes / sandboxMemoryBytes);
  if (fit >= learners) return { fit, fits: true, lines };
  const perLearner = Math.floor(meminfo.availableBytes / learners / MIB) * MIB;
  const change =
    perLearner >= MIN_SANDBOX_MEMORY
      ? `for a room that fits at the limit, use --learners ${Math.max(1, fit)} or --sandbox-memory ${size(perLearner)}`
      : `for a room that fits at the limit, use --learners ${Math.max(1, fit)}`;
  lines.push(
    `  WARNING: only ${fit} of ${learners} sandboxes fit in the memory available, each at its limit. A sandbox idles at about ${SANDBOX_IDLE_MIB} MiB, so the limit is the worst case, not what a room usually takes; ${change}. When memory runs short, the next learner waits in the queue.`,
  );
  return { fit, fits: false, lines };
}

/** How to reach the room from other machines, given how it is bound now. */
export function servingHint(options: { host: string; port: number; origins: string[] | null; addresses: string[] }): string[] {
  const { host, port, origins, addresses } = options;
  const lines: string[] = [];
  const loopbackOnly = host === 'localhost' || host === '::1' || /^127\./.test(host);
  const example = addresses[0] ?? '<this machine\'s address>';
  if (loopbackOnly) lines.push(`Serving: this machine only (${host}:${port}); learners on other machines cannot reach these links yet.`);
  else lines.push(`Serving: on ${host}:${port}${origins ? `, for pages from ${origins.join(', ')}` : ''}.`);
  lines.push(
    `  On the room's LAN: --host 0.0.0.0 --origins http://${example}:${port}` +
      (addresses.length > 0 ? ` (this machine's addresses: ${addresses.join(', ')})` : ' (this machine has no LAN address now)'),
    `  Behind a TLS proxy: --origins https://lab.example.org --hosts lab.example.org (the proxy forwards to ${host}:${port}, WebSocket included)`,
  );
  return lines;
}

export interface StartReport {
  name: string;
  endsAt: number;
  endedAt: number | null;
  resumed: boolean;
  learnerCount: number;
  links: WorkshopLinks;
  capacity: CapacityCheck;
  serving: string[];
  storeFile: string;
  /** Workshops of other names this start ended. */
  endedOthers: string[];
  /** For the times shown; the machine's own zone when unset. */
  timeZone?: string;
}

function when(ms: number, timeZone: string | undefined): string {
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone,
  }).format(ms);
}

/** The text printed to stderr at start. */
export function startReport(r: StartReport): string {
  const lines: string[] = [''];
  if (r.endedAt !== null) {
    lines.push(
      `Workshop "${r.name}" ended at ${when(r.endedAt, r.timeZone)}. Its board and CSV export still work; learners cannot join.`,
      `  For a new workshop, start with another --name.`,
    );
  } else {
    lines.push(`Workshop "${r.name}" is open until ${when(r.endsAt, r.timeZone)}; then it closes itself.`);
  }
  if (r.resumed) {
    lines.push(`  Resumed: ${r.learnerCount} ${r.learnerCount === 1 ? 'learner' : 'learners'} and their progress, from the last start (sandboxes are new).`);
  }
  for (const other of r.endedOthers) lines.push(`  Ended the earlier workshop "${other}" (its record is kept).`);
  lines.push(
    '',
    `Learners join at:      ${r.links.join}`,
    `  in English:          ${r.links.joinEnglish}`,
    `Facilitator's board:   ${r.links.board}`,
    `  in English:          ${r.links.boardEnglish}`,
    `  (the board's link is yours alone: it can end the workshop; rotate it from the board if it leaks)`,
    '',
    ...r.capacity.lines,
    '',
    ...r.serving,
    '',
    `Record: ${r.storeFile}; start again with the same --name to resume.`,
    '',
  );
  return lines.join('\n');
}
