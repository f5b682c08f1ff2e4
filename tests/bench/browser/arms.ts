/**
 * The arms of the benchmark and how a page of each is driven: this product's lab page (against a
 * runner in host mode, or a dind runner), WeTTY's page, and the floor page. Each hooks its
 * terminal's parsed output to the in-page probe (./probe.ts) and sets `window.__benchSend`.
 */
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { docker } from '../../support/engine.ts';
import { LABEL } from '../../../runner/docker.ts';
import { startRunner, type RunningRunner } from '../../support/runner-process.ts';
import { startFloor } from '../peers/floor.ts';
import { startWetty } from '../peers/wetty.ts';
import { hookWetty, installProbe, withoutWebgl2 } from './probe.ts';

export type ArmKind = 'ours' | 'wetty' | 'floor';

/** A server an arm's pages talk to. */
export interface Target {
  id: string;
  label: string;
  kind: ArmKind;
  pageUrl: string;
  /** The page gets no WebGL2, so xterm draws with its DOM renderer. */
  noWebgl?: boolean;
  /** The server process whose memory the bulk measure samples. */
  pid: number;
  /** Waits until work the last page left behind (a sandbox to remove, a warm one to boot) is done. */
  settle(): Promise<void>;
  stop(): Promise<void>;
  /** Ours: the runner, and its sandboxes' boot times. */
  runner?: RunningRunner;
  bootTimes?(): number[];
}

/** Same window for every arm: the terminal's size follows it. */
export const VIEWPORT = { width: 1280, height: 800 };
const PROMPT_TIMEOUT_MS = 120_000;
const SETTLE_TIMEOUT_MS = 120_000;

/** WeTTY as shipped (WebGL renderer where WebGL2 exists), and the same server with `noWebgl`. */
export async function wettyTargets(env: Record<string, string> = {}): Promise<[Target, Target]> {
  const wetty = await startWetty(env);
  const base = { kind: 'wetty' as const, pageUrl: `${wetty.url}/`, pid: wetty.pid, settle: async () => {} };
  return [
    { ...base, id: 'wetty', label: 'WeTTY 3.2.0', stop: () => wetty.stop() },
    { ...base, id: 'wetty-dom', label: 'WeTTY 3.2.0, DOM renderer', noWebgl: true, stop: async () => {} },
  ];
}

export async function floorTarget(): Promise<Target> {
  const floor = await startFloor();
  return { id: 'floor', label: 'floor (bare WebSocket page)', kind: 'floor', pageUrl: `${floor.url}/`, pid: floor.pid, settle: async () => {}, stop: () => floor.stop() };
}

/**
 * This product's runner. For dind, `settle` waits until the runner holds only its warm pool, every
 * sandbox of it booted: sandboxes booting or being removed would tax whichever arm runs next.
 */
