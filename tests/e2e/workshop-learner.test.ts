/**
 * The learner's side of workshop mode in Debian's Chromium, against a real runner in workshop mode
 * (one place in the room, dind sandboxes) serving the built site: joining by the link with a name
 * that is markup (shown as typed), the page that connects as the learner and shows their progress
 * in the sidebar, a reload that finds both again, a second learner in the full room who reads the
 * recorded output while the page says their place in the queue and goes live when the first
 * resets, a broadcast in a banner that stays dismissed, and the end of the workshop.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { audit, describeViolations } from '../support/accessibility.ts';
import { DIST, launchChromium } from '../support/browser.ts';
import { sandboxesOf } from '../support/engine.ts';
import { pollFor } from '../support/poll.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';
import { openBoard, workshopOf, type FacilitatorClient } from '../support/workshop-client.ts';

const WORKSHOP = 'Docker networking, e2e room';
/** A name that would run script if the page ever put it in as markup. */
const MARKUP_NAME = '<img src=x onerror=alert(1)>';
const SCREENSHOT = fileURLToPath(new URL('../../docs/workshop-full-room.png', import.meta.url));

const dataDir = mkdtempSync(joinPath(tmpdir(), 'lab-workshop-e2e-'));
let runner: RunningRunner;
let browser: Browser;
let board: FacilitatorClient;
const contexts: BrowserContext[] = [];
/** Dialogs a page opened (an `alert` from a name run as markup would be one). */
const dialogs: string[] = [];
/** Uncaught errors in the pages' scripts. */
const pageErrors: string[] = [];

before(async () => {
  runner = await startRunner({ LAB_PROVIDER: 'dind', LAB_SITE_DIR: DIST }, ['--workshop', '--name', WORKSHOP, '--learners', '1', '--data-dir', dataDir]);
  browser = await launchChromium();
  board = await openBoard(runner);
});

after(async () => {
  await board?.close();
  await browser?.close();
  if (runner) {
    await runner.stop();
    assert.deepEqual(await sandboxesOf(runner.owner), [], 'the runner leaves none of its sandboxes');
  }
  rmSync(dataDir, { recursive: true, force: true });
});

async function learnerPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.stack ?? error.message}`));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return page;
}

/** Joins on the join page of `prefix` ('' for zh-CN, '/en') and returns the greeting and the way on. */
async function joinAs(page: Page, prefix: string, name: string, onForm?: () => Promise<void>): Promise<{ greeting: string; start: string }> {
  await page.goto(`${runner.url}${prefix}/workshop/join/#join=${workshopOf(runner).join}`);
  const root = page.locator('[data-lab-join]');
  await root.and(page.locator('[data-state="form"]')).waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the join token leaves the address bar');
  await onForm?.();
  await page.locator('#lab-join-name').fill(name);
  await page.locator('[data-lab-join] button[type="submit"]').click();
  await root.and(page.locator('[data-state="joined"]')).waitFor({ timeout: 15_000 });
  return {
    greeting: (await page.locator('[data-lab-join] [data-part="you-are"]').textContent()) ?? '',
    start: (await page.locator('[data-lab-join] [data-part="start-link"]').getAttribute('href')) ?? '',
  };
}

/** The sidebar's count beside a page's link: what it shows, what it says, its numbers. */
async function sidebarCount(page: Page, href: string): Promise<{ shown: string; said: string; passed: string; total: string } | null> {
  const badge = page.locator(`#starlight__sidebar a[href="${href}"] [data-lab-progress]`);
  if ((await badge.count()) === 0) return null;
  return {
    shown: ((await badge.locator('[aria-hidden="true"]').textContent()) ?? '').trim(),
    said: ((await badge.locator('.sr-only').textContent()) ?? '').trim(),
    passed: (await badge.getAttribute('data-passed')) ?? '',
    total: (await badge.getAttribute('data-total')) ?? '',
  };
}

