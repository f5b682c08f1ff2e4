/**
 * One terminal of a page's session, as the doc-tests type into it. It knows whether the lab shell
 * waits for a command line (its OSC 133 marks say so) or a program runs in it (a block ended at
 * that program's prompt). How a block is typed, where it ends and its `until` loop are
 * src/common/block-output.ts's, as on the page:
 * - typed into the lab shell: the shell's command-finished mark, with the exit status;
 * - with `prompt=`: that prompt on the terminal's last line;
 * - with `until=`: then the condition, re-run in the same terminal until it exits 0.
 * A block that outlives its timeout gets Ctrl-C, as a reader's Stop button sends.
 */
import { LabClient, type OutputChunk } from '../client/lab-client.ts';
import { BlockWatch, showsPrompt, typedInput, untilLoop, type BlockEnd } from '../../src/common/block-output.ts';
import type { RunnableBlock } from '../../src/blocks/runnable.ts';

/** After Ctrl-C, how long the terminal has to show a prompt again before it counts as stuck. */
const RECOVER_MS = 10_000;
/** How long a shell that just finished a command has to print its next prompt. */
const PROMPT_MS = 10_000;

export interface TypedBlock {
  /** Output of the terminal from the block's input to its end (`until` not included). */
  chunks: OutputChunk[];
  /** performance.now() when the block was typed. */
  startedAt: number;
  /** ms from the input to the end of the block and its `until`. */
  totalMs: number;
  exitCode: number | null;
  /** What went wrong on the way, if anything (a timeout, a program that exited, …); null when the block ended normally. */
  problem: string | null;
  /** False when the terminal did not come back to a prompt after a problem: later blocks cannot run in it. */
  usable: boolean;
}

export class BlockTerminal {
  readonly name: string;
  readonly client: LabClient;
  /** The prompt of the program the last block left running, or null at the lab shell. */
  #program: RegExp | null = null;

  constructor(name: string, client: LabClient) {
    this.name = name;
    this.client = client;
  }

  /** Waits for the lab shell's first prompt. */
  async ready(timeoutMs: number): Promise<void> {
    await this.client.until(() => this.client.atShellPrompt, timeoutMs, `the first prompt of terminal ${this.name}`);
  }

  async type(code: string, block: RunnableBlock): Promise<TypedBlock> {
    const client = this.client;
    const deadline = performance.now() + block.timeout * 1000;
    const state = await this.#settle();
    await client.parsed();
    if (state === 'busy') return this.#refused(`terminal ${this.name} is still busy with an earlier command`);
    if (state === 'program' && !block.prompt) {
      return this.#refused(`terminal ${this.name} runs a program (an earlier block ended at its prompt), and this block has no prompt= to say when it ends`);
    }
    const atShell = state === 'shell';

    const chunks: OutputChunk[] = [];
    const startOffset = client.offset;
    const startMark = client.marks.length;
    const startedAt = performance.now();
    let end: BlockEnd;
    try {
      end = await this.#typeBlock(code, block.prompt, atShell, deadline, (chunk) => chunks.push(chunk));
    } catch {
      return this.#timedOut(chunks, startedAt, block);
    }
    // `end.at` is in the block's text (what BlockWatch was fed: these chunks' text, in order).
    const own = cutAt(chunks, end.at);
    if (end.kind === 'exited') {
      this.#program = null;
      const problem = `the program exited with status ${end.exitCode} before its prompt /${block.prompt?.source}/ appeared`;
      return { chunks: own, startedAt, totalMs: performance.now() - startedAt, exitCode: end.exitCode, problem, usable: true };
    }
    // A block with prompt= leaves the terminal in a program, unless the lab shell printed its prompt again.
    if (block.prompt) this.#program = client.atShellPrompt && client.marks.length > startMark && (client.lastMark?.at ?? 0) > startOffset ? null : block.prompt;
    const exitCode = end.kind === 'finished' ? end.exitCode : null;
    const waited = block.until ? await this.#until(block.until, deadline) : null;
    return { chunks: own, startedAt, totalMs: performance.now() - startedAt, exitCode, problem: waited?.problem ?? null, usable: waited?.usable ?? true };
  }

