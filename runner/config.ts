/**
 * The runner's configuration: one schema, read once at start from the environment (LAB_*) and
 * command-line flags (--port 4321), with errors that name the setting and what it allows.
 */
import { z } from 'zod';

/** Where each setting comes from; the table the README documents. */
export const SETTINGS = {
  host: { env: 'LAB_HOST', flag: '--host', help: 'address to bind; loopback unless you put the runner behind a proxy' },
  port: { env: 'LAB_PORT', flag: '--port', help: 'TCP port for the site and the WebSocket' },
  origins: { env: 'LAB_ORIGINS', flag: '--origins', help: 'comma-separated exact Origins allowed to connect' },
  hosts: { env: 'LAB_HOSTS', flag: '--hosts', help: 'comma-separated extra Host headers to accept (the public host behind a proxy)' },
  token: { env: 'LAB_TOKEN', flag: '--token', help: 'shared secret the page presents (generated when unset)' },
  provider: { env: 'LAB_PROVIDER', flag: '--provider', help: 'sandbox provider: dind or host' },
  allowHostProvider: { env: 'LAB_ALLOW_HOST_PROVIDER', flag: '--allow-host-provider', help: 'allow the host provider on a non-loopback bind' },
  siteDir: { env: 'LAB_SITE_DIR', flag: '--site-dir', help: 'built site to serve (dist/); empty serves none' },
  maxSessions: { env: 'LAB_MAX_SESSIONS', flag: '--max-sessions', help: 'sessions held at once' },
  maxTerminals: { env: 'LAB_MAX_TERMINALS', flag: '--max-terminals', help: 'terminals per session' },
  idleTimeout: { env: 'LAB_IDLE_TIMEOUT', flag: '--idle-timeout', help: 'end a session after this long without input (0 = never)' },
  maxLifetime: { env: 'LAB_MAX_LIFETIME', flag: '--max-lifetime', help: 'end a session this long after it started (0 = never)' },
  reconnectGrace: { env: 'LAB_RECONNECT_GRACE', flag: '--reconnect-grace', help: 'keep a session with no socket this long' },
  warmSandboxes: { env: 'LAB_WARM_SANDBOXES', flag: '--warm-sandboxes', help: 'dind sandboxes kept booted ahead of demand' },
  sandboxMemory: { env: 'LAB_SANDBOX_MEMORY', flag: '--sandbox-memory', help: 'memory limit per dind sandbox' },
  sandboxDisk: { env: 'LAB_SANDBOX_DISK', flag: '--sandbox-disk', help: 'disk limit per dind sandbox (its engine\'s images and containers; held in memory)' },
  sandboxPids: { env: 'LAB_SANDBOX_PIDS', flag: '--sandbox-pids', help: 'process limit per dind sandbox' },
  sandboxCpus: { env: 'LAB_SANDBOX_CPUS', flag: '--sandbox-cpus', help: 'CPU limit per dind sandbox' },
  sandboxImage: { env: 'LAB_SANDBOX_IMAGE', flag: '--sandbox-image', help: 'image of the dind sandbox' },
  workshop: { env: 'LAB_WORKSHOP', flag: '--workshop', help: 'host a workshop: learners join by link, a facilitator watches a board (a flag without a value)' },
  workshopName: { env: 'LAB_WORKSHOP_NAME', flag: '--name', help: "the workshop's name; the open workshop of that name is resumed" },
  learners: { env: 'LAB_LEARNERS', flag: '--learners', help: "the room's size: sandboxes at once; the next learner waits in a queue" },
  workshopDuration: { env: 'LAB_WORKSHOP_DURATION', flag: '--workshop-duration', help: 'the workshop closes itself this long after it opened' },
  stuckAfter: { env: 'LAB_STUCK_AFTER', flag: '--stuck-after', help: 'flag a learner stuck after this long without a passed block' },
  dataDir: { env: 'LAB_DATA_DIR', flag: '--data-dir', help: "folder of the workshop's store (workshops.sqlite)" },
} as const;

/** Flags that take no value: `--workshop` alone means true (`--workshop=false` still parses). */
const SWITCHES: ReadonlySet<SettingName> = new Set(['workshop']);
/** Settings that mean something only with --workshop. */
const WORKSHOP_ONLY: readonly SettingName[] = ['workshopName', 'learners', 'workshopDuration', 'stuckAfter'];
/** In workshop mode these defaults change (an explicit setting still wins). */
export const WORKSHOP_DEFAULTS = {
  idleTimeout: 30 * 60,
  reconnectGrace: 10 * 60,
  /** The warm pool: min(learners, this). */
  warmSandboxes: 4,
} as const;
const MAX_WORKSHOP_NAME_CHARS = 100;

export type SettingName = keyof typeof SETTINGS;

const MAX_DURATION_SECONDS = 24 * 24 * 3600;
const DURATION = /^(\d+)(ms|s|m|h)?$/;
const SIZE = /^(\d+)([kmg])?$/i;

