/**
 * Runs the capacity benchmark alone and prints its markdown section.
 *   node tests/bench/capacity/main.ts --sandboxes 10,50 --host 200
 * Options: --dind-at-once N, --host-at-once N (sessions opening together), --baseline S, --settle S,
 * --held S (phase lengths in seconds), --out FILE (also write the section there).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runCapacity } from './capacity.ts';

const { values } = parseArgs({
  options: {
    sandboxes: { type: 'string', default: '10,50' },
    host: { type: 'string', default: '200' },
    'dind-at-once': { type: 'string' },
    'host-at-once': { type: 'string' },
    baseline: { type: 'string' },
    settle: { type: 'string' },
    held: { type: 'string' },
    out: { type: 'string' },
  },
});

function whole(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number; got ${JSON.stringify(value)}`);
  return Number(value);
}
const secondsToMs = (name: string, value: string | undefined) => {
  const s = whole(name, value);
  return s === undefined ? undefined : s * 1000;
};

const sandboxes = values.sandboxes.split(',').filter(Boolean).map((n) => whole('sandboxes', n.trim()) as number);
const started = Date.now();
const section = await runCapacity({
  sandboxes,
  hostSessions: whole('host', values.host) ?? 0,
  log: (line) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`),
  concurrency: { dind: whole('dind-at-once', values['dind-at-once']), host: whole('host-at-once', values['host-at-once']) },
  phaseMs: { baseline: secondsToMs('baseline', values.baseline), settle: secondsToMs('settle', values.settle), held: secondsToMs('held', values.held) },
});
if (values.out) writeFileSync(values.out, section);
console.log(section);
