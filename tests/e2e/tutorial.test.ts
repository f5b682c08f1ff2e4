/**
 * The tutorial page in Debian's Chromium against the real runner and a dind sandbox, used as a
 * reader uses it: the page loads no terminal code until a Run button is pressed; Run shows each
 * block's result beside it (done, expected failure) and its output in the docked terminal; "Run all
 * above" catches up section by section; the Redis blocks open a second terminal tab in the same
 * sandbox; Stop interrupts a long wait; a reload resumes everything; Reset lab starts afresh. The
 * English page works on a phone-sized screen in dark mode, and a page with no runner says it is
 * offline and keeps its blocks copyable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import serveStatic from 'serve-static';
import type { Locator, Page, Response } from 'playwright-core';
import { artefactPath, DIST, terminalText, useLabSite, waitForTerminalText } from '../support/browser.ts';
import { pollFor } from '../support/poll.ts';

const shared = useLabSite();

/** Statuses a block passes through before it ends. */
const UNFINISHED = ['idle', 'queued', 'running', 'waiting'];

/** A page of the tutorial, driven through what the reader sees and clicks. */
class TutorialPage {
  readonly page: Page;

  constructor(page: Page) {
    this.page = page;
  }

  /** The controls row of the `nth` block (0-based) whose command is `command`. */
  async controls(command: string, nth = 0): Promise<Locator> {
    const ids = await this.page.$$eval('figure[data-lab-block]', (figures, wanted) => figures.map((f) => JSON.parse((f as HTMLElement).dataset.labBlock ?? '{}') as { id: string; command: string }).filter((b) => b.command === wanted).map((b) => b.id), command);
    const id = ids[nth];
    assert.ok(id, `the page has block ${nth + 1} of "${command}"`);
    return this.page.locator(`[data-lab-controls][data-block-id="${id}"]`);
  }

  /** Clicks Run on a block and waits for how it ended; returns its status and status text. */
  async run(command: string, nth = 0, timeout = 120_000): Promise<{ status: string; text: string }> {
    const row = await this.controls(command, nth);
    await row.locator('[data-action="run"]').click();
    return this.#settled(row, timeout);
  }

  /** Clicks "Run all above" on a block and waits for the catch-up to end; returns its message. */
  async runAbove(command: string, nth = 0, timeout = 240_000): Promise<{ state: string; text: string }> {
    const row = await this.controls(command, nth);
    await row.locator('[data-action="run-above"]').click();
    const progress = this.page.locator('lab-terminal [data-part="progress"]');
    await this.page.waitForFunction(() => {
      const element = document.querySelector('lab-terminal [data-part="progress"]') as HTMLElement | null;
      return element && !element.hidden && element.dataset.state !== 'running';
    }, null, { timeout, polling: 250 });
    return { state: (await progress.getAttribute('data-state')) ?? '', text: (await progress.locator('[data-part="progress-text"]').textContent()) ?? '' };
  }

  async #settled(row: Locator, timeout: number): Promise<{ status: string; text: string }> {
    // Wait for the click to take (the status leaves idle), then for the block to end.
    await row.and(this.page.locator(':not([data-status="idle"])')).waitFor({ timeout: 10_000 });
    const status = await pollFor(async () => (await row.getAttribute('data-status')) ?? '', (now) => !UNFINISHED.includes(now), { timeoutMs: timeout, intervalMs: 200 });
    return { status, text: ((await row.locator('[data-part="block-status"]').textContent()) ?? '').trim() };
  }

  async status(command: string, nth = 0): Promise<string> {
    return (await (await this.controls(command, nth)).getAttribute('data-status')) ?? '';
  }

  /** A terminal's text (screen and scrollback). */
  text(terminal = 'main'): Promise<string> {
    return terminalText(this.page, terminal);
  }

  waitForText(terminal: string, pattern: RegExp, timeout = 30_000): Promise<string> {
    return waitForTerminalText(this.page, pattern, { terminal, timeoutMs: timeout });
  }

  /** The tabs of the dock, by terminal name, with the selected one. */
  async tabs(): Promise<{ names: string[]; selected: string | null }> {
    const tabs = this.page.locator('lab-terminal [data-part="tabs"] [role="tab"]');
    const names = await tabs.evaluateAll((elements) => elements.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => (e as HTMLElement).dataset.terminal ?? ''));
    const selected = await this.page.locator('lab-terminal [role="tab"][aria-selected="true"]').getAttribute('data-terminal', { timeout: 1000 }).catch(() => null);
    return { names, selected };
  }
}