/** "90", "90s", "10m", "4h" -> seconds (a bare number is seconds). `positive`: 0 is refused. */
function seconds(what: string, positive = false) {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const match = typeof value === 'number' ? null : DURATION.exec(value.trim());
    const parsed =
      typeof value === 'number'
        ? value
        : match
          ? Number(match[1]) * ({ ms: 0.001, s: 1, m: 60, h: 3600 } as const)[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
          : Number.NaN;
    // Node's timers hold at most 2^31-1 ms (24.8 days); a longer one would fire at once.
    if (!Number.isFinite(parsed) || parsed < 0 || (positive && parsed === 0) || parsed > MAX_DURATION_SECONDS) {
      ctx.addIssue({ code: 'custom', message: `must be ${what} up to 24 days, like 90s, 10m or 4h` });
      return z.NEVER;
    }
    return parsed;
  });
}

function integer(min: number, max: number) {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const parsed = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return parsed;
  });
}

function boolean() {
  return z.union([z.boolean(), z.string()]).transform((value, ctx) => {
    if (typeof value === 'boolean') return value;
    const v = value.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
  });
}

const bytes = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const match = typeof value === 'number' ? null : SIZE.exec(value.trim());
  const parsed =
    typeof value === 'number'
      ? value
      : match
        ? Number(match[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g']
        : Number.NaN;
  if (!Number.isInteger(parsed) || parsed < 256 * 1024 ** 2) {
    ctx.addIssue({ code: 'custom', message: 'must be a size of at least 256m, like 768m or 1g' });
    return z.NEVER;
  }
  return parsed;
});

const origin = z.string().transform((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // Not a URL at all: reported below with the same message as a URL that is not an origin.
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== value.replace(/\/$/, '')) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not an origin: write scheme://host[:port], like http://127.0.0.1:4321` });
    return z.NEVER;
  }
  return url.origin;
});

export const configSchema = z.strictObject({
  host: z.string().regex(/^[0-9a-fA-F.:]+$|^localhost$/, 'must be an IP address to bind, like 127.0.0.1 or ::1').default('127.0.0.1'),
  port: integer(0, 65535).default(4321),
  origins: z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (typeof value === 'string' ? value.split(',').map((o) => o.trim()).filter(Boolean) : value))
    .pipe(z.array(origin))
    .optional(),
  hosts: z
    .string()
    .transform((value) => value.split(',').map((h) => h.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/, 'must be host or host:port names, like lab.example.org')))
    .default([]),
  token: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'must be 16 to 128 characters of A-Z a-z 0-9 _ -').optional(),
  provider: z.enum(['dind', 'host'], { error: 'must be dind or host' }).default('dind'),
  allowHostProvider: boolean().default(false),
  siteDir: z.string().default(''),
  maxSessions: integer(1, 10_000).default(50),
  maxTerminals: integer(1, 16).default(4),
  idleTimeout: seconds('a duration').default(600),
  maxLifetime: seconds('a duration').default(4 * 3600),
  reconnectGrace: seconds('a duration').default(60),
  warmSandboxes: integer(0, 16).default(1),
  sandboxMemory: bytes.default(1024 ** 3),
  sandboxDisk: bytes.default(512 * 1024 ** 2),
  sandboxPids: integer(64, 65_536).default(512),
  sandboxCpus: z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const parsed = Number(value);
      if (!Number.isFinite(parsed) || parsed <= 0 || parsed > 64) {
        ctx.addIssue({ code: 'custom', message: 'must be a number of CPUs above 0, like 0.5 or 1' });
        return z.NEVER;
      }
      return parsed;
    })
    .default(1),
  sandboxImage: z.string().min(1).default('docker-network-lab/sandbox:latest'),
  workshop: boolean().default(false),
  workshopName: z
    .string()
    .transform((value) => value.trim())
    .pipe(
      z
        .string()
        .min(1, 'must not be empty')
        .refine((v) => [...v].length <= MAX_WORKSHOP_NAME_CHARS, `must be at most ${MAX_WORKSHOP_NAME_CHARS} characters`)
        .refine((v) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u.test(v), 'must not hold control characters or line breaks'),
    )
    .optional(),
  learners: integer(1, 500).default(30),
  workshopDuration: seconds('a duration above 0', true).default(8 * 3600),
  stuckAfter: seconds('a duration above 0', true).default(10 * 60),
  dataDir: z.string().min(1, 'must be a folder, like .lab/data').default('.lab/data'),
});

/** Workshop mode's settings, present only with --workshop. */
export interface WorkshopConfig {
  name: string;
  /** The room's size: sandboxes (and sessions) at once. */
  learners: number;
  /** Seconds. */
  duration: number;
  /** Seconds. */
  stuckAfter: number;
  dataDir: string;
}

