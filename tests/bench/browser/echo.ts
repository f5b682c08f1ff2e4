/**
 * (a) Key to echo: a real key press (Chromium input through CDP) at a shell prompt, timed in the
 * page from the keydown event to the echoed character parsed by the terminal (the floor: received).
 * Keys go in lines of KEYS_PER_LINE, spaced SPACING_MS apart, then Ctrl-U clears the line.
 */
import type { Browser } from 'playwright-core';
import { TerminalPage, type Target } from './arms.ts';
import { percentile } from './stats.ts';

export const ECHO_KEYS = 200;
/** Short of the narrowest terminal's width after the prompt, so the line never wraps. */
const KEYS_PER_LINE = 40;
const SPACING_MS = 25;
/** After the first prompt: fonts, fitting and the first paints are done by then. */
const QUIET_MS = 1_000;
/** An echo not parsed this long after the line's last key counts as missed. */
const ECHO_TIMEOUT_MS = 3_000;
const KEYS = 'abcdefghijklmnopqrstuvwxyz';

export interface EchoRound {
  latencies: number[];
  missed: number;
  p50: number;
  p99: number;
  terminal: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function measureEcho(browser: Browser, target: Target, keys = ECHO_KEYS): Promise<EchoRound> {
  const tp = await TerminalPage.open(browser, target);
  try {
    await tp.prompt();
    await sleep(QUIET_MS);
    return await typeKeys(tp, keys);
  } finally {
    await tp.close();
  }
}

/** Types `keys` keys at the prompt of an open page, timing each echo in the page. */
export async function typeKeys(tp: TerminalPage, keys: number): Promise<EchoRound> {
  await tp.focus();
  const terminal = await tp.describe();
  const latencies: number[] = [];
  let missed = 0;
  for (let done = 0; done < keys; done += KEYS_PER_LINE) {
    await tp.page.evaluate(() => window.__benchProbe?.armKeys());
    const start = performance.now();
    const line = Math.min(KEYS_PER_LINE, keys - done);
    for (let i = 0; i < line; i++) {
      await tp.page.keyboard.press(KEYS[(done + i) % KEYS.length] as string);
      await sleep(start + (i + 1) * SPACING_MS - performance.now());
    }
    const deadline = performance.now() + ECHO_TIMEOUT_MS;
    while (performance.now() < deadline && (await tp.page.evaluate(() => window.__benchProbe?.pendingKeys() ?? 0)) > 0) await sleep(20);
    const result = await tp.page.evaluate(() => window.__benchProbe?.keyResults() ?? { latencies: [], pending: 0 });
    latencies.push(...result.latencies);
    missed += result.pending;
    if (tp.target.kind !== 'floor') await tp.page.keyboard.press('Control+u');
    await sleep(300);
  }
  return { latencies, missed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), terminal };
}