/** The page's visible runnable blocks (hidden setup steps are not counted), from the page itself. */
function visibleBlocks(page: Page): Promise<string[]> {
  return page.$$eval('figure[data-lab-block]', (figures) => figures.filter((f) => !f.closest('details.lab-hidden-block')).map((f) => (JSON.parse((f as HTMLElement).dataset.labBlock ?? '{}') as { id: string }).id));
}

/** axe at the WCAG 2.2 AA rules, as tests/e2e/accessibility.test.ts runs it: no violation on what the learner sees now. */
async function assertAccessible(page: Page, where: string): Promise<void> {
  const violations = await audit(page);
  assert.deepEqual(violations, [], describeViolations(where, violations));
}

async function dockState(page: Page): Promise<string> {
  return (await page.locator('lab-terminal').getAttribute('data-state')) ?? '';
}

/** Waits for the dock's state `want`; fails at once on an error, with what the dock says. */
async function waitForDock(page: Page, want: string, timeoutMs: number): Promise<void> {
  const settled = [want, 'error', ...(want === 'ended' ? [] : ['ended'])];
  const state = await pollFor(() => dockState(page), (s) => settled.includes(s), { timeoutMs });
  const dock = page.locator('lab-terminal');
  const said = `${state} (${(await dock.getAttribute('data-failure')) ?? ''}): ${(await dock.locator('[data-part="status"]').textContent()) ?? ''}`;
  assert.equal(state, want, `the dock is ${said}`);
}

async function blockStatus(page: Page, id: string): Promise<{ status: string; text: string }> {
  const row = page.locator(`[data-lab-controls][data-block-id="${id}"]`);
  return { status: (await row.getAttribute('data-status')) ?? '', text: ((await row.locator('[data-part="block-status"]').textContent()) ?? '').trim() };
}

let first: Page;
let firstBlock = '';
let firstId = '';

test('a learner joins by the link: a markup name shows as typed, the page connects as them and counts what passed', async () => {
  first = await learnerPage();
  const joined = await joinAs(first, '', MARKUP_NAME, async () => {
    // The name's rules, said in the page's language, tied to the field.
    await first.locator('[data-lab-join] button[type="submit"]').click();
    assert.equal(await first.locator('#lab-join-error').textContent(), '请输入一个显示名称。');
    assert.equal(await first.locator('#lab-join-name').getAttribute('aria-invalid'), 'true');
    assert.match((await first.locator('#lab-join-name').getAttribute('aria-describedby')) ?? '', /\blab-join-error\b/);
    await assertAccessible(first, 'the join page with a refused name');
  });
  assert.equal(joined.greeting, `你是 ${MARKUP_NAME}，在工作坊「${WORKSHOP}」中。`);
  assert.equal(await first.locator('[data-lab-join] img').count(), 0, 'the name is text, not an element');
  assert.equal(joined.start, '/docker-network/', 'the way on is the first page with blocks');
  const learner = (await pollFor(() => board.board?.learners ?? [], (all) => all.length > 0)).find((l) => l.name === MARKUP_NAME);
  assert.ok(learner, 'the board lists the learner under the name as typed');
  firstId = learner.id;

  // The tutorial page connects at once as this learner: no token link, no click.
  await first.locator('[data-lab-join] [data-part="start-link"]').click();
  await first.waitForURL(`${runner.url}/docker-network/`);
  const blocks = await visibleBlocks(first);
  firstBlock = blocks[0] ?? '';
  await waitForDock(first, 'live', 120_000);
  const before = await pollFor(() => sidebarCount(first, '/docker-network/'), (c) => c !== null);
  assert.deepEqual(before, { shown: `0/${blocks.length}`, said: `(共 ${blocks.length} 个代码块，已通过 0 个)`, passed: '0', total: String(blocks.length) });
  assert.equal((await sidebarCount(first, '/network-modes/'))?.passed, '0', 'every page with blocks has its count');
  assert.equal(await sidebarCount(first, '/lab/'), null, 'a page without blocks has none');
  await assertAccessible(first, 'a learner\'s page with the sidebar\'s counts');

  // Run the first block: it passes, the sidebar counts it at once, and the runner has it.
  await first.locator(`[data-lab-controls][data-block-id="${firstBlock}"] [data-action="run"]`).click();
  assert.equal((await pollFor(() => blockStatus(first, firstBlock), (s) => s.status === 'done', { timeoutMs: 120_000 })).status, 'done');
  assert.equal((await sidebarCount(first, '/docker-network/'))?.shown, `1/${blocks.length}`);
  const row = await board.waitForBoard((b) => b.learners.some((l) => l.id === firstId && l.blocks.length > 0));
  const seen = row.learners.find((l) => l.id === firstId);
  assert.deepEqual(seen?.blocks.map((b) => [b.page, b.block, b.outcome]), [['docker-network', firstBlock, 'passed']]);
  assert.equal(seen?.page, 'docker-network', 'the page reported where the learner reads');

  // A reload finds the learner, the session and the progress again.
  await first.reload();
  await waitForDock(first, 'live', 60_000);
  assert.equal((await pollFor(() => sidebarCount(first, '/docker-network/'), (c) => c !== null))?.passed, '1');
  assert.equal((await blockStatus(first, firstBlock)).status, 'done');
  assert.deepEqual(dialogs, [], 'no script ran from the name');
  assert.deepEqual(pageErrors, []);
});

