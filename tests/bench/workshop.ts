/**
 * The 30-learner workshop bench: a real runner in workshop mode (dind sandboxes, a temp data dir),
 * protocol clients as learners that join over HTTP, open their lab sockets, wait for their shells
 * and run real blocks, sending `outcome` after each as the page does; one facilitator's board
 * socket measures, for every outcome, the time from sending it to the first board that shows it.
 * Meanwhile it samples the runner process's CPU (% of one core, /proc/<pid>/stat) and RSS, and at
 * the end the sandboxes' memory (their cgroups, and what the board says). Ratios in the same run:
 * board latency with the whole room vs one learner alone (the floor), the runner's RSS with the
 * room vs idle. Writes tests/bench/results/workshop.md.
 *
 *   node tests/bench/workshop.ts [--learners 30] [--rounds 3] [--out FILE]
 *
 * Needs the engine and the sandbox image (npm test or npm run bench installs them).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sandboxesOf } from '../support/engine.ts';
import { readRssKib } from '../support/rss.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';
import { join, openBoard, openLearner, type FacilitatorClient } from '../support/workshop-client.ts';
import type { LabClient } from '../../runner/client/lab-client.ts';
import type { BoardMessage } from '../../src/protocol/workshop.ts';
import { describeMachine, load } from './browser/machine.ts';
import { sandboxUsage } from './capacity/machine.ts';
import { max, median, mib, ms, percentile, seconds } from './capacity/stats.ts';

const { values } = parseArgs({
  options: {
    learners: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/workshop.md', import.meta.url)) },
  },
});
const LEARNERS = Number(values.learners);
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(LEARNERS) || LEARNERS < 2 || LEARNERS > 500) throw new Error(`--learners must be a whole number from 2 to 500; got "${values.learners}"`);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`--rounds must be a whole number from 1 up; got "${values.rounds}"`);

/** The blocks each learner runs per round: real commands of the tutorial's kind, one that fails. */
const BLOCKS = [
  { command: 'docker network ls', fails: false },
  { command: 'ip addr show docker0', fails: false },
  { command: "docker network inspect bridge --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}'", fails: false },
  { command: 'docker network inspect no-such-network', fails: true },
] as const;
const PAGE = 'docker-network';
/** A learner reads a little between blocks: 0.5-2 s, so the room's outcomes do not all land at once. */
const THINK_MS = [500, 2000] as const;
/** 30 dind sandboxes booting on 2 shared cores take minutes, not seconds. */
const READY_TIMEOUT_MS = 10 * 60_000;
const COMMAND_TIMEOUT_MS = 120_000;
/** An outcome the board has not shown by then counts as lost. */
const BOARD_TIMEOUT_MS = 30_000;

