/**
 * The reader's view of load: the lab page in Chromium, with a session of its own on the runner
 * under test, types a key at a steady pace and times how long until the terminal has parsed the
 * echo (the page's `onOutput` is called after xterm parsed it). It alternates a letter and
 * Backspace, so the command line never grows. Samples carry the phase the benchmark was in.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../support/browser.ts';

/** A fast typist: about ten keys a second, each waiting for its echo first. */
export const KEY_GAP_MS = 100;
/** An echo later than this is counted as lost (and the next key is typed anyway). */
const ECHO_TIMEOUT_MS = 5_000;
/** The probe's own sandbox boots like any other; under load that can take a while. */
const PROMPT_TIMEOUT_MS = 180_000;

export interface EchoSample {
  phase: string;
  /** Key to parsed echo in ms; null when none came within ECHO_TIMEOUT_MS. */
  ms: number | null;
}

/** What the sampler keeps in the page (window.__capacityProbe). */
interface PageProbe {
  phase: string;
  running: boolean;
  samples: EchoSample[];
}

export class EchoProbe {
  readonly #browser: Browser;
  readonly #context: BrowserContext;
  readonly #page: Page;
  /** Time from clicking Start to the probe's prompt, ms. */
  readonly promptMs: number;

  private constructor(browser: Browser, context: BrowserContext, page: Page, promptMs: number) {
    this.#browser = browser;
    this.#context = context;
    this.#page = page;
    this.promptMs = promptMs;
  }

  /** Opens the lab page of the runner at `url`, starts its terminal and begins typing in phase `phase`. */
  static async start(url: string, token: string, phase: string): Promise<EchoProbe> {
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${url}/lab/#lab-token=${token}`);
      const clicked = Date.now();
      await page.locator('[data-action="start"]').click();
      await page.evaluate(startSampler, { phase, gapMs: KEY_GAP_MS, echoTimeoutMs: ECHO_TIMEOUT_MS, promptTimeoutMs: PROMPT_TIMEOUT_MS });
      return new EchoProbe(browser, context, page, Date.now() - clicked);
    } catch (error) {
      await browser.close();
      throw error;
    }
  }

  async phase(name: string): Promise<void> {
    await this.#page.evaluate((phase) => {
      (window as unknown as { __capacityProbe: PageProbe }).__capacityProbe.phase = phase;
    }, name);
  }

  /** Stops typing and returns every sample. */
  async stop(): Promise<EchoSample[]> {
    const samples = await this.#page.evaluate(() => {
      const probe = (window as unknown as { __capacityProbe: PageProbe }).__capacityProbe;
      probe.running = false;
      return probe.samples;
    });
    await this.#context.close();
    await this.#browser.close();
    return samples;
  }

  /** Closes the browser without collecting (after a failure). */
  async close(): Promise<void> {
    await this.#browser.close();
  }
}

/** Runs in the page: waits for the main terminal's prompt, then types and times echoes until stopped. */
async function startSampler(options: { phase: string; gapMs: number; echoTimeoutMs: number; promptTimeoutMs: number }): Promise<void> {
  interface Output {
    data: string;
  }
  interface PageTerminal {
    readonly atShellPrompt: boolean;
    input(data: string): void;
    onOutput(listener: (output: Output) => void): () => void;
    onChange(listener: () => void): () => void;
  }
  const element = document.querySelector('lab-terminal') as (HTMLElement & { terminal(name: string): Promise<PageTerminal> }) | null;
  if (!element) throw new Error('no lab-terminal on the page');
  const terminal = await element.terminal('main');
  await new Promise<void>((resolve, reject) => {
    if (terminal.atShellPrompt) return resolve();
    const timer = setTimeout(() => reject(new Error(`no prompt within ${options.promptTimeoutMs} ms; panel state ${element.dataset.state}`)), options.promptTimeoutMs);
    const off = terminal.onChange(() => {
      if (!terminal.atShellPrompt) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
  const probe: PageProbe = { phase: options.phase, running: true, samples: [] };
  (window as unknown as { __capacityProbe: PageProbe }).__capacityProbe = probe;
  const echo = (key: string) =>
    new Promise<number | null>((resolve) => {
      const typed = performance.now();
      const timer = setTimeout(() => {
        off();
        resolve(null);
      }, options.echoTimeoutMs);
      const off = terminal.onOutput((output) => {
        if (output.data.length === 0) return;
        clearTimeout(timer);
        off();
        resolve(performance.now() - typed);
      });
      terminal.input(key);
    });
  void (async () => {
    let key = 'x';
    while (probe.running) {
      const phase = probe.phase;
      const ms = await echo(key);
      probe.samples.push({ phase, ms });
      key = key === 'x' ? '\x7f' : 'x';
      await new Promise((resolve) => setTimeout(resolve, options.gapMs));
    }
  })();
}
