/**
 * Workshop mode end to end, in Debian's Chromium against a real runner (`--workshop`, a room of 3,
 * dind sandboxes, a store in a temporary folder) and the real engine: three learners join through
 * the join page, one of them named as markup, and run blocks on different pages (some pass, one
 * fails once, one fails twice and is flagged stuck); a fourth browser holds the facilitator's
 * board, which shows each one's progress (the test reports how long after a block ended the board
 * showed it: figures, never a pass/fail on time), and a fourth learner waiting in the queue. A
 * board update keeps the facilitator's focus; a mirror shows a learner's output and takes no keys;
 * a broadcast reaches all three; new links are made and the old facilitator link is refused; End
 * workshop (by keyboard) ends every page and the queue, leaves no sandbox of this runner, and the
 * CSV the board downloads holds every outcome the learners produced, the markup name as typed. The
 * board is axe-clean live (en, light) and ended (zh, dark).
 * Screenshots go to test-results/ (workshop-board.png, workshop-mirror.png); with
 * LAB_DOCS_SCREENSHOTS=1 also to docs/, where the README's come from.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page, WebSocket } from 'playwright-core';
import { artefactPath, DIST, launchChromium, terminalText, waitForTerminalText } from '../support/browser.ts';
import { audit, describeViolations } from '../support/accessibility.ts';
import { sandboxesOf } from '../support/engine.ts';
import { pollFor } from '../support/poll.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';
import { join, openLearner, workshopOf } from '../support/workshop-client.ts';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));

/** Where a screenshot goes: test-results/, and docs/ when asked to refresh those. */
async function screenshot(name: string, take: (path: string) => Promise<unknown>): Promise<void> {
  await take(artefactPath(name));
  if (process.env.LAB_DOCS_SCREENSHOTS === '1') copyFileSync(artefactPath(name), joinPath(DOCS, name));
}
/** Statuses a block passes through before it ends. */
const UNFINISHED = ['idle', 'queued', 'running', 'waiting'];
/** A generous bound for the board to show a change: the goal is 1 s, reported, not asserted. */
const BOARD_BOUND_MS = 30_000;
const MARKUP_NAME = '<img src=x onerror=alert(1)>';

let runner: RunningRunner;
let browser: Browser;
let dataDir: string;

