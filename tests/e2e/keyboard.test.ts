/**
 * The lab with the keyboard alone (Tab, Shift+Tab, Enter, Space; no mouse), against the real
 * runner and a dind sandbox: every control is reached with a visible focus ring; the terminal is
 * entered, typed into (Tab completes there), and left with Ctrl+M then Tab, which is announced;
 * the dock folds and opens, Reset lab resets; on the tutorial, the first section's blocks run
 * with Run and Run all above, and Copy is reached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { artefactPath, useLabSite, waitForTerminalText } from '../support/browser.ts';
import { pollFor } from '../support/poll.ts';

const site = useLabSite();

/** Presses Tab (or Shift+Tab) until the focused element matches `selector`; fails if it never does. */
async function tabTo(page: Page, selector: string, { back = false, max = 120 } = {}): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  const at = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200));
  assert.fail(`${back ? 'Shift+Tab' : 'Tab'} never reached ${selector}; focus is on ${at}`);
}

/** The focused element's focus indicator: an outline of at least 2px, in a colour that is not the background's. */
async function focusRing(page: Page): Promise<{ element: string; outline: string }> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement;
    const style = getComputedStyle(element);
    const visible = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 && !/rgba\(.*, 0\)$/.test(style.outlineColor);
    return { element: element.outerHTML.slice(0, 120), outline: visible ? `${style.outlineWidth} ${style.outlineStyle} ${style.outlineColor}` : '' };
  });
}

async function assertRing(page: Page, what: string): Promise<void> {
  const ring = await focusRing(page);
  assert.notEqual(ring.outline, '', `${what} shows a focus ring: ${ring.element}`);
}

const inTerminal = (page: Page) => page.evaluate(() => document.activeElement?.classList.contains('xterm-helper-textarea') ?? false);

test('the lab page by keyboard: start, type, leave the terminal with Ctrl+M and Tab, fold and open the dock, Reset lab', async () => {
  const { runner, browser } = site;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${runner.url}/en/lab/#lab-token=${runner.token}`);

  await tabTo(page, 'lab-terminal [data-action="start"]');
  await assertRing(page, 'Start');
  await page.keyboard.press('Enter');
  await page.locator('lab-terminal[data-state="live"]').waitFor({ timeout: 90_000 });
  await waitForTerminalText(page, /\[root@lab ~\]# $/, { timeoutMs: 60_000 });
  assert.ok(await inTerminal(page), 'the started terminal has the focus');
  const description = await page.evaluate(() => {
    const id = document.activeElement?.getAttribute('aria-describedby');
    return id ? document.getElementById(id)?.textContent : null;
  });
  assert.match(description ?? '', /Ctrl\+M, then Tab/, 'the terminal describes the way out');
  assert.ok(await page.locator('[data-part="keys-hint"]').isVisible(), 'and shows it while it has focus');

  // Tab belongs to the shell: it completes `ech` to `echo`.
  await page.keyboard.type('ech');
  await page.keyboard.press('Tab');
  await page.keyboard.type(' keyboard-$((6*7))');
  await page.keyboard.press('Enter');
  await waitForTerminalText(page, /^keyboard-42$/m);
  assert.ok(await inTerminal(page), 'Tab stayed in the terminal');

  // Ctrl+M, then Tab: out of the terminal, and said so.
  await page.keyboard.press('Control+m');
  const announce = page.locator('lab-terminal [data-part="announce"]');
  await pollFor(() => announce.textContent(), (text) => /Tab now moves focus out of the terminal/.test(text ?? ''), { timeoutMs: 5_000, intervalMs: 50 });
  assert.match((await announce.textContent()) ?? '', /Tab now moves focus out of the terminal/);
  await page.keyboard.press('Tab');
  assert.ok(!(await inTerminal(page)), 'Tab left the terminal');
  assert.doesNotMatch(await page.locator('lab-terminal').evaluate((el) => (el as HTMLElement & { text(): string }).text()), /\[root@lab ~\]# \^M/, 'Ctrl+M reached no shell');

  // Back in with Shift+Tab: Tab completes again.
  await tabTo(page, '.xterm-helper-textarea', { back: true });
  await page.keyboard.press('Tab');
  assert.ok(await inTerminal(page), 'back in the terminal, Tab is the shell\'s again');

  // The dock's own controls: fold and open with Space, the screen reader switch, Reset lab with Enter.
  await page.keyboard.press('Control+m');
  await tabTo(page, 'lab-terminal [data-action="toggle"]', { back: true });
  await assertRing(page, 'the dock\'s fold button');
  await page.keyboard.press('Space');
  assert.equal(await page.locator('lab-terminal').getAttribute('data-collapsed'), '', 'Space folded the dock');
  await page.keyboard.press('Space');
  assert.equal(await page.locator('lab-terminal').getAttribute('data-collapsed'), null, 'and opened it');
  await tabTo(page, 'lab-terminal [data-part="screen-reader"]');
  await assertRing(page, 'the screen reader switch');
  await tabTo(page, 'lab-terminal [data-action="reset"]');
  await assertRing(page, 'Reset lab');
  await page.screenshot({ path: artefactPath('keyboard-lab-reset-focus.png') });
  await page.keyboard.press('Enter');
  await waitForTerminalText(page, /\[the sandbox was reset\][\s\S]*\[root@lab ~\]# $/, { timeoutMs: 90_000 });
  await context.close();
});

test('the tutorial\'s first section by keyboard: Run, Run all above and Copy, each with a focus ring', async () => {
  const { runner, browser } = site;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${runner.url}/en/docker-network/#lab-token=${runner.token}`);
  await page.locator('[data-lab-controls] [data-action="run"]:not([disabled])').first().waitFor();
  const rows = page.locator('[data-lab-controls]');

  // The first block: Tab to its Copy button, then to its Run button, Enter.
  await tabTo(page, 'figure[data-lab-block] .copy button');
  await assertRing(page, 'Copy');
  const firstId = await rows.nth(0).getAttribute('data-block-id');
  await tabTo(page, `[data-lab-controls][data-block-id="${firstId}"] [data-action="run"]`);
  await assertRing(page, 'Run');
  await page.screenshot({ path: artefactPath('keyboard-run-focus.png') });
  await page.keyboard.press('Enter');
  const first = await pollFor(async () => (await rows.nth(0).getAttribute('data-status')) ?? '', (s) => ['done', 'failed', 'expected-failure'].includes(s), { timeoutMs: 120_000, intervalMs: 250 });
  assert.equal(first, 'done', 'the first block ran');

  // Run all above on the third block with Space: the second runs.
  const thirdId = await rows.nth(2).getAttribute('data-block-id');
  await tabTo(page, `[data-lab-controls][data-block-id="${thirdId}"] [data-action="run-above"]`);
  await assertRing(page, 'Run all above');
  await page.keyboard.press('Space');
  const second = await pollFor(async () => (await rows.nth(1).getAttribute('data-status')) ?? '', (s) => ['done', 'failed', 'expected-failure'].includes(s), { timeoutMs: 120_000, intervalMs: 250 });
  assert.match(second, /^(done|expected-failure)$/, 'Run all above ran the block before');
  await context.close();
});
