/**
 * Runs one runnable block in a terminal of the page's session and says how it ended. No DOM: it
 * types into a BlockTerminal and reads what comes back. Loaded with the terminal, on the first Run.
 *
 * How a block is typed, where it ends, what its output is and whether it passed are decided by
 * src/common/block-output.ts, the module the doc-tests use too; this file waits for it, with a
 * deadline and the reader's Stop:
 * - `timeout` bounds the block and its `until` together; a block that outlives it is interrupted;
 * - `until` is re-run visibly in the same terminal until it succeeds.
 */
import type { RunnableBlockData } from '../runnable.ts';
import type { BlockTerminal, TerminalOutput } from '../../terminal/terminal-api.ts';
import { BlockWatch, INTERRUPT, judge, typedInput, untilLoop, type BlockEnd, type Judgement } from '../../common/block-output.ts';

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
  /** The block's output as plain text (block-output's), once it ended, stopped or timed out. */
  onOutput?(output: string): void;
}

/** The terminal has this long to connect (a sandbox boots in seconds, a cold one in tens). */
const CONNECT_TIMEOUT_MS = 120_000;

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
      if (block.prompt === null && !this.#terminal.atShellPrompt) {
        // A command of the reader's (or another block) still runs: wait for bash's prompt.
        this.#options.onPhase('busy');
        await this.#waitFor(() => this.#terminal.atShellPrompt, Date.now() + timeoutMs, () => ({ kind: 'failed', reason: 'timeout', seconds: block.timeout, phase: 'busy' }));
      }
      this.#deadline = Date.now() + timeoutMs;
      this.#options.onPhase('running');
      const prompt = block.prompt === null ? null : new RegExp(block.prompt, 'm');
      const ran = await this.#typeBlock(block.command, prompt, 'run');
      if (ran.end.kind === 'exited') return { kind: 'failed', reason: 'exit', exitCode: ran.end.exitCode, expected: 0 };
      const verdict = outcomeOf(judge(block, { exitCode: ran.end.kind === 'finished' ? ran.end.exitCode : null, output: ran.output }));
      if (verdict.kind !== 'done' || block.until === null) return verdict;
      this.#options.onPhase('waiting');
      const waited = await this.#typeBlock(untilLoop(block.until), prompt, 'until');
      return waited.end.kind === 'prompt' || waited.end.exitCode === 0 ? verdict : { kind: 'failed', reason: 'exit', exitCode: waited.end.exitCode, expected: 0 };
    } catch (error) {
      if (error instanceof Interrupted) return error.outcome;
      throw error;
    }
  }

  dispose(): void {
    for (const dispose of this.#disposers.splice(0)) dispose();
  }

  /**
   * Types a block into whatever reads the terminal (bash at its prompt takes a paste, a program
   * keys) and waits until block-output says it ended: bash's marks, or the program's prompt.
   */
  async #typeBlock(command: string, prompt: RegExp | null, phase: 'run' | 'until'): Promise<{ end: BlockEnd; output: string }> {
    const atShell = this.#terminal.atShellPrompt;
    const watch = new BlockWatch({ command, prompt }, atShell);
    let next: number | null = null;
    const stop = this.#terminal.onOutput(({ data, seq, end }: TerminalOutput) => {
      // A gap (a resumed session that lost output): keep the text as it came, with the gap as blanks.
      const gap = next === null ? 0 : Math.max(0, seq - next);
      next = end;
      watch.feed(''.padEnd(gap, ' ') + data);
    });
    this.#disposers.push(stop);
    try {
      this.#type(typedInput(command, atShell));
      // Ctrl-C stops a command in bash or a loop in a container's sh; typed into a program's own
      // prompt (redis-cli) it would quit the program, so a block typed there is left as it is.
      await this.#waitFor(() => watch.end !== null, this.#deadline, () => this.#timedOut(phase, atShell || prompt === null || phase === 'until'));
    } finally {
      stop();
      if (phase === 'run') this.#options.onOutput?.(watch.output);
    }
    return { end: watch.end as BlockEnd, output: watch.output };
  }

  #type(data: string): void {
    this.#typed = true;
    this.#terminal.input(data);
  }

  /** Ends a block that outlived its timeout: Ctrl-C, when `interrupt` (see #typeBlock). */
  #timedOut(phase: 'run' | 'until', interrupt: boolean): BlockOutcome {
    if (interrupt) this.#terminal.input(INTERRUPT);
    return { kind: 'failed', reason: 'timeout', seconds: this.#block.timeout, phase };
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

/** The page's words for block-output's judgement: the first claim that did not hold. */
function outcomeOf(judgement: Judgement): BlockOutcome {
  if (judgement.kind !== 'failed') return judgement;
  const [first] = judgement.mismatches;
  return { kind: 'failed', ...first };
}
