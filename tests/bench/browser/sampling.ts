/**
 * What the bulk measure samples while output flows: a server process's resident memory and CPU
 * time (from /proc), and the page's JS heap and main-thread work (Chromium's Performance metrics).
 */
import { readFileSync } from 'node:fs';
import type { CDPSession } from 'playwright-core';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** VmRSS of `pid` in bytes; 0 once it is gone. */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(match?.[1] ?? 0) * 1024;
  } catch {
    return 0; // the process exited
  }
}

/** User + system CPU time of `pid` so far, in ms. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0; // the process exited
  }
}

/** Samples a process's RSS every `intervalMs` until stopped; keeps the peak. */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: ReturnType<typeof setInterval>;
  peak: number;
  samples = 0;

  constructor(pid: number, intervalMs = 50) {
    this.#pid = pid;
    this.peak = rssBytes(pid);
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  #sample(): void {
    const rss = rssBytes(this.#pid);
    this.samples += 1;
    if (rss > this.peak) this.peak = rss;
  }

  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    return this.peak;
  }
}

export type PageMetrics = Record<string, number>;

export async function pageMetrics(cdp: CDPSession): Promise<PageMetrics> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

/** Polls the page's JS heap through CDP (answered between the page's tasks); keeps the peak. */
export class HeapSampler {
  readonly #cdp: CDPSession;
  #running = true;
  #done: Promise<void>;
  peak = 0;

  constructor(cdp: CDPSession, intervalMs = 250) {
    this.#cdp = cdp;
    this.#done = this.#loop(intervalMs);
  }

  async #loop(intervalMs: number): Promise<void> {
    while (this.#running) {
      const metrics = await pageMetrics(this.#cdp).catch(() => null); // the page closed under us
      if (metrics) this.peak = Math.max(this.peak, metrics.JSHeapUsedSize ?? 0);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  async stop(): Promise<number> {
    this.#running = false;
    await this.#done;
    return this.peak;
  }
}
