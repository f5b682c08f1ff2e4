import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, ownOrigins, parseConfig, readSettings } from '../../runner/config.ts';

const token = () => 'generated-token-0123456789';
const parse = (env: Record<string, string>, argv: string[] = []) => parseConfig(readSettings(env, argv), token);

function errorOf(env: Record<string, string>, argv: string[] = []): string {
  try {
    parse(env, argv);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected the configuration to be refused');
}

test('defaults: loopback, dind, workshop lifetimes, generated token, own origins', () => {
  const config = parse({});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 4321);
  assert.equal(config.provider, 'dind');
  assert.equal(config.idleTimeout, 600);
  assert.equal(config.maxLifetime, 4 * 3600);
  assert.equal(config.reconnectGrace, 60);
  assert.equal(config.sandboxMemory, 1024 ** 3);
  assert.equal(config.sandboxPids, 512);
  assert.equal(config.sandboxDisk, 512 * 1024 ** 2);
  assert.equal(config.token, 'generated-token-0123456789');
  assert.equal(config.origins, null);
  assert.deepEqual(ownOrigins('127.0.0.1', 4321), ['http://127.0.0.1:4321', 'http://localhost:4321', 'http://[::1]:4321']);
});

test('environment and flags are read, flags win, units are understood', () => {
  const config = parse(
    { LAB_PORT: '5000', LAB_IDLE_TIMEOUT: '10m', LAB_SANDBOX_MEMORY: '768m', LAB_ORIGINS: 'https://lab.example.test, http://127.0.0.1:5000/' },
    ['--port', '6000', '--max-lifetime=2h', '--sandbox-cpus', '0.5'],
  );
  assert.equal(config.port, 6000);
  assert.equal(config.idleTimeout, 600);
  assert.equal(config.maxLifetime, 7200);
  assert.equal(config.sandboxMemory, 768 * 1024 ** 2);
  assert.equal(config.sandboxCpus, 0.5);
  assert.deepEqual(config.origins, ['https://lab.example.test', 'http://127.0.0.1:5000']);
});

test('every bad value gets a message naming the setting and what it allows', () => {
  const cases: [Record<string, string>, string][] = [
    [{ LAB_PORT: 'http' }, '- LAB_PORT (--port): must be a whole number from 0 to 65535; got "http"'],
    [{ LAB_PORT: '70000' }, '- LAB_PORT (--port): must be a whole number from 0 to 65535; got "70000"'],
    [{ LAB_HOST: 'my host' }, '- LAB_HOST (--host): must be an IP address to bind, like 127.0.0.1 or ::1; got "my host"'],
    [{ LAB_PROVIDER: 'kubernetes' }, '- LAB_PROVIDER (--provider): must be dind or host; got "kubernetes"'],
    [{ LAB_IDLE_TIMEOUT: 'soon' }, '- LAB_IDLE_TIMEOUT (--idle-timeout): must be a duration up to 24 days, like 90s, 10m or 4h; got "soon"'],
    [{ LAB_MAX_LIFETIME: '-5' }, '- LAB_MAX_LIFETIME (--max-lifetime): must be a duration up to 24 days, like 90s, 10m or 4h; got "-5"'],
    [{ LAB_SANDBOX_MEMORY: '10m' }, '- LAB_SANDBOX_MEMORY (--sandbox-memory): must be a size of at least 256m, like 768m or 1g; got "10m"'],
    [{ LAB_SANDBOX_PIDS: '10' }, '- LAB_SANDBOX_PIDS (--sandbox-pids): must be a whole number from 64 to 65536; got "10"'],
    [{ LAB_SANDBOX_CPUS: '0' }, '- LAB_SANDBOX_CPUS (--sandbox-cpus): must be a number of CPUs above 0, like 0.5 or 1; got "0"'],
    [{ LAB_MAX_LIFETIME: '720h' }, '- LAB_MAX_LIFETIME (--max-lifetime): must be a duration up to 24 days, like 90s, 10m or 4h; got "720h"'],
    [{ LAB_HOSTS: 'lab.example.org/ws' }, '- LAB_HOSTS (--hosts): must be host or host:port names, like lab.example.org; got "lab.example.org/ws"'],
    [{ LAB_MAX_SESSIONS: '0' }, '- LAB_MAX_SESSIONS (--max-sessions): must be a whole number from 1 to 10000; got "0"'],
    [{ LAB_TOKEN: 'short' }, '- LAB_TOKEN (--token): must be 16 to 128 characters of A-Z a-z 0-9 _ -; got "short"'],
    [{ LAB_ALLOW_HOST_PROVIDER: 'maybe' }, '- LAB_ALLOW_HOST_PROVIDER (--allow-host-provider): must be true or false; got "maybe"'],
    [
      { LAB_ORIGINS: 'http://127.0.0.1:4321/page' },
      '- LAB_ORIGINS (--origins): "http://127.0.0.1:4321/page" is not an origin: write scheme://host[:port], like http://127.0.0.1:4321; got "http://127.0.0.1:4321/page"',
    ],
    [
      { LAB_ORIGINS: '*' },
      '- LAB_ORIGINS (--origins): "*" is not an origin: write scheme://host[:port], like http://127.0.0.1:4321; got "*"',
    ],
  ];
  for (const [env, line] of cases) {
    assert.equal(errorOf(env), `Invalid runner configuration:\n${line}`, JSON.stringify(env));
  }
});

test('all problems are listed at once', () => {
  assert.equal(
    errorOf({ LAB_PORT: 'x', LAB_PROVIDER: 'y' }),
    'Invalid runner configuration:\n- LAB_PORT (--port): must be a whole number from 0 to 65535; got "x"\n- LAB_PROVIDER (--provider): must be dind or host; got "y"',
  );
});

test('unknown flags and flags without values are refused by name', () => {
  assert.equal(
    errorOf({}, ['--prot', '1']),
    'Unknown option --prot. Options: --host, --port, --origins, --hosts, --token, --provider, --allow-host-provider, --site-dir, --max-sessions, --max-terminals, --idle-timeout, --max-lifetime, --reconnect-grace, --warm-sandboxes, --sandbox-memory, --sandbox-disk, --sandbox-pids, --sandbox-cpus, --sandbox-image',
  );
  assert.equal(errorOf({}, ['--port']), 'Option --port needs a value.');
});

test('the host provider is refused on a non-loopback bind unless allowed', () => {
  assert.equal(
    errorOf({ LAB_PROVIDER: 'host', LAB_HOST: '0.0.0.0' }),
    "Invalid runner configuration:\n- LAB_PROVIDER (--provider): host gives every reader the runner's own Docker engine, so it is refused on a non-loopback bind (0.0.0.0); set LAB_ALLOW_HOST_PROVIDER=true to accept that",
  );
  assert.equal(parse({ LAB_PROVIDER: 'host', LAB_HOST: '0.0.0.0', LAB_ALLOW_HOST_PROVIDER: 'true' }).provider, 'host');
  assert.equal(parse({ LAB_PROVIDER: 'host' }).provider, 'host');
});
