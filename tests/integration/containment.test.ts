/**
 * A reader who exhausts their sandbox harms nobody else: a memory hog, a full disk and a fork bomb
 * in session A each stop at A's limits (the runner's defaults, runner/config.ts), A's reader sees
 * why, nothing reaches the machine's disk, the runner stays up, and B, another reader typing all
 * along, gets every echo back.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig, readSettings, type RunnerConfig } from '../../runner/config.ts';
import { docker } from '../support/engine.ts';
import { echoesDuring, EchoProbe, type EchoTally } from '../support/echo-probe.ts';
import type { LabClient } from '../support/lab-client.ts';
import { rawRequest } from '../support/raw-http.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';
import { openSession, readMemory, readPids, removed, sampleHighest, type SandboxContainer } from '../support/sandbox-view.ts';

const RUNNER_ENV = { LAB_PROVIDER: 'dind' };
/** Generous: an echo of B's that has not come back by then is lost, not slow. */
const ECHO_TIMEOUT_MS = 20_000;
/** The hog is killed once it holds the memory limit; copying 1 GiB takes seconds, not minutes. */
const HOG_TIMEOUT_MS = 120_000;
/** How long the fork bomb runs against the limit before the reader resets the session. */
const BOMB_MS = 8_000;
/** Time for B to type a few echoes before any attack. */
const BASELINE_MS = 4_000;
const MIB = 1024 ** 2;

/** The limits the runner starts with: its settings as it reads them (defaults unless the environment says otherwise). */
const limits: RunnerConfig = parseConfig(readSettings({ ...process.env, ...RUNNER_ENV }, []), () => 'unused-token-0123456789');

let runner: RunningRunner;
let probe: EchoProbe;
let a: LabClient;
let sandboxA: SandboxContainer;
let baseline: EchoTally;

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function latencies(what: string, tally: EchoTally): string {
  const ms = (p: number) => percentile(tally.latencies, p).toFixed(0);
  return `${what}: p50 ${ms(50)} ms, p99 ${ms(99)} ms (${tally.echoed} echoes)`;
}

/** The runner answers its health check and its process has not exited. */
async function assertUp(): Promise<void> {
  assert.equal(runner.process.exitCode, null, `the runner process is alive; its log:\n${runner.logs().slice(-2000)}`);
  const health = await rawRequest(runner.port, `GET /lab/health HTTP/1.1\r\nHost: 127.0.0.1:${runner.port}\r\nConnection: close\r\n\r\n`);
  assert.equal(health.status, 200);
  assert.equal((JSON.parse(health.body) as { ok: boolean }).ok, true);
}

/** What the sandbox's writable layer holds on the machine's disk (its root is read-only: nothing). */
async function writableLayerBytes(): Promise<number> {
  const [info] = (await docker.listContainers({ all: true, size: true, filters: { id: [sandboxA.id] } })) as { SizeRw?: number }[];
  assert.ok(info, "A's sandbox is there");
  return info.SizeRw ?? 0;
}

before(async () => {
  runner = await startRunner(RUNNER_ENV);
  probe = await EchoProbe.open(runner, { echoTimeoutMs: ECHO_TIMEOUT_MS });
  ({ client: a, sandbox: sandboxA } = await openSession(runner));
  baseline = await echoesDuring(probe, () => sleep(BASELINE_MS));
});

after(async () => {
  await probe?.close();
  assert.equal(await runner?.stop(), 0, 'the runner was still up and stopped cleanly');
});

test("A's sandbox has the runner's limits", async (t) => {
  const { HostConfig } = await docker.getContainer(sandboxA.id).inspect();
  assert.equal(HostConfig.Memory, limits.sandboxMemory);
  assert.equal(HostConfig.MemorySwap, limits.sandboxMemory, 'and no swap');
  assert.equal(HostConfig.PidsLimit, limits.sandboxPids);
  assert.equal(HostConfig.NanoCpus, Math.round(limits.sandboxCpus * 1e9));
  assert.equal(HostConfig.ReadonlyRootfs, true);
  const engineStore = HostConfig.Mounts?.find((m) => m.Target === '/var/lib/docker');
  assert.equal(engineStore?.Type, 'tmpfs');
  assert.equal(engineStore?.TmpfsOptions?.SizeBytes, limits.sandboxDisk);
  t.diagnostic(`limits: memory ${limits.sandboxMemory / MIB} MiB (no swap), ${limits.sandboxPids} processes, ${limits.sandboxCpus} CPU, disk ${limits.sandboxDisk / MIB} MiB`);
  t.diagnostic(latencies("B's echo before any attack", baseline));
});

