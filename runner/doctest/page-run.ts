/**
 * One page's run: a fresh session (a fresh sandbox) on the runner, opened through the wire protocol
 * the page uses, and its runnable blocks typed in order into their terminals, each checked against
 * its expectations and recorded.
 */
import { DEFAULT_SIZE, LabClient, type OutputChunk } from '../client/lab-client.ts';
import type { RunningRunner } from '../client/runner-process.ts';
import type { CastEvent, CastHeader } from '../../src/blocks/recordings.ts';
import { describeMismatch, judge, outputText, plainText, type Mismatch } from '../../src/common/block-output.ts';
import type { ExtractedBlock } from '../../src/blocks/extract.ts';
import { MAIN_TERMINAL, type TopologySnapshot } from '../../src/protocol/wire.ts';
import { BlockTerminal } from './block-terminal.ts';
import type { DocPage } from './pages.ts';

/** A sandbox booted on demand takes a few seconds; on a busy machine, more. */
const SESSION_START_MS = 180_000;
/** The driver's own terminal, opened once per page to ask the sandbox's engine its version. */
const PROBE_TERMINAL = 'doctest-probe';
const PROBE_MS = 30_000;
/** A snapshot of the sandbox's network takes a fraction of a second; on a busy machine, more. */
const TOPOLOGY_MS = 30_000;

export interface PageRunOptions {
  /** After each block, ask the runner for the sandbox's network (record mode stores it). */
  topology?: boolean;
}

export interface BlockOutcome {
  page: DocPage;
  /** 0-based position in the page's runnable blocks. */
  index: number;
  block: ExtractedBlock;
  status: 'passed' | 'failed' | 'skipped';
  /** What did not hold, one line each: "exit status: expected 0, got 1". */
  failures: string[];
  exitCode: number | null;
  /** The block's output as `expect` saw it. */
  output: string;
  /** From the input to the end of the block and its `until`. */
  durationMs: number;
  recordedAt: Date;
  cast: { header: CastHeader; events: CastEvent[] };
  /** The sandbox's network after the block, when the run asked for it (PageRunOptions.topology). */
  topology?: TopologySnapshot;
}

export class PageRun {
  readonly page: DocPage;
  readonly sessionId: string;
  readonly engine: string;
  readonly #runner: RunningRunner;
  readonly #terminals = new Map<string, BlockTerminal>();
  readonly #size: { cols: number; rows: number };
  /** Why the rest of the page cannot run (a terminal that did not come back), once that happens. */
  #stuck: string | null = null;
  readonly #options: PageRunOptions;

  private constructor(runner: RunningRunner, page: DocPage, main: BlockTerminal, sessionId: string, engine: string, size: { cols: number; rows: number }, options: PageRunOptions) {
    this.#runner = runner;
    this.#options = options;
    this.page = page;
    this.sessionId = sessionId;
    this.engine = engine;
    this.#size = size;
    this.#terminals.set(MAIN_TERMINAL, main);
  }

  /** Opens a new session for `page` and waits for its shell. */
  static async open(runner: RunningRunner, page: DocPage, size: { cols: number; rows: number } = DEFAULT_SIZE, options: PageRunOptions = {}): Promise<PageRun> {
    const client = await LabClient.connect(runner.wsUrl, { token: runner.token, origin: runner.origin });
    client.hello(size);
    const welcome = await client.message('welcome', SESSION_START_MS);
    const main = new BlockTerminal(MAIN_TERMINAL, client);
    await main.ready(SESSION_START_MS);
    const engine = await probeEngine(runner, welcome.sessionId, size);
    return new PageRun(runner, page, main, welcome.sessionId, engine, size, options);
  }

  get stuck(): string | null {
    return this.#stuck;
  }

