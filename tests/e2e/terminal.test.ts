/**
 * The lab page in Debian's Chromium against the real runner and a dind sandbox: start the
 * terminal, type a command, see the engine's answer; reload and find the scrollback still there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { artefactPath, useLabSite, waitForTerminalText } from '../support/browser.ts';

const site = useLabSite();

const waitForText = (page: Page, pattern: RegExp) => waitForTerminalText(page, pattern, { timeoutMs: 60_000 });

test('type docker network ls in the page, see bridge; reload and the scrollback is still there', async () => {
  const { runner, browser } = site;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const external: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!['127.0.0.1', 'localhost'].includes(url.hostname) && url.protocol !== 'data:') external.push(request.url());
  });

  await page.goto(`${runner.url}/lab/#lab-token=${runner.token}`);
  assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
  const panel = page.locator('lab-terminal');
  assert.equal(await panel.getAttribute('data-state'), 'idle');
  const scriptsBefore = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => /xterm/i.test(n)));
  assert.deepEqual(scriptsBefore, [], 'no terminal code before the reader asks for it');

  await page.locator('[data-action="start"]').click();
  await page.locator('lab-terminal[data-state="live"]').waitFor({ timeout: 90_000 });
  await waitForText(page, /\[root@lab ~\]#/);

  await page.locator('[data-part="screen"]').click();
  await page.keyboard.type('docker network ls');
  await page.keyboard.press('Enter');
  const text = await waitForText(page, /NETWORK ID\s+NAME\s+DRIVER\s+SCOPE[\s\S]*\bbridge\s+bridge\s+local/);
  assert.match(text, /\bhost\s+host\s+local/);
  assert.match(text, /\bnone\s+null\s+local/);
  await page.screenshot({ path: artefactPath('lab-terminal.png'), fullPage: false });

  await page.reload();
  await page.locator('lab-terminal[data-state="live"]').waitFor({ timeout: 30_000 });
  const replayed = await waitForText(page, /docker network ls[\s\S]*\bbridge\s+bridge\s+local/);
  assert.match(replayed, /\[root@lab ~\]# docker network ls/, 'the same session, with its scrollback');
  await page.screenshot({ path: artefactPath('lab-terminal-after-reload.png'), fullPage: false });

  assert.deepEqual(external, [], 'the page asks nothing of any other host');
  await context.close();
});
