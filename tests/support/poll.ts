/** The one polling helper of the tests: for what changes on its own time (the engine, a page). */
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  /** How long to keep asking: a generous bound for what must happen, never a speed goal. */
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Asks `probe` until `done` holds for its answer or `timeoutMs` has passed, and resolves with the
 * last answer either way: the caller asserts on it, so a failure shows what was there instead.
 */
export async function pollFor<T>(probe: () => Promise<T> | T, done: (value: T) => boolean, options: PollOptions = {}): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 250 } = options;
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await sleep(intervalMs);
    value = await probe();
  }
  return value;
}
