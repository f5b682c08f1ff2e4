/**
 * One terminal of a session: a node-pty shell inside the session's sandbox, its numbered output
 * kept in a bounded replay buffer, and end-to-end flow control towards the one client attached.
 */
import * as pty from 'node-pty';
import { DisposableStore, MutableDisposable, toDisposable, type Disposable } from '../src/common/lifecycle.ts';
import { FlowControl, SendWindow } from '../src/protocol/flow.ts';
import { MAX_PENDING_INPUT_BYTES, type CloseCode, type ServerMessage } from '../src/protocol/wire.ts';
import { ReplayBuffer, type Replay } from './replay-buffer.ts';
import { ShellMarkReader } from '../src/protocol/shell-marks.ts';
import type { ShellCommand } from './sandbox/provider.ts';

/**
 * Output kept for replay, per terminal. Larger than the flow-control window plus a pty read, so a
 * client that reconnects from the last offset it acknowledged always finds everything it missed:
 * with no client attached the window fills and the pty pauses long before this is reached.
 */
export const REPLAY_LIMIT = 4 * FlowControl.highWatermark;

/**
 * Output goes out in frames of up to this size: bulk output travels in few large frames (fewer to
 * encode, send, decode, write and acknowledge; node-pty hands it over ~4 KB a read, one read a turn
 * of the event loop), while output after a quiet spell, such as an echo, leaves in the same turn
 * it was read, never waiting for company.
 */
export const MAX_OUTPUT_FRAME = 64 * 1024;
/** Output that follows other output within this time is held at most this long to fill a frame. */
export const OUTPUT_COALESCE_MS = 2;

/** Where a terminal sends what the client should see: one socket, seen through the protocol. */
export interface TerminalClient {
  send(message: ServerMessage): void;
  close(code: CloseCode, reason: string): void;
}

export interface TerminalHooks {
  onExit(exitCode: number | null): void;
  /** A command ended in this shell (its OSC 133 D mark). */
  onCommandFinished?(): void;
}

export class Terminal implements Disposable {
  readonly #pty: pty.IPty;
  readonly #replay = new ReplayBuffer(REPLAY_LIMIT);
  readonly #window = new SendWindow();
  #client: TerminalClient | null = null;
  #exitCode: number | null | undefined = undefined;
  /** Output read but not yet sent (see MAX_OUTPUT_FRAME). */
  #pending: string[] = [];
  #pendingLength = 0;
  /** The scheduled send of pending output, when one is scheduled. */
  readonly #flush = new MutableDisposable();
  /** The pty's listeners and the scheduled send: released by dispose(). */
  readonly #store = new DisposableStore();
  /** When output was last sent (performance.now()); output soon after is flowing, and coalesced. */
  #lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(command: ShellCommand, size: { cols: number; rows: number }, hooks: TerminalHooks) {
    this.#pty = pty.spawn(command.file, command.args, {
      name: 'xterm-256color',
      cols: size.cols,
      rows: size.rows,
      cwd: command.cwd ?? process.cwd(),
      env: command.env,
    });
    this.#store.add(this.#flush);
    this.#store.add(this.#pty.onData((data) => {
      this.#pending.push(data);
      this.#pendingLength += data.length;
      if (this.#pendingLength >= MAX_OUTPUT_FRAME) this.#sendPending();
      else if (!this.#flush.value) this.#scheduleSend();
    }));
    if (hooks.onCommandFinished) {
      const marks = new ShellMarkReader();
      const finished = hooks.onCommandFinished;
      this.#store.add(this.#pty.onData((data) => {
        if (marks.feed(data, 0).some((mark) => mark.kind === 'command-finished')) finished();
      }));
    }
    this.#store.add(this.#pty.onExit(({ exitCode }) => {
      this.#sendPending(); // the last output before the end
      this.#exitCode = exitCode;
      hooks.onExit(exitCode);
    }));
  }

  #sendPending(): void {
    this.#flush.clear();
    if (this.#pendingLength === 0) return;
    this.#lastSentAt = performance.now();
    const data = this.#pending.length === 1 ? (this.#pending[0] as string) : this.#pending.join('');
    this.#pending = [];
    this.#pendingLength = 0;
    const seq = this.#replay.append(data);
    this.#client?.send({ type: 'output', seq, data });
    // With no client attached the output still counts as in flight: the pty pauses once the
    // window is full, so nothing a reconnecting client has not acknowledged is ever dropped.
    if (this.#window.sent(seq + data.length) && !this.#exited) this.#pty.pause();
  }

  get #exited(): boolean {
    return this.#exitCode !== undefined;
  }

  /**
   * Makes `client` the one that receives output, from `lastSeq` on, in place of any other.
   * Returns where the replay starts; the caller sends the welcome first, then calls `replay()`.
   */
  attach(client: TerminalClient, lastSeq: number): Replay {
    this.#client = client;
    const replay = this.#replay.since(lastSeq);
    if (this.#window.restart(replay.from)) this.#pty.resume();
    return replay;
  }

  /** Sends the replayed chunks to the attached client and counts them in flight. */
  replay(replay: Replay): void {
    for (const chunk of replay.chunks) this.#client?.send({ type: 'output', ...chunk });
    if (this.#window.sent(this.#replay.end) && !this.#exited) this.#pty.pause();
  }

  detach(client: TerminalClient): boolean {
    if (this.#client !== client) return false;
    this.#client = null;
    return true;
  }

  /**
   * Writes input to the shell. False, and nothing written, when more than MAX_PENDING_INPUT_BYTES
   * would then wait for a shell that is not reading.
   */
  write(data: string): boolean {
    if (this.#exited) return true;
    if (this.pendingInput + Buffer.byteLength(data) > MAX_PENDING_INPUT_BYTES) return false;
    try {
      this.#pty.write(data);
    } catch {
      // The shell is exiting (its pty is closed, onExit not yet called): nobody reads this input.
    }
    return true;
  }

  /**
   * Input written but not yet taken by the pty: node-pty queues what the pty's kernel buffer
   * cannot take (it has no public accessor for it; 0 if its internals change).
   */
  get pendingInput(): number {
    const queue = (this.#pty as unknown as { _writeStream?: { _writeQueue?: { buffer: Uint8Array; offset: number }[] } })._writeStream?._writeQueue;
    let pending = 0;
    for (const task of queue ?? []) pending += task.buffer.length - task.offset;
    return pending;
  }

  resize(cols: number, rows: number): void {
    if (this.#exited) return;
    try {
      this.#pty.resize(cols, rows);
    } catch {
      // EBADF: the shell exited and its pty closed a moment before onExit reports it.
    }
  }

  ack(upTo: number): void {
    if (this.#window.acked(upTo) && !this.#exited) this.#pty.resume();
  }

  /** Right after this turn when output was quiet; a moment later while it flows, to fill a frame. */
  #scheduleSend(): void {
    if (performance.now() - this.#lastSentAt > OUTPUT_COALESCE_MS) {
      const immediate = setImmediate(() => this.#sendPending());
      this.#flush.value = toDisposable(() => clearImmediate(immediate));
    } else {
      const timer = setTimeout(() => this.#sendPending(), OUTPUT_COALESCE_MS);
      this.#flush.value = toDisposable(() => clearTimeout(timer));
    }
  }

  /** Stops the shell; its exit is no longer reported (the session that owns it has let it go). */
  dispose(): void {
    this.#store.dispose();
    this.#client = null;
    if (this.#exited) return;
    try {
      this.#pty.kill();
    } catch {
      // The process exited between the check and the kill; nothing left to stop.
    }
  }
}
