/**
 * Debian's Chromium, driven by playwright-core (it cannot download a browser of its own here), and
 * the setup the e2e files share: the built site served by a real runner.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import serveStatic from 'serve-static';
import { fileURLToPath } from 'node:url';
import { pollFor } from './poll.ts';
import { startRunner, type RunningRunner } from './runner-process.ts';

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.LAB_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: npm test installs Debian's chromium.`);
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Where tests leave screenshots and other artefacts (test-results/, ignored by git). */
export function artefactPath(name: string): string {
  const dir = fileURLToPath(new URL('../../test-results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  return dir + name;
}

/** What every browser test of the live site needs: the built site, a runner serving it, Chromium. */
export interface LabSite {
  readonly runner: RunningRunner;
  readonly browser: Browser;
}

/** The built site (dist/, which the test command builds first). */
export const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/**
 * The shared setup of the e2e files: before the file's tests, a runner with dind sandboxes (one
 * warm) serving dist/, and Chromium; after them, both stopped. Read the fields inside tests.
 */
export function useLabSite(): LabSite {
  let runner: RunningRunner | undefined;
  let browser: Browser | undefined;
  before(async () => {
    runner = await startRunner({ LAB_PROVIDER: 'dind', LAB_SITE_DIR: DIST, LAB_WARM_SANDBOXES: '1' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await runner?.stop();
  });
  return {
    get runner() {
      if (!runner) throw new Error('the runner is started before the tests');
      return runner;
    },
    get browser() {
      if (!browser) throw new Error('Chromium is launched before the tests');
      return browser;
    },
  };
}

/** dist/ served as a static host would serve it: no runner behind it. Stop it with `close()`. */
export async function serveStaticSite(): Promise<{ url: string; close(): Promise<void> }> {
  const site = serveStatic(DIST, { extensions: ['html'] });
  const server: Server = createServer((req, res) => site(req, res, () => void res.writeHead(404).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What every browser test of the published static site needs: dist/ on a plain file server (no runner), Chromium. */
export interface StaticSite {
  readonly url: string;
  readonly browser: Browser;
}

/** The shared setup of the static-site e2e files, as useLabSite is for the live site. */
export function useStaticSite(): StaticSite {
  let site: Awaited<ReturnType<typeof serveStaticSite>> | undefined;
  let browser: Browser | undefined;
  before(async () => {
    site = await serveStaticSite();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });
  return {
    get url() {
      if (!site) throw new Error('the site is served before the tests');
      return site.url;
    },
    get browser() {
      if (!browser) throw new Error('Chromium is launched before the tests');
      return browser;
    },
  };
}

type LabTerminalElement = HTMLElement & { text(name?: string): string };

/** A terminal's text in the page's dock (screen and scrollback); '' while it has none. */
export function terminalText(page: Page, terminal = 'main'): Promise<string> {
  return page
    .locator('lab-terminal')
    .evaluate((el, name) => (el as LabTerminalElement).text(name), terminal)
    .catch(() => '');
}

/** Waits until the terminal shows `pattern`; fails with what it shows instead. */
export async function waitForTerminalText(page: Page, pattern: RegExp, options: { terminal?: string; timeoutMs?: number } = {}): Promise<string> {
  const terminal = options.terminal ?? 'main';
  const text = await pollFor(() => terminalText(page, terminal), (t) => pattern.test(t), { timeoutMs: options.timeoutMs ?? 30_000, intervalMs: 200 });
  assert.match(text, pattern, `terminal ${terminal} never showed ${pattern}; it shows:\n${text.slice(-2000)}`);
  return text;
}