/** The scripts a page loads from now on, until `stop()`. */
function collectScripts(page: Page): { responses: Response[]; stop(): void } {
  const responses: Response[] = [];
  const listener = (response: Response) => {
    if (response.request().resourceType() === 'script') responses.push(response);
  };
  page.on('response', listener);
  return { responses, stop: () => page.off('response', listener) };
}

test('the zh tutorial: Run and Run all above through every section, a second terminal for Redis, reload, Stop, Reset lab', async (t) => {
  const { runner, browser } = shared;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  const page = await context.newPage();
  const scripts = collectScripts(page);
  const lab = new TutorialPage(page);

  await page.goto(`${runner.url}/docker-network/#lab-token=${runner.token}`);
  await page.locator('[data-lab-controls]').first().waitFor();
  await page.waitForLoadState('networkidle');
  const rows = await page.locator('[data-lab-controls]').count();
  const blocks = await page.locator('figure[data-lab-block]').count();
  assert.equal(rows, blocks, 'every runnable block has its controls');
  assert.equal(await page.locator('[data-lab-controls] [data-part="block-status"]').first().textContent(), '未运行');
  assert.ok(await page.locator('lab-terminal').evaluate((el) => el.hasAttribute('data-collapsed')), 'the dock starts folded to its bar');

  // Before any interaction: no xterm, no zod (the protocol's validator), only the small scripts.
  scripts.stop();
  const initial = await Promise.all(scripts.responses.map(async (r) => ({ url: new URL(r.url()).pathname, body: await r.body() })));
  for (const { url, body } of initial) {
    assert.doesNotMatch(body.toString(), /xterm-helper-textarea|_zod\b/, `${url} holds no terminal or protocol code`);
  }
  const gzipped = initial.reduce((sum, { body }) => sum + gzipSync(body, { level: 9 }).length, 0);
  t.diagnostic(`JavaScript before interaction: ${initial.length} files, ${(gzipped / 1024).toFixed(1)} KiB gzipped: ${initial.map((s) => s.url.replace('/_astro/', '')).join(', ')}`);

  // 理解Docker0: the sandbox's own docker0 has the tutorial's address.
  assert.deepEqual(await lab.run('ip addr'), { status: 'done', text: '完成' });
  assert.match(await lab.text(), /inet 172\.18\.0\.1\/16 brd 172\.18\.255\.255 scope global docker0/);
  assert.equal(await page.locator('lab-terminal').getAttribute('data-state'), 'live');
  assert.ok(!(await page.locator('lab-terminal').evaluate((el) => el.hasAttribute('data-collapsed'))), 'Run opened the dock');

  // Link参数: pinging by name on docker0 fails, as the page says it does.
  const link = await lab.runAbove('docker exec -it tomcat02 ping tomcat01');
  assert.equal(link.state, 'done', link.text);
  assert.deepEqual(await lab.run('docker exec -it tomcat02 ping tomcat01'), { status: 'expected-failure', text: '预期中的失败（退出状态 2）' });
  assert.match(await lab.text(), /ping: tomcat01: Name or service not known/);

  // --link writes a line into /etc/hosts.
  assert.equal((await lab.runAbove('docker exec -it tomcat03 cat /etc/hosts')).state, 'done');
  assert.equal((await lab.run('docker exec -it tomcat03 cat /etc/hosts')).status, 'done');
  assert.match(await lab.text(), /^172\.18\.0\.3\s+tomcat02 [0-9a-f]{12}$/m);

  // 自定义网络: names resolve on a user-defined network.
  assert.equal((await lab.runAbove('docker exec -it tomcat-net-01 ping -c 3 tomcat-net-02')).state, 'done');
  assert.equal((await lab.run('docker exec -it tomcat-net-01 ping -c 3 tomcat-net-02')).status, 'done');
  assert.match(await lab.text(), /bytes from tomcat-net-02\.mynet \(192\.168\.0\.3\)/);

  // 网络连通: after docker network connect, tomcat01 reaches tomcat-net-01; tomcat02 still cannot.
  assert.equal((await lab.runAbove('docker exec -it tomcat01 ping -c 3 tomcat-net-01')).state, 'done');
  assert.equal(await lab.status('docker network connect mynet tomcat01'), 'done');
  assert.equal((await lab.run('docker exec -it tomcat01 ping -c 3 tomcat-net-01')).status, 'done');
  assert.match(await lab.text(), /bytes from tomcat-net-01\.mynet \(192\.168\.0\.2\)/);
  assert.equal((await lab.run('docker exec -it tomcat02 ping tomcat-net-01')).status, 'expected-failure');
  assert.deepEqual((await lab.tabs()).names, [], 'one terminal so far: no tabs');

  // 部署 Redis 集群: the catch-up opens redis-1's sh in a second terminal of the same sandbox.
  const cluster = await lab.runAbove('cluster info');
  assert.equal(cluster.state, 'done', cluster.text);
  assert.match(cluster.text, /完成：已运行 \d+ 个代码块/);
  assert.deepEqual(await lab.tabs(), { names: ['main', 'redis'], selected: 'redis' });
  assert.deepEqual(await lab.run('cluster info'), { status: 'done', text: '完成' });
  assert.match(await lab.text('redis'), /127\.0\.0\.1:6379> cluster info\s+cluster_state:ok/);
  assert.match(await lab.text('main'), /docker run -p 637\$\{port\}:6379/, 'the host commands ran in the main terminal');
  await page.screenshot({ path: artefactPath('tutorial-zh.png') });
  // The blocks of the --link section with their results, the dock folded to its bar.
  await page.locator('[data-action="toggle"]').click();
  await (await lab.controls('docker exec -it tomcat02 ping tomcat01')).evaluate((row) => row.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: artefactPath('tutorial-zh-blocks.png') });
  await page.locator('[data-action="toggle"]').click();

  // A reload resumes the session: both terminals with their scrollback, every status.
  await page.reload();
  await page.locator('lab-terminal[data-state="live"]').waitFor({ timeout: 30_000 });
  assert.equal(await lab.status('cluster info'), 'done');
  assert.equal(await lab.status('docker exec -it tomcat02 ping tomcat01'), 'expected-failure');
  await lab.waitForText('redis', /cluster_state:ok/);
  await lab.waitForText('main', /inet 172\.18\.0\.1\/16/);
  assert.deepEqual((await lab.tabs()).names, ['main', 'redis']);

  // Stop: the failover step waits for the cluster (minutes at most); Stop sends Ctrl-C to its terminal.
  await lab.runAbove('docker stop redis-2');
  const stopRow = await lab.controls('docker stop redis-2');
  await stopRow.locator('[data-action="run"]').click();
  await stopRow.and(page.locator('[data-status="waiting"]')).waitFor({ timeout: 60_000 });
  assert.match((await stopRow.locator('[data-part="block-status"]').textContent()) ?? '', /等待就绪/);
  await stopRow.locator('[data-action="stop"]').click();
  await stopRow.and(page.locator('[data-status="stopped"]')).waitFor({ timeout: 10_000 });
  await lab.waitForText('main', /until \{ docker exec redis-1[\s\S]*\^C\s*\n\[root@lab ~\]# $/);

  // Reset lab: a fresh sandbox, every status cleared, the second terminal gone.
  await page.locator('[data-action="reset"]').click();
  assert.match((await page.locator('[data-action="reset"]').textContent()) ?? '', /再点一次确认重置/, 'a reset that throws work away asks twice');
  await page.locator('[data-action="reset"]').click();
  await lab.waitForText('main', /\[沙箱已重置\][\s\S]*\[root@lab ~\]# $/, 90_000);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-lab-controls]')].every((row) => (row as HTMLElement).dataset.status === 'idle'), null, { timeout: 30_000 });
  assert.deepEqual((await lab.tabs()).names, []);
  await context.close();
});

test('the en tutorial on a phone in dark mode: Run, the docked terminal fits the screen', async () => {
  const { runner, browser } = shared;
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, colorScheme: 'dark', isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const lab = new TutorialPage(page);
  await page.goto(`${runner.url}/en/docker-network/#lab-token=${runner.token}`);
  assert.equal(await page.locator('[data-lab-controls] [data-action="run"]').first().textContent().then((s) => s?.trim()), 'Run');
  assert.deepEqual(await lab.run('ip addr'), { status: 'done', text: 'Done' });
  assert.match(await lab.text(), /inet 172\.18\.0\.1\/16 brd 172\.18\.255\.255 scope global docker0/);
  assert.deepEqual(await lab.run('docker run -d -P --name tomcat01 tomcat'), { status: 'done', text: 'Done' });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  assert.ok(overflow <= 0, `the page does not scroll sideways (${overflow}px too wide)`);
  const dock = await page.locator('lab-terminal').boundingBox();
  assert.ok(dock && dock.y + dock.height <= 844 + 1 && dock.height < 844 * 0.6, `the dock sits in the bottom part of the screen: ${JSON.stringify(dock)}`);
  await page.screenshot({ path: artefactPath('tutorial-en-phone-dark.png') });
  await page.locator('lab-terminal').evaluate((el) => (el as HTMLElement & { reset(): Promise<void> }).reset());
  await context.close();
});

test('with no runner (a static host), the page says the terminal is offline; Run is off, Copy is on', async () => {
  const { runner, browser } = shared;
  const site = serveStatic(DIST, { extensions: ['html'] });
  const server: Server = createServer((req, res) => site(req, res, () => void res.writeHead(404).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    // The link of a runner that is not there: the token is kept, the first connection fails.
    await page.goto(`http://127.0.0.1:${port}/en/docker-network/#lab-token=${runner.token}`);
    const banner = page.locator('[data-lab-offline]');
    await banner.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match((await banner.textContent()) ?? '', /The terminal is offline[\s\S]*npm start[\s\S]*open the link it prints/);
    assert.equal(await page.locator('lab-terminal').getAttribute('data-state'), 'offline');
    const run = page.locator('[data-lab-controls] [data-action="run"]').first();
    assert.ok(await run.isDisabled(), 'Run is off');
    assert.equal(await page.locator('[data-lab-controls] [data-action="run"]:not([disabled])').count(), 0, 'on every block');
    assert.ok(await page.locator('figure[data-lab-block] .copy button').first().isEnabled(), 'Copy still works');
    const resources = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => /lab-terminal\.|xterm/.test(n)));
    assert.deepEqual(resources, [], 'the terminal code is never loaded');
    await page.screenshot({ path: artefactPath('tutorial-en-offline.png') });
    await context.close();

    // Served by the runner but opened without its link: no token, offline as well.
    const tokenless = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const second = await tokenless.newPage();
    await second.goto(`${runner.url}/docker-network/`);
    await second.locator('[data-lab-offline]').waitFor({ state: 'visible', timeout: 15_000 });
    assert.match((await second.locator('[data-lab-offline]').textContent()) ?? '', /终端离线[\s\S]*npm start/);
    await tokenless.close();
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