test('a full room: the second learner reads the recorded output while the page says their place, then goes live when the first resets', async () => {
  const second = await learnerPage();
  const joined = await joinAs(second, '/en', 'Second learner');
  assert.equal(joined.greeting, `You are Second learner, in the workshop “${WORKSHOP}”.`);
  await second.goto(`${runner.url}${joined.start}`);
  await waitForDock(second, 'queued', 30_000);
  const notice = second.locator('lab-terminal [data-part="notice-text"]');
  const place = 'The room is full: you are 1st of 1 in the queue. Your sandbox starts by itself when a place frees up.';
  assert.equal(await pollFor(async () => (await notice.textContent()) ?? '', (t) => t === place), place);
  assert.ok(await notice.isVisible(), 'the place in the queue shows with the dock folded');
  assert.equal(await second.locator('lab-terminal [data-part="status"]').textContent(), place, 'and is said by the dock\'s live region');
  // Meanwhile every block shows its recorded output.
  const recordings = second.locator('.lab-recording');
  assert.ok((await recordings.count()) >= (await visibleBlocks(second)).length / 2, 'the blocks keep their recorded output');
  assert.ok(await recordings.first().isVisible());
  await assertAccessible(second, 'the page of a learner in the queue');
  // The full room as the learner sees it: the dock folded to its bar and the queue's notice, a block's recorded output above.
  await recordings.first().evaluate((el) => el.scrollIntoView({ block: 'center' }));
  await second.screenshot({ path: SCREENSHOT });

  // Run waits, and says why.
  const block = (await visibleBlocks(second))[0] ?? '';
  await second.locator(`[data-lab-controls][data-block-id="${block}"] [data-action="run"]`).click();
  const waiting = await pollFor(() => blockStatus(second, block), (s) => s.text.startsWith('Waits for your sandbox'));
  assert.deepEqual(waiting, { status: 'running', text: 'Waits for your sandbox: the room is full (you are in the queue).' });

  // The first learner resets: their place goes to the one who waited, whose page goes live by itself.
  const reset = first.locator('lab-terminal [data-action="reset"]');
  await reset.click();
  if ((await reset.getAttribute('data-confirm')) !== null) await reset.click();
  await waitForDock(second, 'live', 120_000);
  assert.equal((await pollFor(() => blockStatus(second, block), (s) => s.status === 'done', { timeoutMs: 120_000 })).status, 'done', 'the Run that waited ran');
  await waitForDock(first, 'queued', 30_000);
  assert.equal(await first.locator('lab-terminal [data-part="notice-text"]').textContent(), '房间已满：你在队列中排第 1 位，共 1 人。有空位时你的沙箱会自动启动。');
});