const log = (line: string) => process.stderr.write(`[workshop-bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (msDelay: number) => new Promise((resolve) => setTimeout(resolve, msDelay));

// ---- the runner process and the machine, from /proc ----

const TICKS_PER_SECOND = 100;

function processTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]); // utime + stime of the process itself
  } catch {
    return null; // it exited
  }
}

/** All CPUs' jiffies from /proc/stat: busy, steal (time the VM's host gave to others) and in all. */
function machineTicks(): { busy: number; steal: number; total: number } {
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + steal + idle + iowait };
}

interface Sample {
  phase: string;
  /** Runner process CPU over the last period, % of one core. */
  cpu: number;
  rssKib: number;
}

/** Samples the runner's CPU and RSS once a second, tagged with the phase. */
class RunnerSampler {
  readonly samples: Sample[] = [];
  phase = 'idle';
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  #last: { at: number; ticks: number } | null;
  readonly #machine: { phase: string; at: ReturnType<typeof machineTicks> }[] = [];

  constructor(pid: number) {
    this.#pid = pid;
    const ticks = processTicks(pid);
    this.#last = ticks === null ? null : { at: performance.now(), ticks };
    this.#timer = setInterval(() => this.#sample(), 1000);
    this.mark('idle');
  }

  mark(phase: string): void {
    this.phase = phase;
    this.#machine.push({ phase, at: machineTicks() });
  }

  #sample(): void {
    const ticks = processTicks(this.#pid);
    const rss = readRssKib(this.#pid);
    const now = performance.now();
    if (ticks === null || rss === null || !this.#last) return;
    const cpu = ((ticks - this.#last.ticks) / TICKS_PER_SECOND / ((now - this.#last.at) / 1000)) * 100;
    this.#last = { at: now, ticks };
    this.samples.push({ phase: this.phase, cpu, rssKib: rss });
  }

  of(phase: string): Sample[] {
    return this.samples.filter((s) => s.phase === phase);
  }

  /** The machine's busy and steal shares (of all cores) during a phase. */
  machineDuring(phase: string): { busy: number; steal: number } {
    const i = this.#machine.findIndex((m) => m.phase === phase);
    const from = this.#machine[i]?.at;
    const to = this.#machine[i + 1]?.at ?? machineTicks();
    if (!from) return { busy: Number.NaN, steal: Number.NaN };
    const total = to.total - from.total;
    return { busy: (to.busy - from.busy) / total, steal: (to.steal - from.steal) / total };
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

// ---- the board's latency ----

/** Watches the board for outcomes sent: the time from sending one to the first board that shows it. */
class BoardWatch {
  readonly #pending = new Map<string, { learner: string; block: string; sentAt: number; phase: string }>();
  readonly latencies: { phase: string; ms: number }[] = [];
  lost = 0;
  boards = 0;
  largestBoardBytes = 0;
  readonly #board: FacilitatorClient;

  constructor(board: FacilitatorClient) {
    this.#board = board;
    board.onBoard((message, at) => this.#seen(message, at));
  }

  sent(learner: string, block: string, phase: string, sentAt: number): void {
    this.#pending.set(`${learner}/${block}`, { learner, block, sentAt, phase });
  }

  #seen(message: BoardMessage, at: number): void {
    this.boards++;
    if (this.#pending.size === 0) return;
    this.largestBoardBytes = Math.max(this.largestBoardBytes, JSON.stringify(message).length);
    const shown = new Set<string>();
    for (const l of message.learners) for (const b of l.blocks) shown.add(`${l.id}/${b.block}`);
    for (const [key, p] of this.#pending) {
      if (shown.has(key)) {
        this.latencies.push({ phase: p.phase, ms: at - p.sentAt });
        this.#pending.delete(key);
      } else if (at - p.sentAt > BOARD_TIMEOUT_MS) {
        this.lost++;
        this.#pending.delete(key);
      }
    }
  }

  /** Resolves once every outcome sent is on a board (or timed out). */
  async drained(): Promise<void> {
    const deadline = performance.now() + BOARD_TIMEOUT_MS;
    while (this.#pending.size > 0 && performance.now() < deadline) await sleep(50);
    this.lost += this.#pending.size;
    this.#pending.clear();
  }

  of(phase: string): number[] {
    return this.latencies.filter((l) => l.phase === phase).map((l) => l.ms);
  }

  get board(): BoardMessage | null {
    return this.#board.board;
  }
}

// ---- learners ----

interface Learner {
  index: number;
  id: string;
  client: LabClient;
  /** From the hello to the shell's first prompt. */
  readyMs: number;
}

/** A block id that is this learner's, this round's and this block's alone (12 hex digits). */
function blockId(learner: number, round: number, block: number): string {
  return `${learner.toString(16).padStart(4, '0')}${round.toString(16).padStart(4, '0')}${block.toString(16).padStart(4, '0')}`;
}

async function admit(runner: RunningRunner, index: number): Promise<Learner> {
  const joined = await join(runner, `Learner ${index + 1}`);
  const started = performance.now();
  const client = await openLearner(runner, joined.credential);
  await client.message('welcome', READY_TIMEOUT_MS);
  const { exitCode } = await client.run('true', READY_TIMEOUT_MS);
  if (exitCode !== 0) throw new Error(`learner ${index + 1}'s shell did not run a command (exit ${exitCode})`);
  return { index, id: joined.learner, client, readyMs: performance.now() - started };
}

let failures = 0;
async function work(learner: Learner, watch: BoardWatch, phase: string, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const [b, block] of BLOCKS.entries()) {
      await sleep(THINK_MS[0] + Math.random() * (THINK_MS[1] - THINK_MS[0]));
      const { exitCode } = await learner.client.run(block.command, COMMAND_TIMEOUT_MS);
      const passed = block.fails ? exitCode !== 0 : exitCode === 0;
      if (!passed) failures++;
      const id = blockId(learner.index, round + (phase === 'floor' ? 0 : 100), b);
      const sentAt = performance.now();
      learner.client.outcome(PAGE, id, exitCode === 0 ? 'passed' : 'failed', exitCode);
      watch.sent(learner.id, id, phase, sentAt);
    }
  }
}

