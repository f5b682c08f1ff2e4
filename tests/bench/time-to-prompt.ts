/**
 * Time from opening a session (the page's hello) to the shell's first prompt, through the real
 * runner and protocol: host mode (a bare pty, the floor), a dind sandbox booted on demand, and a
 * dind sandbox taken from the warm pool. Writes tests/bench/results/time-to-prompt.md.
 * Run: node tests/bench/time-to-prompt.ts [rounds]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { LabClient } from '../support/lab-client.ts';
import { startRunner } from '../support/runner-process.ts';
import { docker } from '../support/engine.ts';

const rounds = Number(process.argv[2] ?? 5);

async function timeToPrompt(env: Record<string, string>, settleMs: number): Promise<number[]> {
  const runner = await startRunner(env);
  const times: number[] = [];
  try {
    await new Promise((r) => setTimeout(r, settleMs)); // let a warm pool fill
    for (let i = 0; i < rounds; i++) {
      const client = await LabClient.connect(runner.wsUrl, { token: runner.token, origin: runner.origin });
      const start = performance.now();
      client.hello();
      await client.until(() => client.marks.some((m) => m.kind === 'command-start'), 120_000, 'the first prompt');
      times.push(performance.now() - start);
      client.send({ type: 'reset' });
      await client.closed;
      await new Promise((r) => setTimeout(r, settleMs));
    }
  } finally {
    await runner.stop();
  }
  return times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (x: number) => `${Math.round(x)} ms`;

const arms: [string, Record<string, string>, number][] = [
  ['host (floor: a bare pty)', { LAB_PROVIDER: 'host' }, 0],
  ['dind, booted on demand', { LAB_PROVIDER: 'dind', LAB_WARM_SANDBOXES: '0' }, 500],
  ['dind, from the warm pool', { LAB_PROVIDER: 'dind', LAB_WARM_SANDBOXES: '1' }, 8000],
];
const results: { arm: string; times: number[] }[] = [];
for (const [arm, env, settle] of arms) {
  const times = await timeToPrompt(env, settle);
  results.push({ arm, times });
  console.log(arm, times.map(ms).join(', '));
}

const floor = median(results[0]?.times ?? [1]);
const engine = (await docker.version()).Version;
const lines = [
  '# Time from hello to the first prompt',
  '',
  `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}, Docker engine ${engine}; ${rounds} rounds per arm.`,
  '',
  '| arm | median | min | max | median ÷ floor |',
  '| --- | --- | --- | --- | --- |',
  ...results.map(({ arm, times }) => `| ${arm} | ${ms(median(times))} | ${ms(Math.min(...times))} | ${ms(Math.max(...times))} | ${(median(times) / floor).toFixed(1)} |`),
  '',
];
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/time-to-prompt.md', import.meta.url), lines.join('\n'));
console.log(lines.join('\n'));
