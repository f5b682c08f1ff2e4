/**
 * (b) Bulk output: `seq 1 2000000` and a marker after it, from Enter to the marker parsed in the
 * page, with the server's peak RSS (sampled every 50 ms) and CPU time, and the page's peak JS heap
 * and main-thread work. Then, in the same page, Ctrl-C during `yes`: from the Ctrl+C keydown to the
 * prompt parsed again. A separate, untimed pass watches the socket's frames through CDP to find
 * the most output in flight (received by the page, not yet acknowledged).
 */
import type { Browser } from 'playwright-core';
import { decodeClientMessage, decodeServerMessage } from '../../../src/protocol/wire.ts';
import { BULK_COMMAND } from '../peers/bulk-output.ts';
import { TerminalPage, type Target } from './arms.ts';
import { cpuMs, HeapSampler, pageMetrics, rssBytes, RssSampler } from './sampling.ts';

/** `$((1+1))` so the marker the page waits for is not in the echoed command line. */
export const BULK_LINE = `${BULK_COMMAND}; echo DONE-$((1+1))`;
const BULK_TIMEOUT_MS = 600_000;
const QUIET_MS = 1_000;
/** How long `yes` runs before Ctrl-C. */
const YES_MS = 1_000;

export interface BulkRound {
  ms: number;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
  serverCpuMs: number;
  heapBefore: number;
  heapPeak: number;
  /** Main-thread time the page spent in tasks and in script during the run (Chromium metrics). */
  taskMs: number;
  scriptMs: number;
  layoutMs: number;
  styleMs: number;
  /** Ctrl+C keydown to prompt parsed, during `yes`; null for the floor. */
  ctrlC: number | null;
  /** Output parsed between that keydown and the prompt. */
  ctrlCChars: number | null;
  terminal: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the bulk line in the page; resolves with the ms from sending it to the marker parsed. */
export function runBulk(tp: TerminalPage, line: string = BULK_LINE): Promise<number> {
  return tp.page.evaluate(async ([text, timeoutMs]) => {
    const probe = window.__benchProbe;
    if (!probe || !window.__benchSend) throw new Error('no probe on the page');
    const done = probe.waitFor('DONE-2');
    const prompt = probe.waitFor('DONE-2[\\s\\S]*# $');
    const start = performance.now();
    window.__benchSend(`${text}\r`);
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('bulk output did not end')), timeoutMs));
    const end = await Promise.race([done, timeout]);
    await Promise.race([prompt, timeout]);
    return end - start;
  }, [line, BULK_TIMEOUT_MS] as const);
}

export async function measureBulk(browser: Browser, target: Target): Promise<BulkRound> {
  const tp = await TerminalPage.open(browser, target);
  try {
    await tp.prompt();
    await tp.cdp.send('Performance.enable');
    await sleep(QUIET_MS);
    const terminal = await tp.describe();
    const before = await pageMetrics(tp.cdp);
    const rssBefore = rssBytes(target.pid);
    const cpuBefore = cpuMs(target.pid);
    const rss = new RssSampler(target.pid, 50);
    const heap = new HeapSampler(tp.cdp, 250);
    let ms: number;
    try {
      ms = await runBulk(tp, BULK_LINE);
    } finally {
      rss.stop();
      await heap.stop();
    }
    const after = await pageMetrics(tp.cdp);
    const serverCpuMs = cpuMs(target.pid) - cpuBefore;
    await sleep(500);
    const rssAfter = rssBytes(target.pid);
    const ctrlC = target.kind === 'floor' ? null : await measureCtrlC(tp);
    return {
      ms,
      rssBefore,
      rssPeak: rss.peak,
      rssAfter,
      serverCpuMs,
      heapBefore: before.JSHeapUsedSize ?? 0,
      heapPeak: Math.max(heap.peak, after.JSHeapUsedSize ?? 0),
      taskMs: ((after.TaskDuration ?? 0) - (before.TaskDuration ?? 0)) * 1000,
      scriptMs: ((after.ScriptDuration ?? 0) - (before.ScriptDuration ?? 0)) * 1000,
      layoutMs: ((after.LayoutDuration ?? 0) - (before.LayoutDuration ?? 0)) * 1000,
      styleMs: ((after.RecalcStyleDuration ?? 0) - (before.RecalcStyleDuration ?? 0)) * 1000,
      ctrlC: ctrlC?.ms ?? null,
      ctrlCChars: ctrlC?.chars ?? null,
      terminal,
    };
  } finally {
    await tp.close();
  }
}

