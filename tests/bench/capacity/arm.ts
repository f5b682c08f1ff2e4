/**
 * One arm of the capacity benchmark: a fresh runner, the browser probe's session on it, then
 * `count` load sessions opened and held idle. The probe types throughout; the machine, the runner
 * and the sandboxes are measured with the probe alone (baseline) and with everything held.
 */
import { fileURLToPath } from 'node:url';
import { docker } from '../../support/engine.ts';
import { startRunner, type RunningRunner } from '../../support/runner-process.ts';
import { LABEL } from '../../../runner/docker.ts';
import { EchoProbe, type EchoSample } from './echo-probe.ts';
import { closeSessions, held, openSessions, type LoadSession } from './load-sessions.ts';
import { cpuAccount, CpuSampler, engineMemory, memoryParts, quietMachine, runnerMemory, sandboxUsage, type CpuAccount, type MemoryParts, type SandboxUsage } from './machine.ts';

const DIST = fileURLToPath(new URL('../../../dist/', import.meta.url));

export type Provider = 'dind' | 'host';

export interface ArmOptions {
  provider: Provider;
  count: number;
  /** Sessions waiting for their first prompt at once. */
  concurrency: number;
  baselineMs: number;
  /** After the last session went idle, before the held phase: late boot work settles. */
  settleMs: number;
  heldMs: number;
  log: (line: string) => void;
}

/** What the runner and its sessions take, at one moment. */
export interface Snapshot {
  runnerRss: number;
  /** PSS of the runner's child processes (a `docker exec` client or a bash per session). */
  childrenPss: number;
  childCount: number;
  machine: MemoryParts;
  /** PSS of the machine's engine: dockerd, containerd, the containers' shims. */
  engine: number;
  sandboxes: SandboxUsage[];
  cpu: CpuAccount;
  /** Sandboxes of other runners on the engine (other benchmarks or tests on this machine). */
  foreignSandboxes: number;
}

/** Other work on a shared machine is measured as the lab's: an arm waits for this little, at most this long. */
const QUIET_CORES = 0.3;
const QUIET_TIMEOUT_MS = 10 * 60_000;

export interface ArmResult {
  options: Omit<ArmOptions, 'log'>;
  /** Cores busy with other work just before the arm started. */
  background: number;
  probePromptMs: number;
  sessions: LoadSession[];
  heldCount: number;
  /** From the first hello until every session was idle after its first commands (or had failed). */
  holdMs: number;
  baselineStart: Snapshot;
  baseline: Snapshot;
  created: Snapshot;
  heldStart: Snapshot;
  heldEnd: Snapshot;
  cpuCreating: { mean: number; saturated: number; max: number };
  cpuHeld: { mean: number; saturated: number; max: number };
  echo: EchoSample[];
  /** SIGTERM to exit, and the runner's exit code. */
  stopMs: number;
  exitCode: number | null;
  /** This runner's sandboxes still on the engine after it exited (removed by the benchmark). */
  leftovers: number;
  /** The runner's warnings and errors, counted by message. */
  runnerProblems: Map<string, number>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runArm(options: ArmOptions): Promise<ArmResult> {
  const { provider, count, log } = options;
  const background = await quietMachine(QUIET_CORES, QUIET_TIMEOUT_MS, (line) => log(`${provider}: ${line}`));
  const runner = await startRunner({
    LAB_PROVIDER: provider,
    LAB_SITE_DIR: DIST,
    LAB_WARM_SANDBOXES: '0',
    // The probe's session counts too; the benchmark asks how many the machine holds, not the setting.
    LAB_MAX_SESSIONS: String(count + 10),
    // Held sessions are idle by design; the default idle timeout would end them during a long run.
    LAB_IDLE_TIMEOUT: '0',
  });
  log(`${provider}: runner ${runner.process.pid} on ${runner.url}`);
  let probe: EchoProbe | null = null;
  let sessions: LoadSession[] = [];
  try {
    probe = await EchoProbe.start(runner.url, runner.token, 'baseline');
    const probePromptMs = probe.promptMs;
    log(`${provider}: probe at its prompt after ${Math.round(probe.promptMs)} ms; baseline for ${options.baselineMs / 1000} s`);
    const baselineStart = await snapshot(runner);
    await pause(options.baselineMs);
    const baseline = await snapshot(runner);

    await probe.phase('creating');
    const creating = new CpuSampler();
    const started = performance.now();
    sessions = await openSessions(runner, count, options.concurrency, (line) => log(`${provider}: ${line}`));
    const holdMs = performance.now() - started;
    const cpuCreating = creating.stop();
    const created = await snapshot(runner);
    log(`${provider}: ${held(sessions).length}/${count} held after ${(holdMs / 1000).toFixed(1)} s; settling ${options.settleMs / 1000} s`);

    await probe.phase('settling');
    await pause(options.settleMs);
    await probe.phase('held');
    const heldStart = await snapshot(runner);
    const idle = new CpuSampler();
    await pause(options.heldMs);
    const cpuHeld = idle.stop();
    const heldEnd = await snapshot(runner);
    const heldCount = held(sessions).length;
    const echo = await probe.stop();
    probe = null;

    const stopping = performance.now();
    const exitCode = await runner.stop();
    const stopMs = performance.now() - stopping;
    await closeSessions(sessions);
    const leftovers = await removeLeftovers(runner.owner);
    log(`${provider}: runner stopped in ${(stopMs / 1000).toFixed(1)} s (exit ${exitCode}); ${leftovers} sandboxes left behind`);
    return {
      options: { provider, count, concurrency: options.concurrency, baselineMs: options.baselineMs, settleMs: options.settleMs, heldMs: options.heldMs },
      background,
      probePromptMs,
      sessions,
      heldCount,
      holdMs,
      baselineStart,
      baseline,
      created,
      heldStart,
      heldEnd,
      cpuCreating,
      cpuHeld,
      echo,
      stopMs,
      exitCode,
      leftovers,
      runnerProblems: problems(runner.logs()),
    };
  } finally {
    await probe?.close();
    if (runner.process.exitCode === null && runner.process.signalCode === null) await runner.stop();
    await closeSessions(sessions);
    await removeLeftovers(runner.owner);
  }
}

async function snapshot(runner: RunningRunner): Promise<Snapshot> {
  const pid = runner.process.pid ?? null;
  const memory = pid ? runnerMemory(pid) : { rss: 0, children: 0, childCount: 0 };
  const labelled = await docker.listContainers({ all: true, filters: { label: [LABEL.sandbox] } });
  const sandboxes = await sandboxUsage(runner.owner);
  return {
    runnerRss: memory.rss,
    childrenPss: memory.children,
    childCount: memory.childCount,
    machine: memoryParts(),
    engine: engineMemory(),
    sandboxes,
    cpu: cpuAccount(pid, sandboxes),
    foreignSandboxes: labelled.filter((c) => c.Labels[LABEL.owner] !== runner.owner).length,
  };
}

/** Removes what the runner `owner` left on the engine (its stop has a deadline); returns how many. */
async function removeLeftovers(owner: string): Promise<number> {
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL.owner}=${owner}`] } });
  // A 404 or 409 means the container is already gone or going: nothing more to do for it.
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  return left.length;
}

function problems(logs: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; error?: { message?: string } };
      if (entry.level !== 'warn' && entry.level !== 'error') continue;
      const key = `${entry.level}: ${entry.msg}${entry.error?.message ? ` (${entry.error.message.slice(0, 160)})` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      continue; // a line of the runner's stderr that happens to start with a brace
    }
  }
  return counts;
}
