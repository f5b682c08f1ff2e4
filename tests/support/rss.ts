/**
 * What /proc tells about a process under test: its resident memory over time (VmRSS at a fixed
 * interval, each sample tagged with the phase of the test it was taken in, for memory bounds and a
 * CSV to plot) and the children it leaves running.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface RssSample {
  /** Milliseconds since sampling started. */
  ms: number;
  phase: string;
  kib: number;
}

/** VmRSS of `pid` in KiB, or null once the process is gone. */
export function readRssKib(pid: number): number | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null; // the process exited: nothing left to measure
  }
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) : null;
}

/** Pids of the live children of `pid` (the kernel lists them per thread that started them). */
export function childPids(pid: number): number[] {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // the process exited: it has no children left
  }
  const children = new Set<number>();
  for (const tid of threads) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(/\s+/).filter(Boolean)) children.add(Number(child));
    } catch {
      // The thread ended between the listing and the read; it started no child that is left.
    }
  }
  return [...children];
}

export class RssSampler {
  readonly samples: RssSample[] = [];
  readonly #pid: number;
  readonly #started = performance.now();
  readonly #timer: NodeJS.Timeout;
  phase: string;

  constructor(pid: number, intervalMs: number, phase: string) {
    this.#pid = pid;
    this.phase = phase;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  /** KiB of every sample taken in `phase`, in order. */
  during(phase: string): number[] {
    return this.samples.filter((s) => s.phase === phase).map((s) => s.kib);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  toCsv(): string {
    return ['ms,phase,rss_kib', ...this.samples.map((s) => `${Math.round(s.ms)},${s.phase},${s.kib}`)].join('\n') + '\n';
  }

  #sample(): void {
    const kib = readRssKib(this.#pid);
    if (kib !== null) this.samples.push({ ms: performance.now() - this.#started, phase: this.phase, kib });
  }
}

/** The value below which a fraction `q` of `values` lies (nearest rank); NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
