/**
 * Time from opening the lab page (navigation start) to the shell's prompt in the terminal, in
 * Debian Chromium against the real runner: host mode (the floor), a dind sandbox booted on demand,
 * and one from the warm pool. The reader clicks Start as soon as the page is interactive.
 * Writes tests/bench/results/page-to-prompt.md. Run: node tests/bench/page-to-prompt.ts [rounds]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../support/browser.ts';
import { startRunner } from '../support/runner-process.ts';
import { docker } from '../support/engine.ts';

const rounds = Number(process.argv[2] ?? 5);
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const browser = await launchChromium();

async function arm(env: Record<string, string>, settleMs: number): Promise<number[]> {
  const runner = await startRunner({ LAB_SITE_DIR: DIST, ...env });
  const times: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      await new Promise((r) => setTimeout(r, settleMs));
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${runner.url}/lab/#lab-token=${runner.token}`);
      await page.locator('[data-action="start"]').click();
      await page.waitForFunction(() => /\]# $/m.test((document.querySelector('lab-terminal') as HTMLElement & { text(): string }).text()), null, { timeout: 120_000, polling: 20 });
      times.push(await page.evaluate(() => performance.now()));
      await page.locator('[data-action="reset"]').click();
      await context.close();
    }
  } finally {
    await runner.stop();
  }
  return times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (x: number) => `${Math.round(x)} ms`;
const results: [string, number[]][] = [];
for (const [name, env, settle] of [
  ['host (floor: a bare pty)', { LAB_PROVIDER: 'host' }, 0],
  ['dind, booted on demand', { LAB_PROVIDER: 'dind', LAB_WARM_SANDBOXES: '0' }, 1000],
  ['dind, from the warm pool', { LAB_PROVIDER: 'dind', LAB_WARM_SANDBOXES: '1' }, 8000],
] as const) {
  const times = await arm(env, settle);
  results.push([name, times]);
  console.log(name, times.map(ms).join(', '));
}
await browser.close();

const floor = median(results[0]?.[1] ?? [1]);
const lines = [
  '# Page open to prompt, in the browser',
  '',
  `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}, Docker engine ${(await docker.version()).Version}, Debian Chromium; ${rounds} rounds per arm. Time from navigation start to the prompt drawn, clicking Start at once.`,
  '',
  '| arm | median | min | max | median ÷ floor |',
  '| --- | --- | --- | --- | --- |',
  ...results.map(([name, t]) => `| ${name} | ${ms(median(t))} | ${ms(Math.min(...t))} | ${ms(Math.max(...t))} | ${(median(t) / floor).toFixed(1)} |`),
  '',
];
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/page-to-prompt.md', import.meta.url), lines.join('\n'));
console.log(lines.join('\n'));
