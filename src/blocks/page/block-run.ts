/**
 * Runs one runnable block in a terminal of the page's session and says how it ended. No DOM: it
 * types into a BlockTerminal and reads what comes back. Loaded with the terminal, on the first Run.
 *
 * How a block ends:
 * - typed into the lab's bash (no `prompt`): bash's own OSC 133 marks, command-executed then
 *   command-finished with the exit status. The block is pasted as bash takes a paste (bracketed:
 *   ESC[200~ … ESC[201~, then Enter), so a multi-line loop or heredoc runs whole, as one command.
 * - typed into an interactive program (`prompt`: `redis-cli`, a container's `sh`): the prompt
 *   pattern matching the end of what the terminal shows after the typed line. Those programs do
 *   not know bracketed paste, so the block is typed as keys.
 * - `timeout` bounds the block and its `until` together; a block that outlives it is interrupted.
 *
 * `expect` is matched against the block's output as text (escape sequences removed, carriage
 * returns applied); `until` is re-run visibly in the same terminal until it succeeds.
 */
import type { RunnableBlockData } from '../runnable.ts';
import type { BlockTerminal, TerminalOutput } from '../../terminal/terminal-api.ts';

/** How a run ended; the page words each in its language (see block-controls.ts). */
export type BlockOutcome =
  | { kind: 'done' }
  /** `exit=nonzero` and the command failed, as the page says it does. */
  | { kind: 'expected-failure'; exitCode: number | null }
  | { kind: 'failed'; reason: 'exit'; exitCode: number | null; expected: number | 'nonzero' }
  | { kind: 'failed'; reason: 'no-match'; expect: string }
  /** `phase`: waiting for the shell's prompt, running the block, or waiting for `until`. */
  | { kind: 'failed'; reason: 'timeout'; seconds: number; phase: 'busy' | 'run' | 'until' }
  /** The terminal ended or could not connect. */
  | { kind: 'failed'; reason: 'disconnected' }
  | { kind: 'stopped' };

/** What the run is doing now, for the block's status. */
export type RunPhase = 'connecting' | 'busy' | 'running' | 'waiting';

export interface RunOptions {
  signal: AbortSignal;
  onPhase(phase: RunPhase): void;
}

/** The terminal has this long to connect (a sandbox boots in seconds, a cold one in tens). */
const CONNECT_TIMEOUT_MS = 120_000;
/** Ctrl-C, as the terminal sends it. */
export const INTERRUPT = '\x03';
const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

export async function runBlock(block: RunnableBlockData, terminal: BlockTerminal, options: RunOptions): Promise<BlockOutcome> {
  const run = new BlockRun(block, terminal, options);
  try {
    return await run.execute();
  } finally {
    run.dispose();
  }
}

/** A wait that ended the run early (timeout, Stop, the terminal gone), with how the run ended. */
class Interrupted extends Error {
  readonly outcome: BlockOutcome;

  constructor(outcome: BlockOutcome) {
    super(outcome.kind);
    this.outcome = outcome;
  }
}

class BlockRun {
  readonly #block: RunnableBlockData;
  readonly #terminal: BlockTerminal;
  readonly #options: RunOptions;
  readonly #disposers: (() => void)[] = [];
  /** The block's deadline once it is typed (ms since the epoch). */
  #deadline = 0;
  /** Something was typed: Stop interrupts it. */
  #typed = false;
  readonly #generation: number;

  constructor(block: RunnableBlockData, terminal: BlockTerminal, options: RunOptions) {
    this.#block = block;
    this.#terminal = terminal;
    this.#options = options;
    this.#generation = terminal.generation;
  }

  async execute(): Promise<BlockOutcome> {
    const block = this.#block;
    const timeoutMs = block.timeout * 1000;
    try {
      this.#options.onPhase('connecting');
      await this.#waitFor(() => this.#terminal.condition === 'live', Date.now() + CONNECT_TIMEOUT_MS, () => ({ kind: 'failed', reason: 'disconnected' }));
      const prompt = block.prompt === null ? null : new RegExp(block.prompt, 'm');
      if (prompt === null && !this.#terminal.atShellPrompt) {
        // A command of the reader's (or another block) still runs: wait for bash's prompt.
        this.#options.onPhase('busy');
        await this.#waitFor(() => this.#terminal.atShellPrompt, Date.now() + timeoutMs, () => ({ kind: 'failed', reason: 'timeout', seconds: block.timeout, phase: 'busy' }));
      }
      this.#deadline = Date.now() + timeoutMs;
      this.#options.onPhase('running');
      const ran = prompt ? await this.#untilPrompt(block.command, prompt, 'run') : await this.#inBash(block.command, 'run');
      if (prompt && ran.exitCode !== null) return { kind: 'failed', reason: 'exit', exitCode: ran.exitCode, expected: 0 };
      const verdict = judge(block, ran);
      if (verdict.kind !== 'done' || block.until === null) return verdict;
      this.#options.onPhase('waiting');
      const check = untilLoop(block.until);
      const waited = prompt ? await this.#untilPrompt(check, prompt, 'until') : await this.#inBash(check, 'until');
      return waited.exitCode === null || waited.exitCode === 0 ? verdict : { kind: 'failed', reason: 'exit', exitCode: waited.exitCode, expected: 0 };
    } catch (error) {
      if (error instanceof Interrupted) return error.outcome;
      throw error;
    }
  }

