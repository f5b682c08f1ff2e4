/**
 * The accessibility audit: axe-core at the WCAG 2.2 AA rules on every page of the built site, in
 * both locales and both themes, as a static host serves it (no runner: the offline notes) and live
 * (the runner's site, the terminal open and a block run, its status and output beside it, the
 * Network view open with its table; the static pages with their network diagrams unfolded). Zero
 * violations. The counts by rule go to the test's diagnostics.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { serveStaticSite, useLabSite, waitForTerminalText } from '../support/browser.ts';
import { audit, describeViolations, type Violation } from '../support/accessibility.ts';
import { pollFor } from '../support/poll.ts';

const site = useLabSite();

/** Every page of the site, by path under a locale's root. */
const PAGES = ['', 'lab/', 'docker-network/', 'network-modes/'];
const LOCALES = ['', 'en/'];
/** Pages with the lab terminal and runnable blocks (the rest have no terminal at all). */
const BLOCK_PAGES = new Set(['docker-network/', 'network-modes/']);
const THEMES = ['light', 'dark'] as const;

/** Adds a page's violations to the tally by rule, and returns a line per violation. */
function tally(counts: Map<string, number>, where: string, violations: Violation[]): string {
  for (const v of violations) counts.set(v.rule, (counts.get(v.rule) ?? 0) + v.targets.length);
  return describeViolations(where, violations);
}

function report(t: TestContext, counts: Map<string, number>, scans: number): void {
  const byRule = [...counts].sort((a, b) => b[1] - a[1]).map(([rule, n]) => `${rule}: ${n}`);
  t.diagnostic(`${scans} scans; violations by rule (elements): ${byRule.join(', ') || 'none'}`);
}

async function themed(browser: Browser, theme: (typeof THEMES)[number]) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: theme });
  // Starlight's theme follows the system's unless the reader picked one: pick it, as a reader would.
  await context.addInitScript((value) => {
    if (!localStorage.getItem('starlight-theme')) localStorage.setItem('starlight-theme', value);
  }, theme);
  return context;
}

test('every page, both locales and themes, served statically (no runner): no WCAG 2.2 AA violations', async (t) => {
  const staticSite = await serveStaticSite();
  const counts = new Map<string, number>();
  const problems: string[] = [];
  let scans = 0;
  try {
    for (const theme of THEMES) {
      const context = await themed(site.browser, theme);
      const page = await context.newPage();
      for (const locale of LOCALES) {
        // Starlight builds one 404 page, in the default locale.
        for (const path of locale === '' ? [...PAGES, '404.html'] : PAGES) {
          await page.goto(`${staticSite.url}/${locale}${path}`);
          if (BLOCK_PAGES.has(path)) await page.locator('lab-terminal[data-state="offline"]').waitFor({ timeout: 15_000 });
          // The recorded network diagrams, unfolded, so their markup is audited too.
          await page.evaluate(() => document.querySelectorAll<HTMLDetailsElement>('details.lab-topology').forEach((d) => (d.open = true)));
          const violations = await audit(page);
          scans += 1;
          if (violations.length > 0) problems.push(tally(counts, `static ${theme} /${locale}${path}`, violations));
        }
      }
      await context.close();
    }
  } finally {
    await staticSite.close();
  }
  report(t, counts, scans);
  assert.deepEqual(problems, [], problems.join('\n'));
});

/** Opens the dock's Network view (if it is closed), with its table shown and a box selected. */
async function openNetworkView(page: Page): Promise<void> {
  const toggle = page.locator('[data-action="network"]');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  const view = page.locator('[data-part="network-view"]');
  await view.locator('svg [data-node="host"]').waitFor({ timeout: 30_000 });
  const table = view.locator('details.topo-table-toggle');
  if ((await table.getAttribute('open')) === null) await table.locator('summary').click();
  await view.locator('[data-node="host"]').click();
}

/** Opens the lab on `path`: the terminal started and a command or block run, its result shown. */
async function goLive(page: Page, url: string, path: string): Promise<void> {
  await page.goto(url);
  if (BLOCK_PAGES.has(path)) {
    const row = page.locator('[data-lab-controls]').first();
    await row.locator('[data-action="run"]').click();
    const status = await pollFor(async () => (await row.getAttribute('data-status')) ?? '', (s) => s === 'done' || s === 'expected-failure' || s === 'failed', { timeoutMs: 120_000, intervalMs: 250 });
    assert.match(status, /^(done|expected-failure)$/, `the first block of ${path} ran`);
  } else {
    await page.locator('[data-action="start"]').click();
    await page.locator('lab-terminal[data-state="live"]').waitFor({ timeout: 90_000 });
    await waitForTerminalText(page, /\[root@lab ~\]# $/, { timeoutMs: 60_000 });
    await page.keyboard.type('docker network ls\r');
    await waitForTerminalText(page, /bridge\s+bridge\s+local[\s\S]*\[root@lab ~\]# $/, { timeoutMs: 30_000 });
  }
}

test('the lab pages live (terminal open, a block run), both locales and themes: no WCAG 2.2 AA violations', async (t) => {
  const { runner, browser } = site;
  const counts = new Map<string, number>();
  const problems: string[] = [];
  let scans = 0;
  for (const locale of LOCALES) {
    for (const path of PAGES.filter((p) => p === 'lab/' || BLOCK_PAGES.has(p))) {
      const context = await themed(browser, 'light');
      const page = await context.newPage();
      await goLive(page, `${runner.url}/${locale}${path}#lab-token=${runner.token}`, path);
      for (const theme of THEMES) {
        if (theme === 'dark') {
          // The same session after a reload, in the other theme.
          await page.evaluate(() => localStorage.setItem('starlight-theme', 'dark'));
          await page.reload();
          await page.locator('lab-terminal[data-state="live"]').waitFor({ timeout: 30_000 });
          await page.locator('html[data-theme="dark"]').waitFor({ state: 'attached' });
        }
        await openNetworkView(page);
        const violations = await audit(page);
        scans += 1;
        if (violations.length > 0) problems.push(tally(counts, `live ${theme} /${locale}${path}`, violations));
      }
      await context.close();
    }
  }
  report(t, counts, scans);
  assert.deepEqual(problems, [], problems.join('\n'));
});
