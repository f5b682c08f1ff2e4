/**
 * Zoom and motion, against the real runner and a dind sandbox: at 200 % zoom (a 1280x900 window
 * with the page zoomed twice: 640x450 CSS pixels at a device pixel ratio of 2) and at 320 px width,
 * the page does not scroll sideways, the dock's controls are all on screen, and the block being
 * run stays in sight above the dock. With reduced motion asked for, nothing on the lab page moves.
 * Screenshots in test-results/ (zoom-*.png).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { artefactPath, useLabSite } from '../support/browser.ts';
import { pollFor } from '../support/poll.ts';

const site = useLabSite();

/** What does not fit: the page's sideways overflow, and the dock's visible controls that reach past the edge. */
function cutOff(page: Page): Promise<{ overflow: number; outside: string[] }> {
  return page.evaluate(() => {
    const outside = [...document.querySelectorAll<HTMLElement>('lab-terminal button, lab-terminal [data-part="status"], lab-terminal [role="tab"]')]
      .filter((e) => e.offsetParent !== null && getComputedStyle(e).position !== 'absolute')
      .filter((e) => {
        const box = e.getBoundingClientRect();
        return box.width > 0 && (box.left < -0.5 || box.right > innerWidth + 0.5);
      })
      .map((e) => e.outerHTML.slice(0, 80));
    return { overflow: document.documentElement.scrollWidth - innerWidth, outside };
  });
}

for (const { name, viewport, scale } of [
  { name: 'zoom-200', viewport: { width: 640, height: 450 }, scale: 2 },
  { name: 'width-320', viewport: { width: 320, height: 640 }, scale: 2 },
]) {
  test(`${name}: nothing cut off, and the dock does not hide the block being run`, async () => {
    const { runner, browser } = site;
    const context = await browser.newContext({ viewport, deviceScaleFactor: scale });
    const page = await context.newPage();
    await page.goto(`${runner.url}/en/docker-network/#lab-token=${runner.token}`);
    const row = page.locator('[data-lab-controls]').first();
    await row.locator('[data-action="run"]:not([disabled])').waitFor();
    await row.evaluate((r) => r.scrollIntoView({ block: 'center' }));
    await row.locator('[data-action="run"]').click();
    const status = await pollFor(async () => (await row.getAttribute('data-status')) ?? '', (s) => ['done', 'failed', 'expected-failure'].includes(s), { timeoutMs: 120_000, intervalMs: 250 });
    assert.match(status, /^(done|expected-failure)$/, `the block ran: ${await row.locator('[data-part="block-status"]').textContent()}; the dock says ${await page.locator('lab-terminal [data-part="status"]').textContent()}`);

    const fit = await cutOff(page);
    assert.ok(fit.overflow <= 0, `the page does not scroll sideways (${fit.overflow}px too wide)`);
    assert.deepEqual(fit.outside, [], 'every control of the dock is on screen');
    const rowBox = await row.boundingBox();
    const dockBox = await page.locator('lab-terminal').boundingBox();
    assert.ok(rowBox && dockBox, 'both are laid out');
    assert.ok(rowBox.y >= 0 && rowBox.y + rowBox.height <= dockBox.y + 1, `the block's controls (${rowBox.y}-${rowBox.y + rowBox.height}) stay above the dock (from ${dockBox.y})`);
    await page.screenshot({ path: artefactPath(`${name}.png`) });
    await context.close();
  });
}

test('reduced motion: the lab page has no animation left running', async () => {
  const { runner, browser } = site;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
  const page = await context.newPage();
  await page.goto(`${runner.url}/en/lab/`);
  await page.locator('lab-terminal .cursor').waitFor();
  const moving = await page.evaluate(() =>
    document.getAnimations().filter((a) => {
      const timing = a.effect?.getComputedTiming();
      return a.playState === 'running' && (timing?.iterations === Infinity || Number(timing?.duration ?? 0) > 1);
    }).length,
  );
  assert.equal(moving, 0, 'no animation plays (the blinking cursor included)');
  await context.close();
});