before(async () => {
  dataDir = mkdtempSync(joinPath(tmpdir(), 'lab-workshop-e2e-'));
  runner = await startRunner(
    { LAB_PROVIDER: 'dind', LAB_SITE_DIR: DIST, LAB_WARM_SANDBOXES: '1', LAB_DATA_DIR: dataDir },
    ['--workshop', '--name', 'Docker networking, room 3', '--learners', '3'],
  );
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await runner?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface Outcome {
  name: string;
  page: string;
  block: string;
  outcome: 'passed' | 'failed' | 'stopped';
}

/** One learner's browser, driven through what they see and click. */
class Learner {
  readonly name: string;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly dialogs: string[] = [];

  constructor(name: string, context: BrowserContext, page: Page) {
    this.name = name;
    this.context = context;
    this.page = page;
    page.on('dialog', (dialog) => {
      this.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  }

  static async join(name: string, lesson: string): Promise<Learner> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const learner = new Learner(name, context, await context.newPage());
    const { page } = learner;
    await page.goto(`${runner.url}/workshop/join/#join=${workshopOf(runner).join}`);
    await page.locator('[data-lab-join][data-state="form"]').waitFor();
    await page.locator('#lab-join-name').fill(name);
    await page.locator('#lab-join-name').press('Enter');
    await page.locator('[data-lab-join][data-state="joined"]').waitFor({ timeout: 15_000 });
    await page.goto(`${runner.url}${lesson}`);
    await page.locator('[data-lab-controls]').first().waitFor();
    return learner;
  }

  /** The id of the `nth` block whose command is `command`. */
  async blockId(command: string, nth = 0): Promise<string> {
    const ids = await this.page.$$eval('figure[data-lab-block]', (figures, wanted) => figures.map((f) => JSON.parse((f as HTMLElement).dataset.labBlock ?? '{}') as { id: string; command: string }).filter((b) => b.command === wanted).map((b) => b.id), command);
    const id = ids[nth];
    assert.ok(id, `the page has block ${nth + 1} of "${command}"`);
    return id;
  }

  /** Clicks Run and waits for the block to end; returns its status and when it ended (this machine's clock, ms). */
  async run(command: string): Promise<{ id: string; status: string; endedAt: number }> {
    const id = await this.blockId(command);
    const row = this.page.locator(`[data-lab-controls][data-block-id="${id}"]`);
    // The moment the row's status leaves the unfinished ones, taken in the page as it happens.
    await row.evaluate((element, unfinished) => {
      const w = window as unknown as { __ended?: Record<string, number> };
      w.__ended ??= {};
      delete w.__ended[element.getAttribute('data-block-id') ?? ''];
      let started = false;
      const observer = new MutationObserver(() => {
        const status = element.getAttribute('data-status') ?? '';
        if (status !== 'idle') started = true;
        if (started && !unfinished.includes(status)) {
          w.__ended![element.getAttribute('data-block-id') ?? ''] = Date.now();
          observer.disconnect();
        }
      });
      observer.observe(element, { attributes: true, attributeFilter: ['data-status'] });
    }, UNFINISHED);
    await row.locator('[data-action="run"]').click();
    const endedAt = await pollFor(() => this.page.evaluate((block) => (window as unknown as { __ended?: Record<string, number> }).__ended?.[block] ?? 0, id), (t) => t > 0, { timeoutMs: 120_000, intervalMs: 100 });
    assert.ok(endedAt > 0, `block "${command}" ended on ${this.name}'s page`);
    return { id, status: (await row.getAttribute('data-status')) ?? '', endedAt };
  }

  text(): Promise<string> {
    return terminalText(this.page);
  }
}

/** The facilitator's browser: the board, a log of its rows' changes with their times, and the sockets it opens. */
class Board {
  readonly page: Page;
  readonly sockets: { ws: WebSocket; sent: string[] }[] = [];

  constructor(page: Page) {
    this.page = page;
    page.on('websocket', (ws) => {
      const entry = { ws, sent: [] as string[] };
      this.sockets.push(entry);
      ws.on('framesent', (frame) => entry.sent.push(typeof frame.payload === 'string' ? frame.payload : `<binary ${frame.payload.length}>`));
    });
  }

  static async open(): Promise<Board> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
    const board = new Board(await context.newPage());
    await board.page.goto(`${runner.url}/en/workshop/board/#facilitator=${workshopOf(runner).facilitator}`);
    await board.page.locator('workshop-board[data-state="live"]').waitFor({ timeout: 15_000 });
    assert.doesNotMatch(board.page.url(), /facilitator=/, 'the token left the address bar');
    // Every change of a row's progress or stuck cell, with the time it was drawn.
    await board.page.evaluate(() => {
      const w = window as unknown as { __log: { t: number; id: string; progress: string; stuck: string }[] };
      w.__log = [];
      const snapshot = () => {
        const t = Date.now();
        for (const tr of document.querySelectorAll<HTMLElement>('tr[data-learner]')) {
          const progress = tr.querySelector('[data-cell="progress"]')?.textContent ?? '';
          const stuck = tr.querySelector('[data-cell="stuck"]')?.textContent ?? '';
          const last = w.__log.findLast((e) => e.id === tr.dataset.learner);
          if (!last || last.progress !== progress || last.stuck !== stuck) w.__log.push({ t, id: tr.dataset.learner ?? '', progress, stuck });
        }
      };
      new MutationObserver(snapshot).observe(document.querySelector('[data-part="rows"]')!, { subtree: true, childList: true, characterData: true });
      snapshot();
    });
    return board;
  }

  row(name: string) {
    return this.page.locator('tr[data-learner]').filter({ has: this.page.locator('th[data-cell="name"]', { hasText: name }) });
  }

  async learnerId(name: string): Promise<string> {
    await this.row(name).waitFor({ timeout: BOARD_BOUND_MS });
    return (await this.row(name).getAttribute('data-learner')) ?? '';
  }

  /** Waits until the learner's row shows `progress` (and `stuck`), then says when it first did (ms, this machine's clock). */
  async shown(id: string, progress: RegExp, stuck: RegExp = /.*/): Promise<number> {
    const first = await pollFor(
      () => this.page.evaluate(() => (window as unknown as { __log: { t: number; id: string; progress: string; stuck: string }[] }).__log),
      (log) => log.some((e) => e.id === id && progress.test(e.progress) && stuck.test(e.stuck)),
      { timeoutMs: BOARD_BOUND_MS, intervalMs: 100 },
    ).then((log) => log.find((e) => e.id === id && progress.test(e.progress) && stuck.test(e.stuck)));
    const cells = await this.page.locator(`tr[data-learner="${id}"]`).innerText().catch(() => '(no row)');
    assert.ok(first, `the board showed ${progress} / ${stuck} for ${id}; the row says:\n${cells}`);
    return first.t;
  }

  mirrorText(): Promise<string> {
    return this.page.locator('workshop-board').evaluate((el) => (el as HTMLElement & { mirrorText(): string }).mirrorText());
  }
}

test('a workshop: 3 learners on different pages, the board, a read-only mirror, a broadcast, End workshop, the CSV', async (t) => {
  const board = await Board.open();
  assert.equal(await board.page.locator('[data-part="workshop-name"]').textContent(), 'Docker networking, room 3');

  const [ada, markup, wang] = await Promise.all([
    Learner.join('Ada', '/docker-network/'),
    Learner.join(MARKUP_NAME, '/en/network-modes/'),
    Learner.join('王小明', '/docker-network/'),
  ]);
  const ids = { ada: await board.learnerId('Ada'), markup: await board.learnerId(MARKUP_NAME), wang: await board.learnerId('王小明') };
  assert.equal(await board.row(MARKUP_NAME).locator('th[data-cell="name"]').textContent(), MARKUP_NAME, 'the markup name shows as typed');
  assert.equal(await board.page.locator('[data-part="rows"] img').count(), 0, 'and makes no element');

  const produced: Outcome[] = [];
  const latencies: string[] = [];
  const measure = async (who: Learner, id: string, command: string, expected: 'passed' | 'failed', progress: RegExp, stuck?: RegExp) => {
    const run = await who.run(command);
    assert.equal(run.status, expected === 'passed' ? 'done' : 'failed', `"${command}" on ${who.name}'s page`);
    const page = new URL(who.page.url()).pathname.replace(/^\/(en\/)?|\/$/g, '');
    produced.push({ name: who.name, page, block: run.id, outcome: expected });
    const shownAt = await board.shown(id, progress, stuck);
    latencies.push(`${who.name} ${expected} "${command}": ${shownAt - run.endedAt} ms`);
  };

  // Ada, zh docker-network: ip addr passes.
  await measure(ada, ids.ada, 'ip addr', 'passed', /^1 passed · 0 failed/);
  // The markup name, en network-modes: the first block passes; the container:web one fails out of order (no `web` yet).
  await measure(markup, ids.markup, 'docker run --rm --network none tomcat ip addr', 'passed', /^1 passed · 0 failed/);
  await measure(markup, ids.markup, 'docker run --rm --network container:web tomcat ip addr show eth0', 'failed', /^1 passed · 1 failed/);
  // 王小明, zh docker-network: the --link section's last block, out of order, fails twice: stuck.
  await measure(wang, ids.wang, 'docker exec -it tomcat03 cat /etc/hosts', 'failed', /^0 passed · 1 failed/);
  await measure(wang, ids.wang, 'docker exec -it tomcat03 cat /etc/hosts', 'failed', /^0 passed · 1 failed/, /Stuck: failed the same block twice: The --link option/);

  assert.match(await board.row('Ada').innerText(), /Docker networking[\s\S]*1 passed · 0 failed[\s\S]*Docker networking: 1 of \d+ passed, 0 failed[\s\S]*Ready/);
  assert.match(await board.row(MARKUP_NAME).innerText(), /Network modes: none, host and container[\s\S]*Network modes: none, host and container: 1 of 8 passed, 1 failed/);
  assert.ok(await board.row('王小明').evaluate((tr) => tr.hasAttribute('data-stuck')), '王小明 is flagged stuck');
  // A fourth learner (a protocol client) finds the room of 3 full: the board lists them in the queue with their place.
  const dana = await join(runner, 'Dana');
  const danaSocket = await openLearner(runner, dana.credential);
  assert.deepEqual({ ...(await danaSocket.message('queued')), retryAfter: null }, { type: 'queued', reason: 'room-full', position: 1, of: 1, retryAfter: null });
  await board.page.locator(`[data-part="queue"] li[data-learner="${dana.learner}"]`, { hasText: /^1\. Dana: the room is full, waiting since / }).waitFor({ timeout: BOARD_BOUND_MS });
  assert.match(await board.row('Dana').innerText(), /In the queue/);
  assert.deepEqual(await board.page.locator('[data-count]').allTextContents(), ['4', '3', '1', '1'], 'joined, active, queued, stuck');
  // The header, the counts and the table: learners at different stages.
  await board.page.evaluate(() => window.scrollTo(0, 0));
  const room = await board.page.locator('[data-part="room"]').boundingBox();
  const queue = await board.page.locator('section.queue').boundingBox();
  assert.ok(room && queue);
  await screenshot('workshop-board.png', (path) => board.page.screenshot({ path, clip: { x: room.x - 16, y: room.y - 16, width: room.width + 32, height: queue.y + queue.height - room.y + 32 } }));

  const violations = await audit(board.page);
  assert.deepEqual(violations, [], describeViolations('the board', violations));

  // The mirror: Ada's terminal, the replay first.
  await board.row('Ada').locator('[data-action="watch"]').click();
  await board.page.locator('[data-part="mirror"][data-mirror-state="live"]').waitFor({ timeout: 15_000 });
  assert.match(await pollFor(() => board.mirrorText(), (text) => /inet 172\.18\.0\.1\/16/.test(text)), /inet 172\.18\.0\.1\/16/, 'the replay shows what Ada ran');
  assert.match((await board.page.locator('[data-part="read-only"]').textContent()) ?? '', /Read-only/);
  // Keys typed into the mirror go nowhere.
  await board.page.locator('[data-part="mirror-screen"]').click();
  await board.page.keyboard.type('echo MIRROR-KEYS-42');
  await board.page.keyboard.press('Enter');
  // Then Ada types in her own terminal: the mirror shows it live.
  await ada.page.locator('lab-terminal .xterm-host[data-terminal="main"]').click();
  await ada.page.keyboard.type('echo LEARNER-LIVE-7');
  await ada.page.keyboard.press('Enter');
  await waitForTerminalText(ada.page, /^LEARNER-LIVE-7$/m);
  assert.match(await pollFor(() => board.mirrorText(), (text) => /^LEARNER-LIVE-7$/m.test(text)), /^LEARNER-LIVE-7$/m, 'the mirror is live');
  assert.doesNotMatch(await ada.text(), /MIRROR-KEYS-42/, "Ada's terminal never got the mirror's keys");
  assert.doesNotMatch(await board.mirrorText(), /MIRROR-KEYS-42/);
  const mirrorSocket = board.sockets[1];
  assert.ok(mirrorSocket, 'the mirror opened a socket of its own');
  assert.deepEqual(mirrorSocket.sent.map((f) => JSON.parse(f).type), ['mirror-hello'], 'the mirror sent its hello and nothing else');
  await screenshot('workshop-mirror.png', (path) => board.page.locator('[data-part="mirror"]').screenshot({ path }));
  await board.page.keyboard.press('Escape');
  assert.ok(await board.page.locator('[data-part="mirror"]').isHidden(), 'Esc closes the mirror');
  assert.ok(await board.row('Ada').locator('[data-action="watch"]').evaluate((button) => button === document.activeElement), 'and focus is back on the row');
  // A board update while the facilitator sits on that button: focus stays on it, and the rows are
  // the same elements, their cells' text changed in place (no rebuild that would lose focus or scroll).
  await board.page.locator('tr[data-learner]').evaluateAll((rows) => rows.forEach((row) => ((row as HTMLElement & { labMark?: boolean }).labMark = true)));
  await measure(markup, ids.markup, 'docker run --rm --network host tomcat ip addr show docker0', 'passed', /^2 passed · 1 failed/);
  assert.ok(await board.row('Ada').locator('[data-action="watch"]').evaluate((button) => button === document.activeElement), 'focus stayed on the button through the update');
  assert.deepEqual(await board.page.locator('tr[data-learner]').evaluateAll((rows) => rows.map((row) => (row as HTMLElement & { labMark?: boolean }).labMark === true)), [true, true, true, true], 'the same row elements');

  // A broadcast reaches every learner's page.
  const hint = 'Break until 15:10 — the Redis section is next';
  await board.page.locator('[data-part="broadcast-text"]').fill(hint);
  await board.page.locator('[data-action="broadcast"]').click();
  for (const learner of [ada, markup, wang]) {
    await learner.page.locator('[data-lab-workshop-banner] .lab-broadcast', { hasText: hint }).waitFor({ timeout: BOARD_BOUND_MS });
  }
  await board.page.locator('[data-part="broadcasts"] li', { hasText: hint }).waitFor();

  // New links: each confirmed in the dialog, built from the board's own address.
  const oldFacilitator = workshopOf(runner).facilitator;
  const rotate = async (which: 'join' | 'facilitator') => {
    await board.page.locator(`[data-action="rotate-${which}"]`).click();
    await board.page.locator('dialog[data-part="confirm"][open]').waitFor();
    const before = await board.page.locator('[data-part="new-link-value"]').inputValue();
    await board.page.locator('[data-action="confirm-ok"]').click();
    return pollFor(() => board.page.locator('[data-part="new-link-value"]').inputValue(), (value) => value !== before && value.includes(`#${which}=`));
  };
  const joinLink = await rotate('join');
  assert.match(joinLink, new RegExp(`^${runner.url}/en/workshop/join/#join=[A-Za-z0-9_-]{32}$`));
  assert.notEqual(joinLink.split('#join=')[1], workshopOf(runner).join, 'a new join token');
  const boardLink = await rotate('facilitator');
  assert.match(boardLink, new RegExp(`^${runner.url}/en/workshop/board/#facilitator=[A-Za-z0-9_-]{32}$`));
  // The board keeps the new token: a reload is let in; the old link is refused, and says so.
  await board.page.reload();
  await board.page.locator('workshop-board[data-state="live"] tr[data-learner]').first().waitFor({ timeout: 15_000 });
  const stale = await browser.newContext();
  const stalePage = await stale.newPage();
  await stalePage.goto(`${runner.url}/en/workshop/board/#facilitator=${oldFacilitator}`);
  await stalePage.locator('workshop-board[data-state="refused"]').waitFor({ timeout: 15_000 });
  assert.match((await stalePage.locator('[data-part="connection"]').textContent()) ?? '', /refused this board's link \(HTTP 40[13]\)/);
  await stale.close();

  // End workshop: confirmed, then every page says so and no sandbox of this runner is left.
  assert.ok((await sandboxesOf(runner.owner)).length >= 3, 'the learners had sandboxes');
  // By keyboard: the dialog opens on Cancel, the safe choice; Tab, then Enter, confirms.
  await board.page.locator('[data-action="end"]').focus();
  await board.page.keyboard.press('Enter');
  await board.page.locator('dialog[data-part="confirm"][open]').waitFor();
  assert.equal(await board.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.action), 'confirm-cancel');
  await board.page.keyboard.press('Tab');
  assert.equal(await board.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.action), 'confirm-ok');
  await board.page.keyboard.press('Enter');
  await board.page.locator('workshop-board[data-ended]').waitFor({ timeout: BOARD_BOUND_MS });
  assert.match((await board.page.locator('[data-part="ended"]').textContent()) ?? '', /Ended at/);
  for (const learner of [ada, markup, wang]) {
    await learner.page.locator('[data-lab-workshop-banner] [data-workshop-ended]').waitFor({ timeout: BOARD_BOUND_MS });
  }
  assert.equal((await danaSocket.message('error')).code, 'workshop-ended', 'the queue is told the workshop ended');
  assert.deepEqual(await pollFor(() => sandboxesOf(runner.owner), (left) => left.length === 0, { timeoutMs: 60_000 }), [], 'no sandbox of this runner is left');

  // The CSV, downloaded through the board's button: every outcome, the markup name as typed.
  const [download] = await Promise.all([board.page.waitForEvent('download'), board.page.locator('[data-action="export"]').click()]);
  assert.match(download.suggestedFilename(), /^Docker-networking-room-3-\d{4}-\d\d-\d\d\.csv$/);
  const csv = readFileSync(await download.path(), 'utf8');
  const [header, ...lines] = csv.trim().split(/\r?\n/);
  // A byte order mark first, for spreadsheet apps to read UTF-8 (trim() above drops it from `header`).
  assert.ok(csv.startsWith('\ufefflearner_id,'), 'the file starts with a byte order mark');
  assert.equal(header, 'learner_id,name,page,block,outcome,exit_code,at');
  // No cell needed quoting (no comma, quote or line break in these values), so a split reads them.
  assert.ok(!csv.includes('"'), csv);
  const rows = lines.map((line) => line.split(','));
  const key = (o: Outcome) => `${o.name}|${o.page}|${o.block}|${o.outcome}`;
  assert.deepEqual(rows.map(([, name, page, block, outcome]) => key({ name: name ?? '', page: page ?? '', block: block ?? '', outcome: outcome as Outcome['outcome'] })).sort(), produced.map(key).sort());
  for (const [learnerId, name, , , outcome, exitCode, at] of rows) {
    assert.equal(learnerId, { Ada: ids.ada, [MARKUP_NAME]: ids.markup, 王小明: ids.wang }[name ?? ''], `${name}'s id`);
    assert.match(exitCode ?? '', outcome === 'passed' ? /^0$/ : /^[1-9]\d*$/);
    assert.ok(!Number.isNaN(Date.parse(at ?? '')), `${at} is a time`);
  }
  for (const learner of [ada, markup, wang]) assert.deepEqual(learner.dialogs, [], `no script ran on ${learner.name}'s page`);

  // The Chinese board, in the same browser (the token is kept) and in the dark theme: the ended workshop, still readable.
  await board.page.emulateMedia({ colorScheme: 'dark' });
  await board.page.goto(`${runner.url}/workshop/board/`);
  await board.page.locator('workshop-board[data-state="live"][data-ended]').waitFor({ timeout: 15_000 });
  assert.match((await board.page.locator('[data-part="ended"]').textContent()) ?? '', /已于 .+ 结束/);
  assert.equal(await board.page.locator('tr[data-learner]').count(), 4);
  assert.match(await board.row('王小明').innerText(), /0 个通过 · 1 个失败/);
  const zhViolations = await audit(board.page);
  assert.deepEqual(zhViolations, [], describeViolations('the zh board, ended, dark', zhViolations));
  await board.page.screenshot({ path: artefactPath('workshop-board-zh-dark.png'), fullPage: true });
  t.diagnostic(`board latency after a block ended (goal 1 s): ${latencies.join('; ')}`);
  await Promise.all([ada, markup, wang].map((l) => l.context.close()));
  await board.page.context().close();
});