test("a memory hog in A is killed at A's memory limit; A's shell answers, B echoes, the runner stays up", async (t) => {
  const oomKillsBefore = readMemory(sandboxA.id).oomKills;
  const usage = sampleHighest(() => readMemory(sandboxA.id).usage);
  let hog: { exitCode: number | null; output: string } | undefined;
  const during = await echoesDuring(probe, async () => {
    hog = await a.run('head -c 3G /dev/zero | tail', HOG_TIMEOUT_MS);
  });
  const sampledPeak = usage.stop();
  const memory = readMemory(sandboxA.id);

  assert.equal(hog?.exitCode, 137, `the reader sees the pipeline killed (128 + SIGKILL): ${JSON.stringify(hog?.output)}`);
  assert.match(hog?.output ?? '', /Killed/);
  assert.equal(memory.oomKills - oomKillsBefore, 1, "the kernel's OOM killer ended one process in A's cgroup");
  const peak = Math.max(memory.peak ?? 0, sampledPeak);
  assert.ok(peak <= limits.sandboxMemory, `A never held more than its limit: peak ${peak} B of ${limits.sandboxMemory} B`);
  assert.equal(memory.limit, limits.sandboxMemory, 'and the limit is still the one the runner set');

  const after = await a.run('echo still-here-$((6 * 7))');
  assert.equal(after.exitCode, 0);
  assert.match(after.output, /^still-here-42\r?$/m, "A's shell still answers");
  await assertUp();
  t.diagnostic(`A's peak memory: ${(peak / MIB).toFixed(0)} MiB of ${limits.sandboxMemory / MIB} MiB`);
  t.diagnostic(latencies("B's echo before", baseline));
  t.diagnostic(latencies("B's echo during A's memory hog", during));
});

test("filling A's disks stops at their sizes with \"No space left on device\"; nothing reaches the machine's disk", async (t) => {
  const { HostConfig } = await docker.getContainer(sandboxA.id).inspect();
  const home = HostConfig.Mounts?.find((m) => m.Target === '/root')?.TmpfsOptions?.SizeBytes ?? 0;
  assert.ok(home > 0, "/root is a tmpfs of a set size");
  const layerBefore = await writableLayerBytes();
  const results: Record<string, { exitCode: number | null; output: string }> = {};
  const during = await echoesDuring(probe, async () => {
    results.engine = await a.run('dd if=/dev/zero of=/var/lib/docker/fill bs=1M count=2000');
    results.home = await a.run('dd if=/dev/zero of=/root/fill bs=1M count=200');
  });
  for (const [what, path, size] of [
    ['engine', '/var/lib/docker/fill', limits.sandboxDisk],
    ['home', '/root/fill', home],
  ] as const) {
    const { exitCode, output } = results[what] ?? { exitCode: null, output: '' };
    assert.equal(exitCode, 1, output);
    assert.match(output, new RegExp(`dd: error writing '${path}': No space left on device`));
    const written = Number(/^(\d+) bytes/m.exec(output)?.[1]);
    assert.ok(written > size / 2 && written <= size, `dd wrote up to the size of the disk (${written} of ${size} bytes)`);
    t.diagnostic(`${path}: ${(written / MIB).toFixed(0)} MiB written of ${size / MIB} MiB`);
  }
  assert.equal(await writableLayerBytes(), layerBefore, "the sandbox's layer on the machine's disk did not grow");

  const cleaned = await a.run('rm /var/lib/docker/fill /root/fill && docker run --rm tomcat echo inner-engine-ok');
  assert.equal(cleaned.exitCode, 0, cleaned.output);
  assert.match(cleaned.output, /^inner-engine-ok\r?$/m, "after rm, A's engine runs containers again");
  await assertUp();
  t.diagnostic(latencies("B's echo before", baseline));
  t.diagnostic(latencies("B's echo during A's disk fill", during));
});

test('a fork bomb in A stops at the process limit, B echoes, the runner stays up; a reset ends it', async (t) => {
  const pidsBefore = readPids(sandboxA.id);
  assert.equal(pidsBefore.max, limits.sandboxPids);
  let highest = 0;
  const during = await echoesDuring(probe, async () => {
    const processes = sampleHighest(() => readPids(sandboxA.id).current);
    try {
      a.type(`bash -c ':(){ :|:& };:'\r`);
      // What the reader sees: bash in the bomb's own processes, told no at the limit.
      await a.waitForOutput(/fork: (retry: )?Resource temporarily unavailable/, BOMB_MS * 4);
      await sleep(BOMB_MS);
    } finally {
      highest = processes.stop();
    }
  });
  const pids = readPids(sandboxA.id);
  assert.ok(highest <= limits.sandboxPids, `A never had more than ${limits.sandboxPids} processes (highest seen: ${highest})`);
  assert.ok(pids.refused > pidsBefore.refused, `forks were refused at the limit (${pids.refused - pidsBefore.refused} times)`);
  assert.equal(pids.max, limits.sandboxPids, 'and the limit is still the one the runner set');
  await assertUp();

  const reset = await echoesDuring(probe, async () => {
    a.send({ type: 'reset' });
    assert.equal((await a.message('ended')).reason, 'reset');
    assert.equal((await a.closed).code, 4410);
    assert.equal(await removed(sandboxA.id), true, "the reset removed A's sandbox, bomb and all");
  });
  await assertUp();
  t.diagnostic(`A's processes: highest ${highest} of ${limits.sandboxPids}; forks refused ${pids.refused - pidsBefore.refused} times`);
  t.diagnostic(latencies("B's echo before", baseline));
  t.diagnostic(latencies("B's echo during A's fork bomb", during));
  t.diagnostic(latencies("B's echo during A's reset", reset));
});
