/**
 * Faults, and what is left after them: the runner killed with -9 in the middle of output, one
 * sandbox killed under its reader, the Docker engine restarted under every session. Each ends
 * with the readers told, the others unaffected, and nothing of the lab left on the machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LABEL } from '../../runner/docker.ts';
import { LabClient } from '../support/lab-client.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';
import { docker, sandboxesOf, sandboxNetworkExists, volumeNames } from '../support/engine.ts';

const run = promisify(execFile);
const ENSURE_ENGINE = fileURLToPath(new URL('../../runner/setup/ensure-engine.sh', import.meta.url));

async function session(runner: RunningRunner): Promise<{ client: LabClient; sandbox: string }> {
  const client = await LabClient.connect(runner.wsUrl, { token: runner.token, origin: runner.origin });
  client.hello();
  await client.message('welcome');
  await client.run('true');
  const ready = client.messages.find((m) => m.type === 'status' && m.stage === 'ready');
  const sandbox = ready?.type === 'status' ? ready.detail.replace(/^Sandbox /, '') : '';
  assert.match(sandbox, /^lab-sandbox-[0-9a-f]+$/, 'the ready status names the sandbox');
  return { client, sandbox };
}

/** The host end of a sandbox's veth (the ifindex its eth0 is paired with). */
async function hostVeth(client: LabClient): Promise<number> {
  const { output } = await client.run('cat /sys/class/net/eth0/iflink');
  const index = Number(/^(\d+)\r?$/m.exec(output)?.[1]);
  assert.ok(index > 0, `iflink read: ${output}`);
  return index;
}

async function hostHasInterface(index: number): Promise<boolean> {
  const { stdout } = await run('ip', ['-o', 'link', 'show']);
  return stdout.split('\n').some((line) => line.startsWith(`${index}: `));
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function echoes(client: LabClient, word: string): Promise<void> {
  const { output, exitCode } = await client.run(`echo ${word}-$((6*7))`);
  assert.equal(exitCode, 0);
  assert.match(output, new RegExp(`^${word}-42\\r?$`, 'm'));
}

test('kill -9 of the runner in the middle of output, then a restart: nothing of it is left', async () => {
  const volumesBefore = await volumeNames();
  const first = await startRunner({ LAB_PROVIDER: 'dind' });
  const { client, sandbox } = await session(first);
  const veth = await hostVeth(client);
  assert.ok(await hostHasInterface(veth), 'the sandbox has its veth on the host while it runs');
  client.type('seq 1 100000000\r');
  await client.waitForOutput(/^\d{5,}\r?$/m);

  assert.equal(await first.stop('SIGKILL'), null, 'the runner died of the signal');
  assert.deepEqual(await sandboxesOf(first.owner), [sandbox], 'a killed runner cannot clean up: its sandbox is still there');
  await client.closed;

  // The next runner's start-up sweep removes sandboxes whose runner is gone.
  const second = await startRunner({ LAB_PROVIDER: 'dind' });
  try {
    assert.match(second.logs(), /removed sandboxes left from an earlier runner/);
    assert.deepEqual(await sandboxesOf(first.owner), [], 'no container of the killed runner');
    assert.deepEqual(await volumeNames(), volumesBefore, 'no volume');
    assert.equal(await hostHasInterface(veth), false, "the sandbox's veth went with it");
    const fresh = await session(second);
    await echoes(fresh.client, 'after-restart');
    await fresh.client.close();
  } finally {
    assert.equal(await second.stop(), 0);
  }
  assert.deepEqual(await sandboxesOf(second.owner), []);
  assert.deepEqual(await volumeNames(), volumesBefore);
  if ((await docker.listContainers({ all: true, filters: { label: [LABEL.sandbox] } })).length === 0) {
    assert.equal(await sandboxNetworkExists(), false, "the sandboxes' network is removed with the last runner");
  }
  const execs = await run('ps', ['-eo', 'args']);
  assert.ok(!execs.stdout.includes(sandbox), `no process of the killed runner still talks to ${sandbox}`);
});

test('docker kill of one sandbox: its reader is told, the other reader goes on', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'dind' });
  try {
    const a = await session(runner);
    const b = await session(runner);
    await docker.getContainer(a.sandbox).kill();

    const ended = await a.client.message('ended');
    assert.equal(ended.reason, 'sandbox-lost');
    assert.equal((await a.client.closed).code, 4410);
    await echoes(b.client, 'still-here');
    await until(async () => !(await sandboxesOf(runner.owner)).includes(a.sandbox), 30_000, 'the killed sandbox to be removed');
    assert.deepEqual(await sandboxesOf(runner.owner), [b.sandbox]);
    await b.client.close();
  } finally {
    assert.equal(await runner.stop(), 0);
  }
  assert.deepEqual(await sandboxesOf(runner.owner), []);
});

/**
 * The machine's engine process: dockerd in this pid namespace. `pidof dockerd` also lists every
 * sandbox's own engine, which must not be the one stopped.
 */
async function hostEngine(): Promise<number> {
  const ours = readlinkSync('/proc/self/ns/pid');
  const { stdout } = await run('pidof', ['dockerd']);
  const pids = stdout.trim().split(/\s+/).map(Number).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/ns/pid`) === ours;
    } catch {
      return false;
    }
  });
  assert.equal(pids.length, 1, `one dockerd of this machine: ${stdout.trim()}`);
  return pids[0] as number;
}

/** Stops the machine's engine, and brings it back as `npm start` and `npm test` do. */
async function restartEngine(): Promise<void> {
  const pid = await hostEngine();
  process.kill(pid, 'SIGTERM');
  await until(async () => !isAlive(pid), 60_000, 'dockerd to stop');
  await run('bash', [ENSURE_ENGINE], { timeout: 90_000 });
}

function isAlive(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]?.startsWith('Z');
  } catch {
    return false;
  }
}

test('a restart of dockerd: every session is reported lost and cleaned up, and new sessions work', { skip: process.getuid?.() !== 0 ? 'restarting dockerd needs root' : false }, async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'dind' });
  try {
    const readers = [await session(runner), await session(runner)];
    await restartEngine();
    for (const { client } of readers) {
      const ended = await client.message('ended');
      assert.equal(ended.reason, 'sandbox-lost');
      assert.equal((await client.closed).code, 4410);
    }
    // Stopped by the restart, removed once the engine answers again.
    await until(async () => (await sandboxesOf(runner.owner)).length === 0, 60_000, "the lost sandboxes' removal");

    const fresh = await session(runner);
    await echoes(fresh.client, 'after-engine-restart');
    const { output } = await fresh.client.run('docker run --rm tomcat ip addr show eth0');
    assert.match(output, /inet 172\.18\.0\.2\/16/, 'the new sandbox runs containers');
    await fresh.client.close();
    const health = await fetch(`${runner.url}/lab/health`);
    assert.equal(health.status, 200);
  } finally {
    assert.equal(await runner.stop(), 0);
  }
  assert.deepEqual(await sandboxesOf(runner.owner), []);
});