export async function oursTarget(id: string, label: string, siteDir: string, env: Record<string, string>): Promise<Target> {
  const runner = await startRunner({ LAB_SITE_DIR: siteDir, LAB_LOG_LEVEL: 'info', ...env });
  const warm = Number(env.LAB_WARM_SANDBOXES ?? 0);
  const dind = env.LAB_PROVIDER === 'dind';
  // A runner starts `warm` boots, and each session that got a sandbox caused one more (its own, or
  // the pool's refill); `settle` waits until that many boots finished.
  const logged = (msg: string) => runner.logs().split('\n').filter((line) => line.includes(`"msg":"${msg}"`));
  return {
    id,
    label,
    kind: 'ours',
    runner,
    pageUrl: `${runner.url}/lab/#lab-token=${runner.token}`,
    pid: runner.process.pid ?? 0,
    settle: async () => {
      if (!dind) return;
      const deadline = Date.now() + SETTLE_TIMEOUT_MS;
      for (;;) {
        const ready = logged('sandbox ready').length;
        const sessions = logged('session ready').length;
        const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.owner}=${runner.owner}`] } });
        if (ready >= warm + sessions && containers.length === warm) return;
        if (Date.now() > deadline) throw new Error(`runner ${id} did not settle: ${ready} sandboxes ready of ${warm + sessions}, ${containers.length} containers (want ${warm})`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    stop: async () => {
      await runner.stop();
    },
    // How long each sandbox took to boot, from the runner's `sandbox ready` log lines.
    bootTimes: () => logged('sandbox ready').map((line) => (JSON.parse(line) as { ms: number }).ms),
  };
}

/** One page of an arm, in a context of its own (cold cache, no remembered session). */
export class TerminalPage {
  readonly target: Target;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly cdp: CDPSession;

  private constructor(target: Target, context: BrowserContext, page: Page, cdp: CDPSession) {
    this.target = target;
    this.context = context;
    this.page = page;
    this.cdp = cdp;
  }

  /** Opens the arm's page and starts its terminal the way a reader would (ours: click Start). */
  static async open(browser: Browser, target: Target, beforeNavigation?: (cdp: CDPSession) => Promise<void>): Promise<TerminalPage> {
    const context = await browser.newContext({ viewport: VIEWPORT });
    await context.addInitScript(installProbe);
    if (target.kind === 'wetty') await context.addInitScript(hookWetty);
    if (target.noWebgl) await context.addInitScript(withoutWebgl2);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const opened = new TerminalPage(target, context, page, cdp);
    await beforeNavigation?.(cdp);
    await page.goto(target.pageUrl);
    if (target.kind === 'ours') {
      await page.locator('[data-action="start"]').click();
      await page.evaluate(async () => {
        const element = document.querySelector('lab-terminal');
        const probe = window.__benchProbe;
        if (!element || !probe) throw new Error('no lab terminal or probe on the page');
        const terminal = await element.terminal('main');
        terminal.onOutput((output) => probe.feed(output.data));
        window.__benchSend = (text) => terminal.input(text);
        // The prompt may have been parsed before this listener existed.
        const check = () => {
          if (terminal.atShellPrompt && probe.firstPromptAt === undefined) probe.firstPromptAt = performance.now();
        };
        terminal.onChange(check);
        check();
      });
    }
    return opened;
  }

  /** Time from navigation start to the first prompt parsed, in ms. */
  async prompt(): Promise<number> {
    const handle = await this.page.waitForFunction(() => window.__benchProbe?.firstPromptAt, null, { timeout: PROMPT_TIMEOUT_MS, polling: 50 });
    return (await handle.jsonValue()) as number;
  }

  /** Puts the keyboard focus in the terminal (the floor page listens on the document). */
  async focus(): Promise<void> {
    if (this.target.kind === 'floor') return;
    await this.page.locator('.xterm-helper-textarea').first().focus();
  }

  async send(text: string): Promise<void> {
    await this.page.evaluate((t) => window.__benchSend?.(t), text);
  }

  /** Waits in the page for output since now to match `source`; resolves with the page's time then. */
  async waitFor(source: string, timeoutMs: number): Promise<number> {
    return this.page.evaluate(([s, ms]) => Promise.race([
      window.__benchProbe?.waitFor(s) ?? Promise.reject(new Error('no probe')),
      new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`no /${s}/ in ${ms} ms`)), ms)),
    ]), [source, timeoutMs] as const);
  }

  /** The terminal's size and renderer, for the results. */
  async describe(): Promise<string> {
    return this.page.evaluate(() => {
      const screen = document.querySelector('.xterm-screen');
      if (!screen) return 'no terminal emulator';
      const renderer = screen.querySelector('.xterm-rows') ? 'DOM' : 'WebGL';
      const term = (window as { wetty_term?: { cols: number; rows: number } }).wetty_term;
      if (term) return `${renderer}, ${term.cols}×${term.rows}`;
      // xterm measures its cell with a span of repeated W; a DOM screen is a whole number of cells.
      const measure = document.querySelector('.xterm-char-measure-element');
      const cell = measure ? measure.getBoundingClientRect().width / Math.max(1, measure.textContent?.length ?? 1) : 0;
      const cols = cell > 0 ? Math.round(screen.getBoundingClientRect().width / cell) : 0;
      const size = `${cols}×${screen.querySelectorAll('.xterm-rows > div').length}`;
      return `${renderer}, ${size}`;
    });
  }

  /** Ends the shell (ours: `exit`, so the session and its sandbox go now) and closes the page. */
  async close(): Promise<void> {
    if (this.target.kind === 'ours') {
      try {
        // Ctrl-C flushes the tty's input queue, so `exit` must wait for the prompt after it.
        const prompt = this.waitFor('# $', 10_000);
        await this.send('\x03');
        await prompt;
        await this.send('exit\r');
        await this.page.locator('lab-terminal[data-state="ended"]').waitFor({ timeout: 10_000 });
      } catch (error) {
        // Closing the page ends the session too, after the runner's grace period; settle waits.
        process.stderr.write(`[bench] ${this.target.id}: the shell did not exit (${(error as Error).message.split('\n')[0]}); closing the page\n`);
      }
    }
    await this.context.close();
    await this.target.settle();
  }
}
