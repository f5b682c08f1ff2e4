/** The capacity benchmark's results as a markdown section: one table per question, then the goal. */
import type { ArmResult, Snapshot } from './arm.ts';
import { coresBetween } from './machine.ts';
import { FIRST_COMMANDS } from './load-sessions.ts';
import { gib, max, median, mib, ms, percent, percentile, seconds } from './stats.ts';

/**
 * "Unchanged" for the goal: the held p99 within this factor of the baseline p99. A chosen bar: the
 * echo table shows the baseline's own spread (its two halves' p99s) to judge it by.
 */
export const UNCHANGED_P99_RATIO = 1.25;
/** The project's goal: this many dind sandboxes held. */
export const GOAL_SANDBOXES = 50;
/** The project's goal (issue 12): memory per idle sandbox, all in (lab total / session), at most this. */
export const GOAL_SANDBOX_BYTES = 60 * 1024 * 1024;

export interface MachineInfo {
  date: string;
  cpus: string;
  memory: number;
  node: string;
  engine: string;
  gapMs: number;
}

const arm = (r: ArmResult) => `${r.options.provider} × ${r.options.count}`;

function echoOf(r: ArmResult, phase: string): { p50: number; p99: number; n: number; lost: number } {
  const samples = r.echo.filter((s) => s.phase === phase);
  const times = samples.map((s) => s.ms).filter((x): x is number => x !== null);
  return { p50: percentile(times, 50), p99: percentile(times, 99), n: times.length, lost: samples.length - times.length };
}

/** Sandboxes (the probe's included) and their idle CPU share over the held window. */
function sandboxes(r: ArmResult) {
  const start = new Map(r.heldStart.sandboxes.map((s) => [s.name, s.cpuSeconds]));
  const idle = r.heldEnd.sandboxes.flatMap((s) => {
    const from = start.get(s.name);
    return from === undefined ? [] : [(s.cpuSeconds - from) / (r.options.heldMs / 1000)];
  });
  return {
    count: r.heldEnd.sandboxes.length,
    memory: r.heldEnd.sandboxes.map((s) => s.memory),
    bootCpu: r.heldStart.sandboxes.map((s) => s.cpuSeconds),
    idle,
  };
}

export function ratio(r: ArmResult): number {
  return echoOf(r, 'held').p99 / echoOf(r, 'baseline').p99;
}

