/**
 * The browser suite: starts every server once (this product's runner in host mode and in dind
 * mode, WeTTY, the floor), then runs each measure in rounds, the arms interleaved within a round
 * (round 1: ours, WeTTY, floor, …; round 2: …), so a slow spell of the machine hits every arm.
 */
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../support/browser.ts';
import { floorTarget, oursTarget, wettyTargets, type Target } from './arms.ts';
import { measureBulk, measureInFlight, type BulkRound, type InFlight } from './bulk.ts';
import { measureEcho, type EchoRound } from './echo.ts';
import { measurePageJs, type PageJs } from './page-js.ts';
import { measurePageOpen } from './page-open.ts';

export const MEASURES = ['echo', 'bulk', 'inflight', 'open', 'js'] as const;
export type MeasureName = (typeof MEASURES)[number];

export interface SuiteOptions {
  rounds: number;
  only: ReadonlySet<MeasureName>;
  siteDir: string;
  log: (line: string) => void;
}

export interface SuiteResults {
  browserVersion: string;
  labels: Record<string, string>;
  /** Terminal size and renderer each arm had (from its last page). */
  terminals: Record<string, string>;
  echo: Record<string, EchoRound[]>;
  bulk: Record<string, BulkRound[]>;
  inflight: Record<string, InFlight>;
  open: Record<string, number[]>;
  js: Record<string, PageJs[]>;
  /** Each dind runner's sandbox boot times (ms), from its log. */
  boots: Record<string, number[]>;
  errors: string[];
}

/** Which arms each measure runs, in the order they run within a round. */
export const ARMS: Record<Exclude<MeasureName, 'js'>, string[]> = {
  echo: ['ours-host', 'wetty', 'wetty-dom', 'floor', 'ours-dind'],
  bulk: ['ours-host', 'wetty', 'wetty-dom', 'floor', 'ours-dind'],
  inflight: ['ours-host', 'wetty', 'ours-dind'],
  open: ['ours-host', 'wetty', 'floor', 'ours-dind-fresh', 'ours-dind'],
};

/** Pages of (d): ours with a terminal, a Starlight page without one, and WeTTY's for reference. */
export const JS_PAGES: { id: string; label: string }[] = [
  { id: 'lab', label: 'ours: lab page /lab/' },
  { id: 'tutorial', label: 'ours: tutorial page /docker-network/' },
  { id: 'home', label: 'bare Starlight page of the same build: / (no terminal)' },
  { id: 'wetty', label: 'WeTTY 3.2.0 page' },
];

export async function runBrowserSuite(options: SuiteOptions): Promise<SuiteResults> {
  const { rounds, only, siteDir, log } = options;
  const wanted = new Set<string>();
  for (const measure of only) {
    if (measure === 'js') ['ours-host', 'wetty'].forEach((id) => wanted.add(id));
    else ARMS[measure].forEach((id) => wanted.add(id));
  }
  const targets = new Map<string, Target>();
  const results: SuiteResults = { browserVersion: '', labels: {}, terminals: {}, echo: {}, bulk: {}, inflight: {}, open: {}, js: {}, boots: {}, errors: [] };
  let browser: Browser | null = null;
  try {
    if (wanted.has('ours-host')) targets.set('ours-host', await oursTarget('ours-host', 'ours, host shell', siteDir, { LAB_PROVIDER: 'host' }));
    if (wanted.has('wetty') || wanted.has('wetty-dom')) {
      const [wetty, wettyDom] = await wettyTargets();
      targets.set('wetty', wetty);
      targets.set('wetty-dom', wettyDom);
    }
    if (wanted.has('floor')) targets.set('floor', await floorTarget());
    if (wanted.has('ours-dind')) targets.set('ours-dind', await oursTarget('ours-dind', 'ours, dind sandbox from the warm pool', siteDir, { LAB_PROVIDER: 'dind', LAB_WARM_SANDBOXES: '1' }));
    if (wanted.has('ours-dind-fresh')) targets.set('ours-dind-fresh', await oursTarget('ours-dind-fresh', 'ours, dind sandbox booted on demand', siteDir, { LAB_PROVIDER: 'dind', LAB_WARM_SANDBOXES: '0' }));
    for (const target of targets.values()) {
      results.labels[target.id] = target.label;
      await target.settle(); // the warm pool boots before anything is timed
    }
    browser = await launchChromium();
    results.browserVersion = browser.version();

    const each = async <T>(measure: MeasureName, into: Record<string, T[]>, run: (target: Target) => Promise<T>, describe?: (value: T) => string) => {
      if (!only.has(measure) || measure === 'js') return;
      for (let round = 1; round <= rounds; round++) {
        for (const id of ARMS[measure]) {
          const target = targets.get(id);
          if (!target) continue;
          const started = Date.now();
          try {
            const value = await run(target);
            (into[id] ??= []).push(value);
            if (describe) results.terminals[id] = describe(value);
            log(`${measure} round ${round} ${id}: ${summaryLine(value)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          } catch (error) {
            const message = `${measure} round ${round} ${id}: ${(error as Error).message.split('\n')[0]}`;
            results.errors.push(message);
            log(`FAILED ${message}`);
            await target.settle().catch(() => undefined); // the next arm's run says more if this fails again
          }
        }
      }
    };
    const b = browser;
    await each('echo', results.echo, (target) => measureEcho(b, target), (value) => value.terminal);
    await each('bulk', results.bulk, (target) => measureBulk(b, target), (value) => value.terminal);
    if (only.has('inflight')) {
      for (const id of ARMS.inflight) {
        const target = targets.get(id);
        if (!target) continue;
        try {
          results.inflight[id] = await measureInFlight(b, target);
          log(`inflight ${id}: ${summaryLine(results.inflight[id])}`);
        } catch (error) {
          results.errors.push(`inflight ${id}: ${(error as Error).message.split('\n')[0]}`);
          log(`FAILED inflight ${id}: ${(error as Error).stack ?? error}`);
        }
      }
    }
    await each('open', results.open, (target) => measurePageOpen(b, target));
    if (only.has('js')) {
      const ours = targets.get('ours-host')?.runner;
      const wetty = targets.get('wetty');
      const urls: Record<string, string | undefined> = {
        lab: ours && `${ours.url}/lab/#lab-token=${ours.token}`,
        tutorial: ours && `${ours.url}/docker-network/#lab-token=${ours.token}`,
        home: ours && `${ours.url}/`,
        wetty: wetty?.pageUrl,
      };
      for (let round = 1; round <= rounds; round++) {
        for (const { id } of JS_PAGES) {
          const url = urls[id];
          if (!url) continue;
          try {
            const value = await measurePageJs(b, url);
            (results.js[id] ??= []).push(value);
            log(`js round ${round} ${id}: ${summaryLine(value)}`);
          } catch (error) {
            results.errors.push(`js round ${round} ${id}: ${(error as Error).message.split('\n')[0]}`);
            log(`FAILED js round ${round} ${id}: ${(error as Error).message.split('\n')[0]}`);
          }
        }
      }
    }
    for (const id of ['ours-dind', 'ours-dind-fresh']) {
      const boots = targets.get(id)?.bootTimes?.();
      if (boots) results.boots[id] = boots;
    }
    return results;
  } finally {
    await browser?.close();
    for (const target of targets.values()) await target.stop().catch((error: Error) => log(`stopping ${target.id}: ${error.message}`));
  }
}

function summaryLine(value: unknown): string {
  if (typeof value === 'number') return `${Math.round(value)} ms`;
  const record = value as Record<string, unknown>;
  return Object.entries(record)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${k}=${Math.round(v as number)}`)
    .join(' ');
}