// ---- the run ----

const machine = await describeMachine();
const loadBefore = load();
const dataDir = mkdtempSync(joinPath(tmpdir(), 'lab-workshop-bench-'));
log(`starting a runner in workshop mode for ${LEARNERS} learners (data in ${dataDir})`);
const runner = await startRunner({ LAB_PROVIDER: 'dind' }, ['--workshop', '--name', 'Workshop bench', '--learners', String(LEARNERS), '--data-dir', dataDir, '--warm-sandboxes', '4']);
const pid = runner.process.pid as number;
const sampler = new RunnerSampler(pid);
const learners: Learner[] = [];
const started = performance.now();

interface RoomResult {
  watch: BoardWatch;
  admitMs: number;
  endMs: number;
  sandboxes: Awaited<ReturnType<typeof sandboxUsage>>;
  boardMemory: number[];
}

async function runRoom(): Promise<RoomResult> {
  log('idle: 5 s');
  await sleep(5000);

  sampler.mark('floor');
  const board = await openBoard(runner);
  const watch = new BoardWatch(board);
  log('one learner alone: the floor');
  learners.push(await admit(runner, 0));
  // Paced as the room is, so the two differ only in how many learners there are.
  await work(learners[0] as Learner, watch, 'floor', ROUNDS * 2);
  await watch.drained();

  sampler.mark('admit');
  log(`${LEARNERS - 1} more learners join and wait for their sandboxes`);
  const admitStart = performance.now();
  learners.push(...(await Promise.all(Array.from({ length: LEARNERS - 1 }, (_, i) => admit(runner, i + 1)))));
  const admitMs = performance.now() - admitStart;
  log(`all ${LEARNERS} shells ready after ${seconds(admitMs)}`);

  sampler.mark('room');
  log(`the room works: ${ROUNDS} rounds of ${BLOCKS.length} blocks each, 0.5-2 s between blocks`);
  await Promise.all(learners.map((l) => work(l, watch, 'room', ROUNDS)));
  await watch.drained();

  sampler.mark('after');
  const sandboxes = await sandboxUsage(runner.owner);
  const boardMemory = (watch.board?.learners ?? []).map((l) => l.memoryBytes).filter((m): m is number => m !== null);

  log('End workshop from the board');
  const endStart = performance.now();
  board.endWorkshop();
  const deadline = Date.now() + 120_000;
  while ((await sandboxesOf(runner.owner)).length > 0 && Date.now() < deadline) await sleep(250);
  const endMs = performance.now() - endStart;
  await board.close();
  return { watch, admitMs, endMs, sandboxes, boardMemory };
}

let result: RoomResult;
let leftover: string[];
try {
  result = await runRoom();
} finally {
  sampler.stop();
  for (const l of learners) await l.client.close().catch(() => undefined);
  await runner.stop();
  leftover = await sandboxesOf(runner.owner);
  rmSync(dataDir, { recursive: true, force: true });
  log(`runner stopped; its sandboxes left: ${leftover.length}`);
}
const { watch: w, admitMs, endMs, sandboxes, boardMemory } = result;

// ---- the report ----

const floor = w.of('floor');
const room = w.of('room');
const idleRss = median(sampler.of('idle').map((s) => s.rssKib)) * 1024;
const roomSamples = sampler.of('room');
const roomRss = max(roomSamples.map((s) => s.rssKib)) * 1024;
const cpuRow = (phase: string) => {
  const cpu = sampler.of(phase).map((s) => s.cpu);
  const pct = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} %` : '–');
  return `${pct(median(cpu))} | ${pct(percentile(cpu, 95))} | ${pct(max(cpu))}`;
};
const rssRow = (phase: string) => {
  const rss = sampler.of(phase).map((s) => s.rssKib * 1024);
  return `${mib(median(rss))} | ${mib(max(rss))}`;
};
const machineRow = (phase: string) => {
  const m = sampler.machineDuring(phase);
  return `${(m.busy * 100).toFixed(0)} % | ${(m.steal * 100).toFixed(0)} %`;
};
const readies = learners.map((l) => l.readyMs);
const sandboxMemory = sandboxes.map((s) => s.memory);

const text = `# Workshop mode: ${LEARNERS} learners

Run ${new Date().toISOString()} on ${machine.cores} × ${machine.cpu}, ${machine.ramGiB} GiB, Node ${machine.node}, Docker engine ${machine.dockerEngine}, in ${seconds(performance.now() - started)}. ${loadBefore.replace(/^.*load average/, 'Load average')} before; other helpers' work shared the machine (2 cores for four sessions), so every figure here carries their load too.