export function renderReport(results: ArmResult[], machine: MachineInfo): string {
  const out: string[] = [];
  const row = (...cells: string[]) => out.push(`| ${cells.join(' | ')} |`);
  const head = (...cells: string[]) => {
    row(...cells);
    row(...cells.map(() => '---'));
  };

  out.push('## Capacity: sessions held', '');
  out.push(
    `Run ${machine.date} on ${machine.cpus}, ${gib(machine.memory)}, Node ${machine.node}, Docker engine ${machine.engine}. ` +
      'Each arm starts a fresh runner (no warm pool, no idle timeout, default sandbox limits: 1 GiB, 512 pids, 1 CPU each). ' +
      `A load session is a protocol client with a headless xterm that acknowledges output as the page does; after its first prompt it runs ${FIRST_COMMANDS.map((c) => `\`${c}\``).join(' and ')}, then stays idle with its socket open. ` +
      `The probe is the lab page in Chromium with a session of its own on the same runner (in the dind arms, one more sandbox): it types a letter or Backspace every ${machine.gapMs} ms and times key → echo parsed by xterm. ` +
      'Baseline: the probe alone. Creating: while the load sessions open. Held: all idle, after a settling pause.',
    '',
  );

  out.push('### Sessions held and the time to hold them', '');
  head('arm', 'held / asked', 'failed', 'opened at once', 'time to hold all', 'hello → prompt median / max', 'prompt + first commands median / max', 'runner stop');
  for (const r of results) {
    const prompts = r.sessions.flatMap((s) => (s.promptMs === null ? [] : [s.promptMs]));
    const worked = r.sessions.flatMap((s) => (s.workedMs === null ? [] : [s.workedMs]));
    const failed = r.sessions.filter((s) => s.failure !== null).length;
    row(
      arm(r),
      `${r.heldCount} / ${r.options.count}`,
      String(failed),
      String(r.options.concurrency),
      seconds(r.holdMs),
      `${seconds(median(prompts))} / ${seconds(max(prompts))}`,
      `${seconds(median(worked))} / ${seconds(max(worked))}`,
      `${seconds(r.stopMs)} (exit ${r.exitCode}, ${r.leftovers} left)`,
    );
  }
  out.push('');

  out.push('### Memory', '');
  out.push(
    'From the baseline (the probe\'s session only) to all held, divided by the sessions added. Runner: its own RSS; ptys: the PSS of the processes it started ' +
      '(a bash per host session; a `docker exec` client per dind session where terminals go through it, none where they attach directly: then the terminal is in its sandbox\'s cgroup). Engine: PSS of the machine\'s dockerd, containerd and container shims. ' +
      'Sandbox: its cgroup as `docker stats` counts it (usage less inactive file cache). Lab total: all of these. ' +
      'Machine: the drop in MemAvailable, which also counts the page cache and other work on the machine.',
    '',
  );
  head('arm', 'runner RSS baseline → held', 'runner / session', 'ptys / session', 'engine / session', 'sandbox median / max', 'lab total / session', 'machine available baseline → held', 'machine / session');
  for (const r of results) {
    const n = Math.max(1, r.heldCount);
    const s = sandboxes(r);
    const sandboxTotal = (snap: Snapshot) => snap.sandboxes.reduce((sum, x) => sum + x.memory, 0);
    const lab = (snap: Snapshot) => snap.runnerRss + snap.childrenPss + snap.engine + sandboxTotal(snap);
    row(
      arm(r),
      `${mib(r.baseline.runnerRss)} → ${mib(r.heldEnd.runnerRss)}`,
      mib((r.heldEnd.runnerRss - r.baseline.runnerRss) / n),
      mib((r.heldEnd.childrenPss - r.baseline.childrenPss) / n),
      mib((r.heldEnd.engine - r.baseline.engine) / n),
      s.count ? `${mib(median(s.memory))} / ${mib(max(s.memory))}` : '–',
      mib((lab(r.heldEnd) - lab(r.baseline)) / n),
      `${gib(r.baseline.machine.available)} → ${gib(r.heldEnd.machine.available)}`,
      mib((r.baseline.machine.available - r.heldEnd.machine.available) / n),
    );
  }
  out.push('');
  head('arm', 'machine / session: anonymous memory', 'page cache', 'kernel (unreclaimable slab, stacks, page tables)');
  for (const r of results) {
    const n = Math.max(1, r.heldCount);
    const grew = (part: 'anon' | 'cache' | 'kernel') => mib((r.heldEnd.machine[part] - r.baseline.machine[part]) / n);
    row(arm(r), grew('anon'), grew('cache'), grew('kernel'));
  }
  out.push('');

  out.push('### CPU', '');
  out.push(
    'Where the machine\'s CPU went in each phase, in cores (2 = both cores busy), from /proc and the sandboxes\' cgroups: the runner with its ptys, ' +
      'the sandboxes, the machine\'s Docker engine (dockerd, containerd, shims), Chromium (the probe), the benchmark process (the load sessions\' clients), ' +
      'and other work on the machine. Saturated: share of 1-second samples with the machine at 95 % or more.',
    '',
  );
  head('arm', 'phase', 'machine', 'runner', 'sandboxes', 'engine', 'browser', 'clients', 'other', 'saturated');
  for (const r of results) {
    const phases: [string, Snapshot, Snapshot, string][] = [
      ['baseline', r.baselineStart, r.baseline, '–'],
      ['creating', r.baseline, r.created, percent(r.cpuCreating.saturated)],
      ['held idle', r.heldStart, r.heldEnd, percent(r.cpuHeld.saturated)],
    ];
    for (const [phase, from, to, saturated] of phases) {
      const c = coresBetween(from.cpu, to.cpu);
      row(arm(r), phase, ...[c.machine, c.runner, c.sandboxes, c.engine, c.browser, c.clients, c.other].map((x) => x.toFixed(2)), saturated);
    }
  }
  out.push('');
  head('arm', 'sandboxes measured', 'CPU to boot + first commands, per sandbox median / max', 'CPU held idle, per sandbox median / max', 'other work before the arm');
  for (const r of results) {
    const s = sandboxes(r);
    row(
      arm(r),
      String(s.count),
      s.count ? `${median(s.bootCpu).toFixed(2)} s / ${max(s.bootCpu).toFixed(2)} s` : '–',
      s.count ? `${percent(median(s.idle))} / ${percent(max(s.idle))} of a core` : '–',
      `${r.background.toFixed(2)} cores`,
    );
  }
  out.push('');

  out.push('### Echo in the browser probe (key → echo parsed by xterm)', '');
  head('arm', 'baseline p50 / p99 (n)', 'baseline p99, 1st half / 2nd half', 'creating p50 / p99 (n)', 'held idle p50 / p99 (n)', 'held p99 ÷ baseline p99', 'echoes lost (> 5 s)');
  for (const r of results) {
    const [b, c, h] = (['baseline', 'creating', 'held'] as const).map((phase) => echoOf(r, phase)) as [ReturnType<typeof echoOf>, ReturnType<typeof echoOf>, ReturnType<typeof echoOf>];
    const baseline = r.echo.filter((s) => s.phase === 'baseline').flatMap((s) => (s.ms === null ? [] : [s.ms]));
    const half = Math.floor(baseline.length / 2);
    row(
      arm(r),
      `${ms(b.p50)} / ${ms(b.p99)} (${b.n})`,
      `${ms(percentile(baseline.slice(0, half), 99))} / ${ms(percentile(baseline.slice(half), 99))}`,
      `${ms(c.p50)} / ${ms(c.p99)} (${c.n})`,
      `${ms(h.p50)} / ${ms(h.p99)} (${h.n})`,
      ratio(r).toFixed(2),
      String(b.lost + c.lost + h.lost),
    );
  }
  out.push('');

  out.push(`### Goal: ${GOAL_SANDBOXES} sandboxes held on ${machine.cpus} and ${gib(machine.memory)}, idle echo p99 unchanged`, '');
  const goal = results.find((r) => r.options.provider === 'dind' && r.options.count >= GOAL_SANDBOXES);
  if (!goal) {
    out.push(`Not measured: no dind arm of ${GOAL_SANDBOXES} sandboxes or more in this run.`);
  } else {
    const held = goal.heldCount >= GOAL_SANDBOXES;
    const r = ratio(goal);
    const unchanged = r <= UNCHANGED_P99_RATIO;
    const b = echoOf(goal, 'baseline');
    const h = echoOf(goal, 'held');
    const other = (from: Snapshot, to: Snapshot) => coresBetween(from.cpu, to.cpu).other.toFixed(2);
    out.push(
      `- Sandboxes held: ${goal.heldCount} of ${goal.options.count} asked (plus the probe's) — **${held ? 'met' : 'missed'}**; ` +
        `${gib(goal.heldEnd.machine.available)} of memory still available, time to hold them ${seconds(goal.holdMs)}.`,
      `- Idle echo p99: ${ms(h.p99)} held vs ${ms(b.p99)} baseline, ratio ${r.toFixed(2)} (unchanged means ≤ ${UNCHANGED_P99_RATIO}) — **${unchanged ? 'met' : 'missed'}**. ` +
        `Other work on the machine meanwhile: ${other(goal.baselineStart, goal.baseline)} cores at the baseline, ${other(goal.heldStart, goal.heldEnd)} held.`,
      `- Goal: **${held && unchanged ? 'met' : 'missed'}**.`,
    );
  }
  out.push('');

  // Issue 12: what one idle sandbox costs in all (its cgroup, its share of the machine's engine, its
  // terminal and the runner's growth), from the largest dind arm.
  const largest = results.filter((r) => r.options.provider === 'dind').sort((a, b) => b.heldCount - a.heldCount)[0];
  out.push(`### Goal: memory per idle sandbox ≤ ${mib(GOAL_SANDBOX_BYTES)} in all`, '');
  if (!largest) {
    out.push('Not measured: no dind arm in this run.', '');
  } else {
    const n = Math.max(1, largest.heldCount);
    const sandboxTotal = (snap: Snapshot) => snap.sandboxes.reduce((sum, x) => sum + x.memory, 0);
    const part = (from: number, to: number) => (to - from) / n;
    const parts = {
      sandbox: part(sandboxTotal(largest.baseline), sandboxTotal(largest.heldEnd)),
      engine: part(largest.baseline.engine, largest.heldEnd.engine),
      ptys: part(largest.baseline.childrenPss, largest.heldEnd.childrenPss),
      runner: part(largest.baseline.runnerRss, largest.heldEnd.runnerRss),
    };
    const total = parts.sandbox + parts.engine + parts.ptys + parts.runner;
    out.push(
      `- ${arm(largest)}: ${mib(total)} per sandbox = sandbox cgroup ${mib(parts.sandbox)} + machine engine ${mib(parts.engine)} + terminal client ${mib(parts.ptys)} + runner ${mib(parts.runner)} — **${total <= GOAL_SANDBOX_BYTES ? 'met' : 'missed'}**.`,
      '',
    );
  }

  const failures = results.flatMap((r) => r.sessions.flatMap((s, i) => (s.failure ? [`- ${arm(r)}, session ${i + 1}: ${s.failure}`] : [])));
  const logged = results.flatMap((r) => [...r.runnerProblems].map(([message, count]) => `- ${arm(r)}: ${count} × ${message}`));
  const foreign = results.filter((r) => r.baseline.foreignSandboxes + r.heldEnd.foreignSandboxes > 0);
  if (failures.length || logged.length || foreign.length) {
    out.push('### Failures and warnings', '');
    out.push(...failures.slice(0, 20));
    if (failures.length > 20) out.push(`- … and ${failures.length - 20} more session failures`);
    out.push(...logged.slice(0, 20));
    for (const r of foreign) out.push(`- ${arm(r)}: other runners held ${r.baseline.foreignSandboxes} sandboxes at the baseline and ${r.heldEnd.foreignSandboxes} when held; the machine figures include them.`);
    out.push('');
  }
  return out.join('\n');
}