  async run(index: number): Promise<BlockOutcome> {
    const block = this.page.blocks[index] as ExtractedBlock;
    const base = { page: this.page, index, block, exitCode: null, output: '', durationMs: 0, recordedAt: new Date() };
    if (this.#stuck) return { ...base, status: 'skipped', failures: [this.#stuck], cast: this.#cast(block, [], performance.now()) };

    let terminal: BlockTerminal;
    try {
      terminal = await this.#terminal(block.data.terminal);
    } catch (error) {
      this.#stuck = `not run: terminal ${block.data.terminal} could not be opened`;
      return { ...base, status: 'failed', failures: [`terminal ${block.data.terminal} could not be opened: ${(error as Error).message}`], cast: this.#cast(block, [], performance.now()) };
    }
    const typed = await terminal.type(block.data.command, block.block);
    const stream = typed.chunks.map((chunk) => chunk.data).join('');
    const output = outputText(stream, { command: block.data.command, prompt: block.block.prompt });
    // A block that did not end as it should has no exit status to check; its output still is.
    const mismatches = blockMismatches(block, typed.exitCode, output).filter((m) => !typed.problem || m.reason === 'no-match');
    const failures = [...(typed.problem ? [typed.problem] : []), ...mismatches.map(describeMismatch)];
    let topology: TopologySnapshot | undefined;
    if (this.#options.topology) {
      try {
        topology = await this.#topology();
      } catch (error) {
        failures.push(`network snapshot after the block: ${(error as Error).message}`);
      }
    }
    if (!typed.usable) this.#stuck = `not run: terminal ${terminal.name} did not come back after block ${index + 1} (line ${block.line})`;
    return {
      ...base,
      status: failures.length ? 'failed' : 'passed',
      failures,
      exitCode: typed.exitCode,
      output,
      durationMs: typed.totalMs,
      recordedAt: new Date(performance.timeOrigin + typed.startedAt),
      cast: this.#cast(block, typed.chunks, typed.startedAt),
      ...(topology ? { topology } : {}),
    };
  }

  /**
   * The sandbox's network now: watching from the main terminal's socket sends a snapshot at once;
   * the watch ends with it, so no snapshot is taken while the next block runs.
   */
  async #topology(): Promise<TopologySnapshot> {
    const client = (this.#terminals.get(MAIN_TERMINAL) as BlockTerminal).client;
    let stop = () => {};
    const next = new Promise<TopologySnapshot>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`none came within ${TOPOLOGY_MS / 1000} s`)), TOPOLOGY_MS);
      const unlisten = client.onTopology((message) => {
        stop();
        if (message.type === 'topology') resolve(message.snapshot);
        else reject(new Error(message.message));
      });
      stop = () => {
        clearTimeout(timer);
        unlisten();
      };
    });
    client.watchTopology(true);
    try {
      return await next;
    } finally {
      stop();
      if (client.socket.readyState === client.socket.OPEN) client.watchTopology(false);
    }
  }

  #cast(block: ExtractedBlock, chunks: OutputChunk[], startedAt: number): BlockOutcome['cast'] {
    return {
      header: {
        version: 2,
        width: this.#size.cols,
        height: this.#size.rows,
        timestamp: Math.round((performance.timeOrigin + startedAt) / 1000),
        title: `${this.page.slug}: ${block.data.command.split('\n')[0]}`,
        env: { TERM: 'xterm-256color', SHELL: '/bin/bash' },
      },
      events: chunks.map((chunk): CastEvent => [Math.round(chunk.at - startedAt) / 1000, 'o', chunk.data]),
    };
  }

  async #terminal(name: string): Promise<BlockTerminal> {
    let terminal = this.#terminals.get(name);
    if (!terminal) {
      const runner = this.#runner;
      const client = await LabClient.joinTerminal(runner.wsUrl, { token: runner.token, origin: runner.origin, sessionId: this.sessionId, terminal: name, ...this.#size });
      terminal = new BlockTerminal(name, client);
      await terminal.ready(PROBE_MS);
      this.#terminals.set(name, terminal);
    }
    return terminal;
  }

  /** Ends the session (as Reset does): the runner removes the sandbox with everything in it. */
  async close(): Promise<void> {
    const main = this.#terminals.get(MAIN_TERMINAL)?.client;
    if (main && main.socket.readyState === main.socket.OPEN) {
      main.send({ type: 'reset' });
      await main.closed;
    }
    await Promise.all([...this.#terminals.values()].map((t) => (t.client.socket.readyState === t.client.socket.CLOSED ? null : t.client.close())));
  }
}

/** The block's claims that its exit status and output do not bear out (block-output's judgement, as the page's). */
export function blockMismatches(block: ExtractedBlock, exitCode: number | null, output: string): Mismatch[] {
  const judgement = judge(block.block, { exitCode, output });
  return judgement.kind === 'failed' ? judgement.mismatches : [];
}

/** The version of the sandbox's Docker engine, asked in a terminal of the driver's own that then exits. */
async function probeEngine(runner: RunningRunner, sessionId: string, size: { cols: number; rows: number }): Promise<string> {
  const probe = await LabClient.joinTerminal(runner.wsUrl, { token: runner.token, origin: runner.origin, sessionId, terminal: PROBE_TERMINAL, ...size });
  try {
    const { exitCode, output } = await probe.run(`docker version --format '{{.Server.Version}}'`, PROBE_MS);
    const version = /^(\d+\.\d+\.\d+\S*)\s*$/m.exec(plainText(output))?.[1];
    if (exitCode !== 0 || !version) throw new Error(`could not read the sandbox's engine version: ${plainText(output).trim()}`);
    return version;
  } finally {
    probe.type('exit\r');
    await probe.closed;
  }
}