type WorkshopSettings = 'workshop' | 'workshopName' | 'learners' | 'workshopDuration' | 'stuckAfter' | 'dataDir';

export type RunnerConfig = Omit<z.output<typeof configSchema>, 'origins' | 'token' | WorkshopSettings> & {
  /** Exact Origins allowed at the upgrade; null means this runner's own addresses, known at listen. */
  origins: string[] | null;
  token: string;
  /** Null outside workshop mode. */
  workshop: WorkshopConfig | null;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type RawConfig = Partial<Record<SettingName, string>>;

/** Collects raw settings: flags win over the environment. Unknown flags are errors. */
export function readSettings(env: Record<string, string | undefined>, argv: readonly string[]): RawConfig {
  const raw: RawConfig = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    const value = env[setting.env];
    if (value !== undefined) raw[name] = value;
  }
  const byFlag = new Map(Object.entries(SETTINGS).map(([name, setting]) => [setting.flag as string, name as SettingName]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const name = byFlag.get(flag);
    if (!name) throw new ConfigError(`Unknown option ${flag}. Options: ${[...byFlag.keys()].join(', ')}`);
    const value = inline ?? (SWITCHES.has(name) ? 'true' : argv[++i]);
    if (value === undefined) throw new ConfigError(`Option ${flag} needs a value.`);
    raw[name] = value;
  }
  return raw;
}

/**
 * Validates settings once. Every problem is listed, each naming its setting as the user wrote it:
 *   Invalid runner configuration:
 *   - LAB_PORT (--port): must be a whole number from 0 to 65535; got "http"
 */
export function parseConfig(raw: RawConfig, generateToken: () => string): RunnerConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = issue.path[0] as SettingName | undefined;
      const setting = name ? SETTINGS[name] : undefined;
      const given = name !== undefined && raw[name] !== undefined ? `; got ${JSON.stringify(raw[name])}` : '';
      return setting ? `- ${setting.env} (${setting.flag}): ${issue.message}${given}` : `- ${issue.message}`;
    });
    throw new ConfigError(`Invalid runner configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  const loopback = isLoopback(config.host);
  if (config.provider === 'host' && !loopback && !config.allowHostProvider) {
    throw new ConfigError(
      `Invalid runner configuration:\n- LAB_PROVIDER (--provider): host gives every reader the runner's own Docker engine, so it is refused on a non-loopback bind (${config.host}); set LAB_ALLOW_HOST_PROVIDER=true to accept that`,
    );
  }
  const origins = config.origins && config.origins.length > 0 ? config.origins : null;
  const { workshop: workshopMode, workshopName, learners, workshopDuration, stuckAfter, dataDir, ...runner } = config;
  const base = { ...runner, origins, token: config.token ?? generateToken() };
  if (!workshopMode) {
    const stray = WORKSHOP_ONLY.filter((name) => raw[name] !== undefined);
    if (stray.length > 0) {
      const named = stray.map((name) => SETTINGS[name].flag).join(', ');
      throw new ConfigError(
        `Invalid runner configuration:\n- LAB_WORKSHOP (--workshop): ${named} ${stray.length === 1 ? 'is a workshop setting' : 'are workshop settings'}; add --workshop (npm run workshop) or leave ${stray.length === 1 ? 'it' : 'them'} out`,
      );
    }
    return { ...base, workshop: null };
  }
  const problems: string[] = [];
  if (workshopName === undefined) {
    problems.push(`- LAB_WORKSHOP_NAME (--name): a workshop needs a name, like --name "Docker networking, room 3"`);
  }
  if (raw.maxSessions !== undefined && runner.maxSessions !== learners) {
    problems.push(`- LAB_MAX_SESSIONS (--max-sessions): in a workshop the room's size is --learners (${learners}); leave --max-sessions out`);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid runner configuration:\n${problems.join('\n')}`);
  return {
    ...base,
    maxSessions: learners,
    idleTimeout: raw.idleTimeout !== undefined ? runner.idleTimeout : WORKSHOP_DEFAULTS.idleTimeout,
    maxLifetime: raw.maxLifetime !== undefined ? runner.maxLifetime : workshopDuration,
    reconnectGrace: raw.reconnectGrace !== undefined ? runner.reconnectGrace : WORKSHOP_DEFAULTS.reconnectGrace,
    warmSandboxes: raw.warmSandboxes !== undefined ? runner.warmSandboxes : Math.min(learners, WORKSHOP_DEFAULTS.warmSandboxes),
    workshop: { name: workshopName as string, learners, duration: workshopDuration, stuckAfter, dataDir },
  };
}

/** The Origins of a runner that serves its own pages at `host:port`. */
export function ownOrigins(host: string, port: number): string[] {
  if (isLoopback(host) || host === '0.0.0.0' || host === '::') {
    return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`];
  }
  return [`http://${host.includes(':') ? `[${host}]` : host}:${port}`];
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
