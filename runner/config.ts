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
} as const;

export type SettingName = keyof typeof SETTINGS;

const MAX_DURATION_SECONDS = 24 * 24 * 3600;
const DURATION = /^(\d+)(ms|s|m|h)?$/;
const SIZE = /^(\d+)([kmg])?$/i;

/** "90", "90s", "10m", "4h" -> seconds (a bare number is seconds). */
function seconds(what: string) {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const match = typeof value === 'number' ? null : DURATION.exec(value.trim());
    const parsed =
      typeof value === 'number'
        ? value
        : match
          ? Number(match[1]) * ({ ms: 0.001, s: 1, m: 60, h: 3600 } as const)[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
          : Number.NaN;
    // Node's timers hold at most 2^31-1 ms (24.8 days); a longer one would fire at once.
    if (!Number.isFinite(parsed) || parsed < 0 || parsed > MAX_DURATION_SECONDS) {
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
});

export type RunnerConfig = Omit<z.output<typeof configSchema>, 'origins' | 'token'> & {
  /** Exact Origins allowed at the upgrade; null means this runner's own addresses, known at listen. */
  origins: string[] | null;
  token: string;
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
    const value = inline ?? argv[++i];
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
  return { ...config, origins, token: config.token ?? generateToken() };
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