  dispose(): void {
    for (const dispose of this.#disposers.splice(0)) dispose();
  }

  /** Pastes a command line into bash and waits for its marks: executed, then finished. */
  async #inBash(command: string, phase: 'run' | 'until'): Promise<{ exitCode: number | null; output: string }> {
    const capture = this.#capture();
    const seen: { executedAt: number | null; finished: { at: number; exitCode: number | null } | null } = { executedAt: null, finished: null };
    const stop = this.#terminal.onOutput(({ marks }) => {
      for (const mark of marks) {
        if (mark.kind === 'command-executed' && seen.executedAt === null) seen.executedAt = mark.at;
        if (mark.kind === 'command-finished' && seen.executedAt !== null && seen.finished === null) seen.finished = { at: mark.at, exitCode: mark.exitCode };
      }
    });
    try {
      this.#type(`${PASTE_START}${command}${PASTE_END}\r`);
      await this.#waitFor(() => seen.finished !== null, this.#deadline, () => this.#timedOut(phase, true));
    } finally {
      stop();
      capture.stop();
    }
    const { executedAt, finished } = seen;
    if (finished === null) throw new Error('unreachable: the wait ended without the command-finished mark');
    return { exitCode: finished.exitCode, output: outputText(capture.between(executedAt ?? finished.at, finished.at)) };
  }

  /**
   * Types a line into whatever reads the terminal (bash, or a program such as redis-cli) and waits
   * for the program's prompt at the end of what follows the line. Typed into bash, a line that
   * bash runs to its end instead (a program that would not start, a line meant for a program that
   * was not running) ends the block with its exit status.
   */
  async #untilPrompt(command: string, prompt: RegExp, phase: 'run' | 'until'): Promise<{ exitCode: number | null; output: string }> {
    const capture = this.#capture();
    // Bash at its prompt takes a paste; a program gets keys, one line at a time.
    const atBash = this.#terminal.atShellPrompt;
    const typed = atBash ? `${PASTE_START}${command}${PASTE_END}\r` : `${command.split('\n').join('\r')}\r`;
    const seen: { output: string | null; executed: boolean; exitCode: number | null } = { output: null, executed: false, exitCode: null };
    const check = ({ marks }: TerminalOutput) => {
      for (const mark of marks) {
        if (!atBash) break;
        if (mark.kind === 'command-executed') seen.executed = true;
        if (mark.kind === 'command-finished' && seen.executed && seen.output === null) {
          seen.exitCode = mark.exitCode;
          seen.output = '';
          return;
        }
      }
      // Only what follows the typed line counts: the echo of the line, and the prompt it was
      // typed at, come before its first newline.
      const text = outputText(capture.text());
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      const after = text.slice(newline + 1);
      const match = lastMatch(after, prompt);
      if (match !== null) seen.output = after.slice(0, match);
    };
    const stop = this.#terminal.onOutput(check);
    try {
      this.#type(typed);
      await this.#waitFor(() => seen.output !== null, this.#deadline, () => this.#timedOut(phase, atBash || phase === 'until'));
    } finally {
      stop();
      capture.stop();
    }
    return { exitCode: seen.exitCode, output: seen.output ?? '' };
  }

  #type(data: string): void {
    this.#typed = true;
    this.#terminal.input(data);
  }

  /**
   * Ends a block that outlived its timeout. Ctrl-C stops a command in bash or a loop in a
   * container's sh; typed into a program's own prompt (redis-cli) it would quit the program, so a
   * block typed there is left as it is.
   */
  #timedOut(phase: 'run' | 'until', interrupt: boolean): BlockOutcome {
    if (interrupt) this.#terminal.input(INTERRUPT);
    return { kind: 'failed', reason: 'timeout', seconds: this.#block.timeout, phase };
  }

  /** Everything the terminal shows from now on, with offsets, until stopped. */
  #capture(): { text(): string; between(from: number, to: number): string; stop(): void } {
    let raw = '';
    let start: number | null = null;
    const stop = this.#terminal.onOutput(({ data, seq }: TerminalOutput) => {
      if (start === null) start = seq;
      else if (seq !== start + raw.length) {
        // A gap (a resumed session that lost output): keep offsets right, the text as it came.
        raw += ''.padEnd(Math.max(0, seq - start - raw.length), ' ');
      }
      raw += data;
    });
    this.#disposers.push(stop);
    return {
      text: () => raw,
      between: (from, to) => (start === null ? '' : raw.slice(Math.max(0, from - start), Math.max(0, to - start))),
      stop,
    };
  }

  /**
   * Resolves when `condition` holds (checked on every change of the terminal), or throws
   * Interrupted when the deadline passes, the reader stops the run, or the terminal goes away.
   */
  #waitFor(condition: () => boolean, deadline: number, onTimeout: () => BlockOutcome): Promise<void> {
    const { signal } = this.#options;
    return new Promise<void>((resolve, reject) => {
      const cleanups: (() => void)[] = [];
      const finish = (outcome: BlockOutcome | null) => {
        for (const cleanup of cleanups.splice(0)) cleanup();
        if (outcome === null) resolve();
        else reject(new Interrupted(outcome));
      };
      const check = () => {
        if (condition()) return finish(null);
        if (signal.aborted) return finish(this.#stopped());
        const terminal = this.#terminal;
        if (terminal.condition === 'gone' || terminal.generation !== this.#generation) return finish({ kind: 'failed', reason: 'disconnected' });
      };
      const timer = setTimeout(() => finish(onTimeout()), Math.max(0, deadline - Date.now()));
      const onAbort = () => check();
      signal.addEventListener('abort', onAbort);
      cleanups.push(
        () => clearTimeout(timer),
        () => signal.removeEventListener('abort', onAbort),
        this.#terminal.onChange(check),
        this.#terminal.onOutput(check),
      );
      check();
    });
  }

  /** The reader pressed Stop: Ctrl-C to the block's terminal, once the block was typed into it. */
  #stopped(): BlockOutcome {
    if (this.#typed) this.#terminal.input(INTERRUPT);
    return { kind: 'stopped' };
  }
}