A real runner in workshop mode (\`--learners ${LEARNERS}\`, dind sandboxes, warm pool 4, a temp data dir) and ${LEARNERS} protocol clients as learners (runner/client/lab-client.ts, each with a headless xterm as the page has). Each learner joins over HTTP, opens the lab socket with its credential, waits for its shell and runs ${BLOCKS.length} real blocks a round (${BLOCKS.map((b) => `\`${b.command}\``).join(', ')}; the last one fails on purpose), waiting for the prompt mark after each and then sending \`outcome\` as the page does. One facilitator's board socket times each outcome from the moment it was sent to the first \`board\` message that shows it (the runner coalesces board updates, so this includes that wait).

## The board's latency, from an outcome sent to the board showing it

| room | outcomes | p50 | p95 | max | lost |
| --- | --- | --- | --- | --- | --- |
| 1 learner alone (the floor), 0.5-2 s between blocks | ${floor.length} | ${ms(median(floor))} | ${ms(percentile(floor, 95))} | ${ms(max(floor))} | – |
| ${LEARNERS} learners, 0.5-2 s between blocks | ${room.length} | ${ms(median(room))} | ${ms(percentile(room, 95))} | ${ms(max(room))} | ${w.lost} |

Ratio, ${LEARNERS} learners vs the floor: p50 ×${(median(room) / median(floor)).toFixed(2)}, p95 ×${(percentile(room, 95) / percentile(floor, 95)).toFixed(2)}. Goal: within 1 s (issue 14). ${w.boards} board messages in all; the largest with outcomes pending was ${(w.largestBoardBytes / 1024).toFixed(1)} KiB of JSON.

## The runner process (node runner/main.ts), sampled once a second

| phase | CPU p50 (% of one core) | p95 | max | RSS median | RSS max | machine busy (all cores) | steal |
| --- | --- | --- | --- | --- | --- | --- | --- |
| idle, before anyone joined | ${cpuRow('idle')} | ${rssRow('idle')} | ${machineRow('idle')} |
| 1 learner | ${cpuRow('floor')} | ${rssRow('floor')} | ${machineRow('floor')} |
| ${LEARNERS - 1} more joining, sandboxes booting | ${cpuRow('admit')} | ${rssRow('admit')} | ${machineRow('admit')} |
| ${LEARNERS} learners running blocks | ${cpuRow('room')} | ${rssRow('room')} | ${machineRow('room')} |

Ratio, the runner's RSS with ${LEARNERS} learners (max) vs idle (median): ×${(roomRss / idleRss).toFixed(2)} (${mib(idleRss)} → ${mib(roomRss)}). The runner's CPU is the node process alone; the ptys' attach helpers and the sandboxes are not in it. "steal" is CPU time the machine's VM host gave to other guests.

## Sandboxes

- From join to the shell's first prompt: median ${seconds(median(readies.slice(1)))}, max ${seconds(max(readies.slice(1)))} while ${LEARNERS - 1} joined at once (the first learner alone: ${seconds(readies[0] ?? Number.NaN)}); all ${LEARNERS} ready after ${seconds(admitMs)}.
- Memory after the blocks, from each sandbox's cgroup (usage less inactive file cache): median ${mib(median(sandboxMemory))}, max ${mib(max(sandboxMemory))}, ${mib(sandboxMemory.reduce((a, b) => a + b, 0))} for ${sandboxes.length} sandboxes (the limit is 1 GiB each); the board showed median ${mib(median(boardMemory))}, max ${mib(max(boardMemory))} for ${boardMemory.length}.
- End workshop (from the board) to no sandbox of this runner left: ${seconds(endMs)}. After the runner stopped: ${leftover.length === 0 ? 'none of its sandboxes left' : `${leftover.length} left: ${leftover.join(', ')}`}.
- Blocks that did not end as expected: ${failures}.

## How to run

\`\`\`sh
node tests/bench/workshop.ts [--learners 30] [--rounds 3]
\`\`\`

It needs the engine and the sandbox image (\`npm test\` or \`npm run bench\` installs them), starts its own runner on a free port with a temp data dir, and stops it at the end; the runner removes its sandboxes. It writes this file.
`;
writeFileSync(values.out, text);
log(`wrote ${values.out}`);
process.stdout.write(text);
if (leftover.length > 0) process.exitCode = 1;