/** `yes`, a second of its output, then a real Ctrl+C; ms from its keydown to the prompt parsed. */
async function measureCtrlC(tp: TerminalPage): Promise<{ ms: number; chars: number }> {
  await tp.focus();
  await tp.page.evaluate(() => {
    const armed = window.__benchProbe?.armCtrlC();
    if (armed) (window as { __benchCtrlC?: Promise<{ ms: number; chars: number }> }).__benchCtrlC = armed;
  });
  const flowing = tp.waitFor('y\\r?\\ny\\r?\\ny', 30_000);
  await tp.send('yes\r');
  await flowing;
  await sleep(YES_MS);
  await tp.page.keyboard.press('Control+c');
  return tp.page.evaluate(() => Promise.race([
    (window as { __benchCtrlC?: Promise<{ ms: number; chars: number }> }).__benchCtrlC ?? Promise.reject(new Error('Ctrl-C was not armed')),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no prompt 60 s after Ctrl-C')), 60_000)),
  ]));
}

export interface InFlight {
  /** Most output received by the page and not yet acknowledged, in characters. */
  maxInFlight: number;
  frames: number;
  chars: number;
  acks: number;
}

/**
 * The bulk line once more, with every WebSocket frame reported through CDP (which slows the run, so
 * it is not timed): ours acknowledges parsed output with `{"type":"ack","upTo"}` after receiving
 * binary output frames (a byte offset, then the bytes); WeTTY commits with socket.io `["commit",n]` after `["data",s]`.
 */
export async function measureInFlight(browser: Browser, target: Target): Promise<InFlight> {
  const tp = await TerminalPage.open(browser, target);
  try {
    await tp.prompt();
    await sleep(QUIET_MS);
    const state = { received: 0, acked: 0, maxInFlight: 0, frames: 0, chars: 0, acks: 0 };
    tp.cdp.on('Network.webSocketFrameReceived', ({ response }) => {
      const data = outputOf(target, response.payloadData, response.opcode);
      if (data === null) return;
      // Ours acknowledged everything before the first frame seen (the terminal was idle).
      if (state.frames === 0 && target.kind === 'ours') state.acked = data.seq;
      state.frames += 1;
      state.chars += data.length;
      state.received = target.kind === 'ours' ? Math.max(state.received, data.seq + data.length) : state.received + data.length;
      state.maxInFlight = Math.max(state.maxInFlight, state.received - state.acked);
    });
    tp.cdp.on('Network.webSocketFrameSent', ({ response }) => {
      const acked = ackOf(target, response.payloadData);
      if (acked === null) return;
      state.acks += 1;
      state.acked = target.kind === 'ours' ? Math.max(state.acked, acked) : state.acked + acked;
    });
    await tp.cdp.send('Network.enable');
    await runBulk(tp, BULK_LINE);
    return { maxInFlight: state.maxInFlight, frames: state.frames, chars: state.chars, acks: state.acks };
  } finally {
    await tp.close();
  }
}

/** The output a frame carries (ours: with its offset, in bytes), or null for any other frame. */
function outputOf(target: Target, payload: string, opcode: number): { seq: number; length: number } | null {
  if (target.kind === 'ours') {
    // Ours sends output in binary frames (CDP gives them base64, opcode 2).
    if (opcode !== 2) return null;
    const decoded = decodeServerMessage(Buffer.from(payload, 'base64'));
    return decoded.ok && decoded.message.type === 'output' ? { seq: decoded.message.seq, length: decoded.message.data.length } : null;
  }
  if (!payload.startsWith('42["data"')) return null;
  const [, data] = JSON.parse(payload.slice(2)) as [string, string];
  return { seq: 0, length: data.length };
}

function ackOf(target: Target, payload: string): number | null {
  if (target.kind === 'ours') {
    const decoded = decodeClientMessage(payload);
    return decoded.ok && decoded.message.type === 'ack' ? decoded.message.upTo : null;
  }
  return payload.startsWith('42["commit"') ? (JSON.parse(payload.slice(2)) as [string, number])[1] : null;
}
