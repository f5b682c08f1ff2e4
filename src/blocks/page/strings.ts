/**
 * What the blocks' controls say. The words are Starlight's i18n strings (`lab.blocks.*` in
 * src/content/i18n/<lang>.json); the page gets them as JSON (BlockControls.astro), so the eager
 * script carries no strings of its own. `{{name}}` marks a value filled in by the page; backticks
 * mark code.
 */
import type { UiStrings } from '../../terminal/strings.ts';

export interface BlockStrings {
  run: string;
  /** The Run button's accessible name: `{command}` is the block's first line. */
  runLabel: string;
  stop: string;
  runAbove: string;
  runAboveTitle: string;
  offlineTitle: string;
  /** After a block ends, for screen readers: `{command}` (its first line) and `{status}`. */
  result: string;
  resultOutput: string;
  resultNoOutput: string;
  status: {
    idle: string;
    queued: string;
    connecting: string;
    busy: string;
    running: string;
    waiting: string;
    /** After a few seconds, appended to a running status: `{seconds}`. */
    elapsed: string;
    done: string;
    expectedFailure: string;
    /** `{code}`: the exit status. */
    expectedFailureCode: string;
    failed: string;
    failedExit: string;
    failedExitWanted: string;
    failedSucceeded: string;
    failedNoStatus: string;
    failedNoMatch: string;
    /** The title of a no-match status: `{expect}` is the pattern. */
    expectTitle: string;
    timedOutRun: string;
    timedOutBusy: string;
    timedOutUntil: string;
    disconnected: string;
    stopped: string;
  };
  progress: {
    label: string;
    /** `{n}` of `{total}`, running `{command}`. */
    running: string;
    done: string;
    nothing: string;
    /** `{n}` of `{total}`, `{reason}` the failed status. */
    failed: string;
    stopped: string;
    show: string;
    stop: string;
    close: string;
  };
  offline: {
    title: string;
    text: string;
    retry: string;
  };
}

/** The nested shape from the page's flat `lab.blocks.*` strings. A key the page lacks shows as itself. */
export function blockStrings(strings: UiStrings): BlockStrings {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(strings)) {
    if (!key.startsWith('lab.blocks.')) continue;
    const path = key.slice('lab.blocks.'.length).split('.');
    let at = out;
    for (const part of path.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[path.at(-1) as string] = value;
  }
  return out as unknown as BlockStrings;
}
