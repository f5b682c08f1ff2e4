/**
 * What the facilitator's board says: Starlight's i18n strings under `lab.board.` (src/content/i18n),
 * rendered into the page by Board.astro with the default locale's fallback applied, and shaped here
 * for the board's code. No DOM: the model and the unit tests use it too.
 */
import { format, type UiStrings } from '../../terminal/strings.ts';

export type Sandbox = 'none' | 'queued' | 'preparing' | 'ready';
export type QueueReason = 'room-full' | 'memory';

export interface BoardStrings {
  s(key: string, values?: Record<string, string | number>): string;
  /** A span of time in words: `45 s`, `12 min 5 s`, `2 h 3 min`. */
  duration(ms: number): string;
  sandbox(state: Sandbox): string;
  queueReason(reason: QueueReason): string;
}

export function boardStrings(strings: UiStrings): BoardStrings {
  const s = (key: string, values?: Record<string, string | number>) => format(strings[`lab.board.${key}`] ?? `lab.board.${key}`, values);
  return {
    s,
    duration(ms) {
      const total = Math.max(0, Math.floor(ms / 1000));
      const h = Math.floor(total / 3600);
      const m = Math.floor((total % 3600) / 60);
      const sec = total % 60;
      if (h > 0) return s('duration.h', { h, m });
      if (m > 0) return s('duration.m', { m, s: sec });
      return s('duration.s', { s: sec });
    },
    sandbox: (state) => s(`sandbox.${state}`),
    queueReason: (reason) => s(`queue.${reason}`),
  };
}