/** Checks a finished block against its page's expectations. */
export function judge(block: Pick<RunnableBlockData, 'exit' | 'expect'>, ran: { exitCode: number | null; output: string }): BlockOutcome {
  const { exit, expect } = block;
  const failedAsExpected = exit === 'nonzero' && ran.exitCode !== null && ran.exitCode !== 0;
  if (exit === 'nonzero' && !failedAsExpected) return { kind: 'failed', reason: 'exit', exitCode: ran.exitCode, expected: 'nonzero' };
  if (typeof exit === 'number' && ran.exitCode !== exit) return { kind: 'failed', reason: 'exit', exitCode: ran.exitCode, expected: exit };
  if (expect !== null && !new RegExp(expect, 'm').test(ran.output)) return { kind: 'failed', reason: 'no-match', expect };
  return failedAsExpected ? { kind: 'expected-failure', exitCode: ran.exitCode } : { kind: 'done' };
}

/**
 * The `until` check as a loop the reader sees run: it retries every second, quietly, until the
 * condition holds. POSIX, so it runs in bash and in a container's busybox sh alike.
 */
export function untilLoop(condition: string): string {
  return `until { ${condition}; } >/dev/null 2>&1; do sleep 1; done`;
}

/** Offset in `text` where the last match of `pattern` that ends the text starts, or null. */
function lastMatch(text: string, pattern: RegExp): number | null {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  let found: number | null = null;
  for (const match of text.matchAll(global)) {
    if (match.index + match[0].length === text.length || /^\s*$/.test(text.slice(match.index + match[0].length))) found = match.index;
    if (match[0].length === 0) break;
  }
  return found;
}

const OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
const CSI = /\x1b\[[0-?]*[ -/]*[@-~]/g;
/** Two-character escapes (ESC 7, ESC M, charset selection ESC ( B) and stray controls. */
const OTHER = /\x1b[()*+][0-9A-Za-z]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]/g;
/** At the start of a line after a carriage return: erase the line (what redis-cli redraws with). */
const ERASE_LINE = /^\x1b\[[02]?K/;

/**
 * Terminal output as the text a reader sees: escape sequences removed, and a carriage return
 * going back to the start of its line, so a line a program redrew (a prompt, a progress count)
 * reads as it was left. Lines end in \n.
 */
export function outputText(raw: string): string {
  return raw
    .replace(OSC, '')
    .replace(/\r*\n/g, '\n')
    .split('\n')
    .map((line) => {
      let shown = '';
      for (const segment of line.split('\r')) {
        const text = segment.replace(CSI, '').replace(OTHER, '');
        shown = ERASE_LINE.test(segment) ? text : text + shown.slice(text.length);
      }
      return shown;
    })
    .join('\n');
}