test('a broadcast shows as text in a banner above the content; dismissed, it stays dismissed; the end of the workshop is said', async () => {
  const second = contexts[1]?.pages()[0];
  assert.ok(second);
  const text = '<b>Break</b> until 11:00';
  board.broadcast(text);
  const banner = second.locator('[data-lab-workshop-banner]');
  await banner.locator('.lab-broadcast[data-broadcast-id]').waitFor({ timeout: 10_000 });
  assert.equal(await banner.getAttribute('role'), 'status');
  assert.equal(await banner.locator('.lab-broadcast-text').textContent(), text);
  assert.equal(await banner.locator('b').count(), 0, 'the message is text, not markup');
  await assertAccessible(second, 'a page with a broadcast');
  await second.evaluate(() => scrollTo(0, 0));
  await second.screenshot({ path: fileURLToPath(new URL('../../docs/workshop-learner-broadcast.png', import.meta.url)) });
  assert.match((await banner.locator('.lab-broadcast-head').textContent()) ?? '', /^From the facilitator \d\d?:\d\d( [AP]M)?$/);
  await banner.locator('[data-action="dismiss"]').click();
  assert.equal(await banner.locator('.lab-broadcast').count(), 0);
  await second.reload();
  await waitForDock(second, 'live', 60_000);
  await pollFor(() => sidebarCount(second, '/en/docker-network/'), (c) => c !== null);
  assert.equal(await banner.locator('.lab-broadcast').count(), 0, 'a dismissed broadcast does not come back');

  // The second learner resets; the first, who waited, gets a new sandbox: their block passed
  // earlier says so, and "Resume where I was" runs the page up to it again.
  const reset = second.locator('lab-terminal [data-action="reset"]');
  await reset.click();
  if ((await reset.getAttribute('data-confirm')) !== null) await reset.click();
  await waitForDock(first, 'live', 120_000);
  assert.deepEqual(await pollFor(() => blockStatus(first, firstBlock), (s) => s.text === '之前已通过'), { status: 'idle', text: '之前已通过' });
  const offer = first.locator('lab-terminal [data-part="resume"]');
  await offer.waitFor({ timeout: 10_000 });
  assert.equal(await offer.locator('p').textContent(), '这是一个新沙箱：你在之前的沙箱里通过了本页的 1 个代码块。');
  await offer.locator('[data-action="resume"]').click();
  const resumed = await pollFor(() => blockStatus(first, firstBlock), (s) => s.status === 'done', { timeoutMs: 120_000 });
  const rows = await first.$$eval('[data-lab-controls]', (all) => all.slice(0, 3).map((r) => `${(r as HTMLElement).dataset.status} ${(r.querySelector('[data-action="run-above"]') as HTMLButtonElement | null)?.disabled}`));
  const progress = await first.locator('lab-terminal [data-part="progress"]').textContent();
  assert.equal(resumed.status, 'done', `rows ${rows.join(', ')}; progress ${progress}; errors ${pageErrors.join('\n')}`);
  assert.equal(await offer.count(), 0, 'the offer goes once taken');

  board.endWorkshop();
  await waitForDock(second, 'ended', 30_000);
  await waitForDock(first, 'ended', 30_000);
  assert.equal(
    await banner.locator('[data-workshop-ended]').textContent(),
    'The workshop has ended. Your progress is kept; each block still shows its recorded output.',
  );
  assert.equal(await second.locator('lab-terminal [data-part="notice-action"]').isVisible(), false, 'nothing to connect again to');
  assert.equal(await second.locator('[data-lab-controls] [data-action="run"]').first().isDisabled(), true);
  await second.reload();
  await waitForDock(second, 'ended', 30_000);
  assert.equal(await second.locator('lab-terminal [data-part="notice-text"]').textContent(), 'The workshop has ended: your progress is kept and your sandbox was removed.');
});