  /**
   * Types `code` as block-output says (a paste at the lab shell, keys in a program) and resolves
   * when it has ended there; rejects at the deadline. `onChunk` gets the block's output as it comes.
   */
  async #typeBlock(code: string, prompt: RegExp | null, atShell: boolean, deadline: number, onChunk?: (chunk: OutputChunk) => void): Promise<BlockEnd> {
    const client = this.client;
    const watch = new BlockWatch({ command: code, prompt }, atShell);
    const stop = client.onOutput((chunk) => {
      onChunk?.(chunk);
      watch.feed(chunk.data);
    });
    try {
      client.type(typedInput(code, atShell));
      await client.until(() => watch.end !== null, remaining(deadline), prompt ? `the prompt ${prompt}` : 'the end of the command');
    } finally {
      stop();
    }
    return watch.end as BlockEnd;
  }

  /** Where the terminal is: at the lab shell's prompt, in a program, or busy; waits for a prompt the shell is printing. */
  async #settle(): Promise<'shell' | 'program' | 'busy'> {
    if (this.#program) return 'program';
    const last = this.client.lastMark?.kind;
    if (last === 'command-finished' || last === 'prompt-start') {
      await this.client.until(() => this.client.atShellPrompt, PROMPT_MS, `the prompt of terminal ${this.name}`).catch(() => {
        // Reported below as a busy terminal.
      });
    }
    return this.client.atShellPrompt ? 'shell' : 'busy';
  }

  /** Re-runs `condition` until it exits 0, as block-output's loop, typed into the terminal and ended as a block is. */
  async #until(condition: string, deadline: number): Promise<{ problem: string; usable: boolean } | null> {
    const client = this.client;
    await client.parsed();
    const fromMark = client.marks.length;
    const program = this.#program;
    try {
      const end = await this.#typeBlock(untilLoop(condition), program, program === null, deadline);
      if (end.kind === 'finished' && end.exitCode !== 0) return { problem: `until: the loop ended with exit status ${end.exitCode}`, usable: true };
      return null;
    } catch {
      const usable = await this.#interrupt(fromMark);
      return { problem: `until: the condition \`${condition}\` did not exit 0 in time`, usable };
    }
  }

  /** Ctrl-C, then waits for a prompt on a line of its own: the shell's marks, or the program's prompt. */
  async #interrupt(fromMark: number): Promise<boolean> {
    const client = this.client;
    const from = client.output.length;
    client.interrupt();
    const program = this.#program;
    const prompted = program
      ? () => {
          const since = client.outputSince(from);
          return since.includes('\n') && showsPrompt(since, program);
        }
      : () => client.marks.slice(fromMark).some((m) => m.kind === 'command-finished') && client.atShellPrompt;
    return client.until(prompted, RECOVER_MS, 'a prompt after Ctrl-C').then(
      () => true,
      () => false,
    );
  }

  async #timedOut(chunks: OutputChunk[], startedAt: number, block: RunnableBlock): Promise<TypedBlock> {
    const client = this.client;
    const what = block.prompt ? `its prompt /${block.prompt.source}/` : 'the end of the command';
    const closed = client.socket.readyState !== client.socket.OPEN;
    const usable = closed ? false : await this.#interrupt(client.marks.length);
    if (!usable) this.#program = null;
    const ms = performance.now() - startedAt;
    const problem = closed ? `the terminal closed while waiting for ${what}` : `${what} did not come within ${block.timeout} s; sent Ctrl-C`;
    return { chunks, startedAt, totalMs: ms, exitCode: null, problem, usable };
  }

  #refused(problem: string): TypedBlock {
    return { chunks: [], startedAt: performance.now(), totalMs: 0, exitCode: null, problem, usable: true };
  }
}

function remaining(deadline: number): number {
  return Math.max(1, deadline - performance.now());
}

/**
 * The chunks up to index `end` (exclusive) of their text joined, the last one cut there. Its
 * bytes are left whole: the recordings and reports read the text.
 */
function cutAt(chunks: OutputChunk[], end: number): OutputChunk[] {
  const out: OutputChunk[] = [];
  let at = 0;
  for (const chunk of chunks) {
    if (at >= end) break;
    out.push(at + chunk.data.length <= end ? chunk : { ...chunk, data: chunk.data.slice(0, end - at) });
    at += chunk.data.length;
  }
  return out;
}
