/**
 * How many sessions one runner holds on this machine, and what holding them costs: dind sandboxes
 * (each a container with its own Docker engine) and host-mode sessions (a bash each), with a
 * reader in Chromium typing throughout. Returns a markdown section; `npm run bench` includes it,
 * and `node tests/bench/capacity/main.ts` runs it alone.
 */
import { cpus, totalmem } from 'node:os';
import { docker } from '../../support/engine.ts';
import { runArm, type ArmResult } from './arm.ts';
import { KEY_GAP_MS } from './echo-probe.ts';
import { renderReport } from './report.ts';

export interface CapacityOptions {
  /** Dind arms: sandboxes to hold in each (the probe's own sandbox comes on top). */
  sandboxes: number[];
  /** Host-mode sessions to hold in one more arm; 0 skips it. */
  hostSessions: number;
  log?: (line: string) => void;
  /** Sessions waiting for their first prompt at once (readers arriving together). */
  concurrency?: { dind?: number | undefined; host?: number | undefined };
  /** Probe alone, settling after the last session is idle, and held idle; ms. */
  phaseMs?: { baseline?: number | undefined; settle?: number | undefined; held?: number | undefined };
}

/** Defaults: the dind boot is CPU-bound (an engine starting per sandbox), so a few at a time on two cores. */
const DEFAULT_CONCURRENCY = { dind: 4, host: 20 } as const;
const DEFAULT_PHASE_MS = { baseline: 60_000, settle: 10_000, held: 60_000 } as const;

export async function runCapacity(options: CapacityOptions): Promise<string> {
  const log = options.log ?? (() => undefined);
  const concurrency = { dind: options.concurrency?.dind ?? DEFAULT_CONCURRENCY.dind, host: options.concurrency?.host ?? DEFAULT_CONCURRENCY.host };
  const phase = {
    baseline: options.phaseMs?.baseline ?? DEFAULT_PHASE_MS.baseline,
    settle: options.phaseMs?.settle ?? DEFAULT_PHASE_MS.settle,
    held: options.phaseMs?.held ?? DEFAULT_PHASE_MS.held,
  };
  const arms = [
    ...options.sandboxes.map((count) => ({ provider: 'dind' as const, count, concurrency: concurrency.dind })),
    ...(options.hostSessions > 0 ? [{ provider: 'host' as const, count: options.hostSessions, concurrency: concurrency.host }] : []),
  ];
  const results: ArmResult[] = [];
  for (const arm of arms) {
    log(`capacity: ${arm.provider} × ${arm.count}, ${arm.concurrency} at once`);
    results.push(await runArm({ ...arm, baselineMs: phase.baseline, settleMs: phase.settle, heldMs: phase.held, log }));
  }
  const cpu = cpus();
  return renderReport(results, {
    date: new Date().toISOString(),
    cpus: `${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}`,
    memory: totalmem(),
    node: process.version,
    engine: (await docker.version()).Version,
    gapMs: KEY_GAP_MS,
  });
}
