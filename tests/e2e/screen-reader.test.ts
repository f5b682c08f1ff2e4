/**
 * The lab for a screen reader, against the real runner and a dind sandbox: after a block ends, its
 * status and its output, as plain text, are beside it in a polite live region that changed once
 * (nothing while it ran); the dock's switch puts the terminal in xterm's screen reader mode, and
 * the choice survives a reload.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useLabSite } from '../support/browser.ts';
import { pollFor } from '../support/poll.ts';

const site = useLabSite();

test('a block\'s result is said once, as plain text beside it; screen reader mode is switched on and remembered', async () => {
  const { runner, browser } = site;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${runner.url}/en/docker-network/#lab-token=${runner.token}`);
  const row = page.locator('[data-lab-controls]').first();
  await row.locator('[data-action="run"]:not([disabled])').waitFor();
  const result = row.locator('[data-part="block-result"]');
  assert.equal(await result.getAttribute('aria-live'), 'polite');

  // Every change of the region while the block runs, as the screen reader would hear it.
  await result.evaluate((region) => {
    const said: string[] = [];
    (window as unknown as { said: string[] }).said = said;
    new MutationObserver(() => {
      if (region.textContent) said.push(region.textContent);
    }).observe(region, { childList: true, subtree: true, characterData: true });
  });
  await row.locator('[data-action="run"]').click();
  const status = await pollFor(async () => (await row.getAttribute('data-status')) ?? '', (s) => ['done', 'failed'].includes(s), { timeoutMs: 120_000, intervalMs: 250 });
  assert.equal(status, 'done');
  const text = await pollFor(() => result.textContent(), (t) => /inet/.test(t ?? ''), { timeoutMs: 5_000, intervalMs: 100 });
  assert.match(text ?? '', /^ip addr: Done/);
  assert.match(text ?? '', /inet 172\.18\.0\.1\/16 brd 172\.18\.255\.255 scope global docker0/, 'the output, beside the block');
  assert.doesNotMatch(text ?? '', /\x1b|\[\d+m|\]133;/, 'as plain text, without escapes');
  const said = await page.evaluate(() => (window as unknown as { said: string[] }).said);
  assert.equal(said.length, 1, `said once, not while it ran: ${JSON.stringify(said)}`);

  // The dock's switch: xterm's screen reader mode (its accessibility tree), remembered for the site.
  const toggle = page.locator('lab-terminal [data-part="screen-reader"]');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  await page.locator('lab-terminal .xterm-accessibility-tree').waitFor({ state: 'attached', timeout: 5_000 });
  await page.reload();
  await page.locator('lab-terminal[data-state="live"]').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('lab-terminal [data-part="screen-reader"]').getAttribute('aria-pressed'), 'true', 'remembered');
  const tree = page.locator('lab-terminal .xterm-accessibility-tree');
  await tree.waitFor({ state: 'attached', timeout: 10_000 });
  const lines = await pollFor(() => tree.textContent(), (t) => /\[root@lab ~\]#/.test(t ?? ''), { timeoutMs: 10_000, intervalMs: 200 });
  assert.match(lines ?? '', /\[root@lab ~\]#/, 'the terminal\'s lines are there for the screen reader');
  await context.close();
});
