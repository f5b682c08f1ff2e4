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
    'Unknown option --prot. Options: --host, --port, --origins, --hosts, --token, --provider, --allow-host-provider, --site-dir, --max-sessions, --max-terminals, --idle-timeout, --max-lifetime, --reconnect-grace, --warm-sandboxes, --sandbox-memory, --sandbox-disk, --sandbox-pids, --sandbox-cpus, --sandbox-image, --workshop, --name, --learners, --workshop-duration, --stuck-after, --data-dir',
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

test('no workshop unless asked: workshop is null and the usual defaults hold', () => {
  const config = parse({});
  assert.equal(config.workshop, null);
  assert.equal(config.maxSessions, 50);
  assert.equal(config.warmSandboxes, 1);
});

test('workshop mode: --workshop takes no value; the room size, lifetimes and warm pool follow it', () => {
  const config = parse({}, ['--workshop', '--name', '  Docker networking, room 3 ', '--learners', '30']);
  assert.deepEqual(config.workshop, { name: 'Docker networking, room 3', learners: 30, duration: 8 * 3600, stuckAfter: 600, dataDir: '.lab/data' });
  assert.equal(config.maxSessions, 30);
  assert.equal(config.idleTimeout, 30 * 60);
  assert.equal(config.maxLifetime, 8 * 3600);
  assert.equal(config.reconnectGrace, 10 * 60);
  assert.equal(config.warmSandboxes, 4);
  // The flag after --workshop is read as a flag, not as its value.
  assert.equal(parse({}, ['--workshop', '--name', 'x', '--port', '5000']).port, 5000);
  assert.equal(parse({}, ['--workshop=false']).workshop, null);
});

test('workshop mode: defaults follow --learners and --workshop-duration; explicit settings still win', () => {
  const small = parse({ LAB_WORKSHOP: 'true', LAB_WORKSHOP_NAME: 'Room 4', LAB_LEARNERS: '2', LAB_WORKSHOP_DURATION: '3h', LAB_STUCK_AFTER: '5m', LAB_DATA_DIR: '/srv/lab' });
  assert.deepEqual(small.workshop, { name: 'Room 4', learners: 2, duration: 3 * 3600, stuckAfter: 300, dataDir: '/srv/lab' });
  assert.equal(small.maxSessions, 2);
  assert.equal(small.warmSandboxes, 2);
  assert.equal(small.maxLifetime, 3 * 3600);
  const explicit = parse({ LAB_IDLE_TIMEOUT: '5m' }, ['--workshop', '--name', 'Room 4', '--max-lifetime', '1h', '--reconnect-grace', '30s', '--warm-sandboxes', '0', '--max-sessions', '30']);
  assert.deepEqual(
    [explicit.idleTimeout, explicit.maxLifetime, explicit.reconnectGrace, explicit.warmSandboxes, explicit.maxSessions],
    [300, 3600, 30, 0, 30],
  );
});

test('workshop settings: every bad value gets a message naming the setting', () => {
  const w = ['--workshop', '--name', 'Room 3'];
  const cases: [string[], string][] = [
    [['--workshop'], '- LAB_WORKSHOP_NAME (--name): a workshop needs a name, like --name "Docker networking, room 3"'],
    [['--workshop', '--name', '   '], '- LAB_WORKSHOP_NAME (--name): must not be empty; got "   "'],
    [['--workshop', '--name', 'a\tb'], '- LAB_WORKSHOP_NAME (--name): must not hold control characters or line breaks; got "a\\tb"'],
    [['--workshop', '--name', 'x'.repeat(101)], `- LAB_WORKSHOP_NAME (--name): must be at most 100 characters; got "${'x'.repeat(101)}"`],
    [[...w, '--learners', '0'], '- LAB_LEARNERS (--learners): must be a whole number from 1 to 500; got "0"'],
    [[...w, '--learners', '501'], '- LAB_LEARNERS (--learners): must be a whole number from 1 to 500; got "501"'],
    [[...w, '--workshop-duration', '0'], '- LAB_WORKSHOP_DURATION (--workshop-duration): must be a duration above 0 up to 24 days, like 90s, 10m or 4h; got "0"'],
    [[...w, '--workshop-duration', '30d'], '- LAB_WORKSHOP_DURATION (--workshop-duration): must be a duration above 0 up to 24 days, like 90s, 10m or 4h; got "30d"'],
    [[...w, '--stuck-after', 'never'], '- LAB_STUCK_AFTER (--stuck-after): must be a duration above 0 up to 24 days, like 90s, 10m or 4h; got "never"'],
    [[...w, '--data-dir', ''], '- LAB_DATA_DIR (--data-dir): must be a folder, like .lab/data; got ""'],
    [['--workshop=maybe'], '- LAB_WORKSHOP (--workshop): must be true or false; got "maybe"'],
    [[...w, '--learners', '10', '--max-sessions', '50'], "- LAB_MAX_SESSIONS (--max-sessions): in a workshop the room's size is --learners (10); leave --max-sessions out"],
    [['--name', 'Room 3'], '- LAB_WORKSHOP (--workshop): --name is a workshop setting; add --workshop (npm run workshop) or leave it out'],
    [['--learners', '3', '--stuck-after', '1m'], '- LAB_WORKSHOP (--workshop): --learners, --stuck-after are workshop settings; add --workshop (npm run workshop) or leave them out'],
  ];
  for (const [argv, line] of cases) {
    assert.equal(errorOf({}, argv), `Invalid runner configuration:\n${line}`, JSON.stringify(argv));
  }
});
