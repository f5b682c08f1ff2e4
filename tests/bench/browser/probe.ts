/**
 * The in-page half of the measures, the same for every arm: it is given each piece of output once
 * the arm's terminal has parsed it (the floor page: once it arrived) and keeps every clock in the
 * page, so nothing of Playwright's round trips is in a number. Installed with addInitScript, so it
 * must be self-contained; arms hook their terminal to `feed` (./arms.ts).
 */

/** What the page exposes as `window.__benchProbe`. */
export interface BenchProbe {
  /** Output the terminal parsed (or, on the floor page, received). */
  feed(data: string): void;
  /** performance.now() when the first prompt was parsed (since navigation start). */
  firstPromptAt: number | undefined;
  /** Characters fed so far. */
  fed: number;
  /** Records each printable key's keydown time until `keyResults()`; the echo of each pops one. */
  armKeys(): void;
  keyResults(): { latencies: number[]; pending: number };
  /** Keys pressed whose echo was not parsed yet. */
  pendingKeys(): number;
  /** Resolves with performance.now() once the output since the call matches `source` (a RegExp). */
  waitFor(source: string): Promise<number>;
  /**
   * Resolves with the time from the next Ctrl+C keydown to the prompt parsed after it, and how much
   * output the terminal parsed in between (what was already on its way when the key was pressed).
   */
  armCtrlC(): Promise<{ ms: number; chars: number }>;
}

declare global {
  interface Window {
    __benchProbe?: BenchProbe;
    /** Types a command line into the arm's shell (set by each arm). */
    __benchSend?: (text: string) => void;
  }
}

/** Runs in the page (addInitScript): defines window.__benchProbe. */
export function installProbe(): void {
  /** Output kept to match a marker or a prompt split over pieces. */
  const TAIL = 512;
  const ESCAPES = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|[\x00-\x08\x0e-\x1f\x7f]/g;
  const PROMPT = /# $/;
  const keys: { key: string; at: number }[] = [];
  const latencies: number[] = [];
  const waiters: { pattern: RegExp; since: number; resolve: (at: number) => void }[] = [];
  let tail = '';
  let armed = false;
  let total = 0;
  let ctrlC: { resolve: (result: { ms: number; chars: number }) => void; at: number | null; fed: number } | null = null;

  const probe: BenchProbe = {
    firstPromptAt: undefined,
    fed: 0,
    feed(data: string): void {
      const now = performance.now();
      total += data.length;
      probe.fed = total;
      if (keys.length > 0) {
        for (const ch of data) {
          if (keys.length > 0 && ch === keys[0]?.key) latencies.push(now - (keys.shift()?.at ?? now));
        }
      }
      tail = (tail + data.slice(-TAIL)).slice(-TAIL);
      const text = tail.replace(ESCAPES, '');
      if (probe.firstPromptAt === undefined && PROMPT.test(text)) probe.firstPromptAt = now;
      for (let i = waiters.length - 1; i >= 0; i--) {
        const waiter = waiters[i];
        // Only output fed after the wait began counts; the tail may still hold older text.
        if (waiter && total > waiter.since && waiter.pattern.test(text.slice(-Math.min(text.length, total - waiter.since)))) {
          waiters.splice(i, 1);
          waiter.resolve(now);
        }
      }
      if (ctrlC && ctrlC.at !== null && PROMPT.test(text)) {
        ctrlC.resolve({ ms: now - ctrlC.at, chars: total - ctrlC.fed });
        ctrlC = null;
      }
    },
    armKeys(): void {
      keys.length = 0;
      latencies.length = 0;
      armed = true;
    },
    keyResults() {
      armed = false;
      const result = { latencies: [...latencies], pending: keys.length };
      keys.length = 0;
      return result;
    },
    pendingKeys(): number {
      return keys.length;
    },
    waitFor(source: string): Promise<number> {
      return new Promise((resolve) => waiters.push({ pattern: new RegExp(source), since: total, resolve }));
    },
    armCtrlC(): Promise<{ ms: number; chars: number }> {
      return new Promise((resolve) => (ctrlC = { resolve, at: null, fed: 0 }));
    },
  };

  // Capture phase on window: before the terminal's own handler. The event's timeStamp is when the
  // browser received the key, so time the key waited for a busy main thread counts too.
  window.addEventListener(
    'keydown',
    (event) => {
      if (ctrlC && ctrlC.at === null && event.ctrlKey && event.key.toLowerCase() === 'c') {
        ctrlC.at = event.timeStamp;
        ctrlC.fed = total;
      }
      if (armed && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) keys.push({ key: event.key, at: event.timeStamp });
    },
    true,
  );
  window.__benchProbe = probe;
}

/**
 * Runs in WeTTY's page (addInitScript): WeTTY assigns its Terminal to window.wetty_term when its
 * socket connects; wrap its write so the probe is fed from xterm's write callback, as ours is.
 */
export function hookWetty(): void {
  interface WettyTerm {
    write(data: string | Uint8Array, callback?: () => void): void;
    input(data: string, wasUserInput?: boolean): void;
  }
  let term: WettyTerm | undefined;
  Object.defineProperty(window, 'wetty_term', {
    configurable: true,
    get: () => term,
    set: (value: WettyTerm) => {
      term = value;
      const write = value.write.bind(value);
      value.write = (data, callback) => {
        write(data, () => {
          callback?.();
          window.__benchProbe?.feed(typeof data === 'string' ? data : new TextDecoder().decode(data));
        });
      };
    },
  });
  window.__benchSend = (text) => term?.input(text, true);
}

/**
 * Runs in a page (addInitScript) that must draw with xterm's DOM renderer: without WebGL2, xterm's
 * WebGL addon cannot start (WeTTY then keeps the DOM renderer, as ours does without a GPU).
 */
export function withoutWebgl2(): void {
  const getContext = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, type: string, ...rest: unknown[]) {
    return type === 'webgl2' ? null : (getContext as (this: HTMLCanvasElement, type: string, ...rest: unknown[]) => RenderingContext | null).call(this, type, ...rest);
  } as typeof HTMLCanvasElement.prototype.getContext;
}
