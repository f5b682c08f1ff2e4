/**
 * Preloaded into a runner under test (`NODE_OPTIONS=--import <this file>`, see `heapProbeEnv`):
 * asked over the IPC channel, it runs a full garbage collection and answers with the live heap.
 * RSS alone cannot tell a leak from garbage V8 has not collected yet: V8 lets the old generation
 * grow to several times its live size before a full collection. The runner's code is untouched.
 */
import type { ChildProcess } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface HeapReading {
  type: 'heap';
  id: number;
  /** Bytes of heap still in use after a full collection. */
  live: number;
  rss: number;
}

const REQUEST = 'heap-probe';

/** The environment that preloads this probe into a runner started with `startRunner`. */
export function heapProbeEnv(): Record<string, string> {
  return { NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import ${JSON.stringify(import.meta.url)}`].filter(Boolean).join(' ') };
}

/** Asks the runner process `child` for its live heap after a full collection. */
export function readLiveHeap(child: ChildProcess, timeoutMs = 10_000): Promise<HeapReading> {
  const id = Math.floor(Math.random() * 2 ** 31);
  return new Promise((resolve, reject) => {
    const listener = (message: unknown) => {
      const reading = message as Partial<HeapReading> | null;
      if (reading?.type !== 'heap' || reading.id !== id) return;
      clearTimeout(timer);
      child.off('message', listener);
      resolve(reading as HeapReading);
    };
    const timer = setTimeout(() => {
      child.off('message', listener);
      reject(new Error(`the runner did not answer the heap probe within ${timeoutMs} ms (is it preloaded with heapProbeEnv()?)`));
    }, timeoutMs);
    child.on('message', listener);
    child.send({ type: REQUEST, id });
  });
}

// In the runner: answer probes. Only when this file is preloaded into a child with an IPC channel.
if (process.send && process.env.NODE_OPTIONS?.includes(import.meta.url)) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  process.on('message', (message: { type?: string; id?: number } | null) => {
    if (message?.type !== REQUEST) return;
    gc();
    const usage = process.memoryUsage();
    process.send?.({ type: 'heap', id: message.id ?? 0, live: usage.heapUsed, rss: usage.rss } satisfies HeapReading);
  });
  // Listening must not keep a runner alive that would otherwise exit.
  process.channel?.unref();
}
