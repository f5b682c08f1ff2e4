/**
 * The lab page in Debian's Chromium against the real runner and a dind sandbox: start the
 * terminal, type a command, see the engine's answer; reload and find the scrollback still there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { artefactPath, useLabSite, waitForTerminalText } from '../support/browser.ts';
import { pollFor } from '../support/poll.ts';

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

test('the page says hello before the terminal chunk has loaded; what the sandbox printed meanwhile shows once it has', async () => {
  const { runner, browser } = site;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const seen: string[] = [];
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  // Hold the terminal's chunk (xterm and the connection) until the runner has answered.
  await page.route(/\/_astro\/lab-terminal\.[\w-]+\.js$/, async (route) => {
    seen.push('chunk requested');
    await released;
    await route.continue();
  });
  const until = async (what: string) => assert.ok(await pollFor(() => seen.includes(what), (found) => found, { timeoutMs: 60_000 }), `${what}; seen: ${seen.join(', ')}`);
  page.on('websocket', (ws) => {
    ws.on('framesent', ({ payload }) => {
      if (typeof payload === 'string' && payload.includes('"type":"hello"')) seen.push('hello sent');
    });
    ws.on('framereceived', ({ payload }) => {
      if (typeof payload === 'string' && payload.includes('"type":"welcome"')) seen.push('welcome');
      if (typeof payload !== 'string' && !seen.includes('output')) seen.push('output');
    });
  });

  await page.goto(`${runner.url}/lab/#lab-token=${runner.token}`);
  await page.locator('[data-action="start"]').click();
  await until('chunk requested');
  await until('welcome');
  await until('output');
  assert.ok(seen.includes('hello sent'), 'the hello went out, and was welcomed, with the chunk still held');
  assert.equal(await page.locator('lab-terminal').getAttribute('data-state'), 'connecting', 'the terminal itself is not there yet');
  assert.equal(await page.locator('.xterm').count(), 0, 'no xterm yet');

  release();
  await page.locator('lab-terminal[data-state="live"]').waitFor({ timeout: 60_000 });
  // The shell printed its prompt while the chunk was held: it shows now, from the held output.
  await waitForText(page, /\[root@lab ~\]#/);
  await page.locator('[data-part="screen"]').click();
  await page.keyboard.type('echo early-$((6 * 7))');
  await page.keyboard.press('Enter');
  await waitForText(page, /^early-42$/m);
  await context.close();
});

test('Chinese output in bulk reads whole in the page: xterm joins characters split across frames', async () => {
  const { runner, browser } = site;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${runner.url}/lab/#lab-token=${runner.token}`);
  await page.locator('[data-action="start"]').click();
  await page.locator('lab-terminal[data-state="live"]').waitFor({ timeout: 90_000 });
  await waitForText(page, /\[root@lab ~\]#/);
  await page.locator('[data-part="screen"]').click();
  // 网络实验室 made by printf in the sandbox; 3 000 lines of it arrive in many frames, cut anywhere.
  await page.keyboard.type(String.raw`Z=$(printf '\347\275\221\347\273\234\345\256\236\351\252\214\345\256\244'); seq -f "%g $Z$Z" 1 3000; echo zh-$((1 + 1))`);
  await page.keyboard.press('Enter');
  const text = await waitForText(page, /^zh-2$/m);
  const lines = text.split('\n').filter((line) => /^\d+ /.test(line));
  assert.equal(lines.length, 3000, 'every line on the screen or in its scrollback');
  assert.ok(lines.every((line, i) => line === `${i + 1} 网络实验室网络实验室`), 'each line whole, in order');
  assert.ok(!text.includes('\uFFFD'), 'no character was cut');
  await context.close();
});
