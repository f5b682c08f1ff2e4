/**
 * One terminal of a session: a node-pty shell inside the session's sandbox, its numbered output
 * kept in a bounded replay buffer, and end-to-end flow control towards the one client attached.
 * Output stays the pty's bytes from the read to the socket: numbered in bytes, sent in binary
 * frames (wire.ts), never decoded here.
 */
import * as pty from 'node-pty';
import { DisposableStore, MutableDisposable, toDisposable, type Disposable } from '../src/common/lifecycle.ts';
import { FlowControl, SendWindow } from '../src/protocol/flow.ts';
import { encodeOutputFrame, MAX_PENDING_INPUT_BYTES, outputFramePayload, type CloseCode, type ServerMessage } from '../src/protocol/wire.ts';
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
  /** An output frame, as wire.ts's encodeOutputFrame made it. */
  sendOutput(frame: Uint8Array): void;
  close(code: CloseCode, reason: string): void;
}

/**
 * A read-only watcher of a terminal (the facilitator's mirror): it gets the same output frames as
 * the client, and takes no part in flow control. One that cannot keep up is its own to drop.
 */
export interface TerminalObserver {
  /** Called once, first: output frames follow from byte offset `seq`. */
  start(seq: number): void;
  sendOutput(frame: Uint8Array): void;
  /** The terminal is gone (its shell exited, or its session ended); nothing more follows. */
  ended(reason: string): void;
}

export interface TerminalHooks {
  onExit(exitCode: number | null): void;
  /** A command ended in this shell (its OSC 133 D mark). */
  onCommandFinished?(): void;
  /** A command line started to run in this shell (its OSC 133 C mark). */
  onCommandStarted?(): void;
}

export class Terminal implements Disposable {
  readonly #pty: pty.IPty;
  readonly #replay = new ReplayBuffer(REPLAY_LIMIT);
  readonly #window = new SendWindow();
  #client: TerminalClient | null = null;
  /** Read-only watchers (mirrors): they see every frame, and never pause the pty. */
  readonly #observers = new Set<TerminalObserver>();
  #exitCode: number | null | undefined = undefined;
  /** Output read but not yet sent (see MAX_OUTPUT_FRAME). */
  #pending: Uint8Array[] = [];
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
      // Bytes, not text: output goes to the client as the pty wrote it (binary frames), and a
      // character split between two reads is the client's decoder's to join.
      encoding: null,
    });
    this.#store.add(this.#flush);
    this.#store.add(this.#pty.onData((read) => {
      // With `encoding: null` node-pty hands over Buffers; its typings say string whatever the encoding.
      const data = read as unknown as Uint8Array;
      this.#pending.push(data);
      this.#pendingLength += data.length;
      if (this.#pendingLength >= MAX_OUTPUT_FRAME) this.#sendPending();
      else if (!this.#flush.value) this.#scheduleSend();
    }));
    if (hooks.onCommandFinished || hooks.onCommandStarted) {
      const marks = new ShellMarkReader();
      this.#store.add(this.#pty.onData((data) => {
        for (const mark of marks.feed(data, 0)) {
          if (mark.kind === 'command-finished') hooks.onCommandFinished?.();
          else if (mark.kind === 'command-executed') hooks.onCommandStarted?.();
        }
      }));
    }
    this.#store.add(this.#pty.onExit(({ exitCode }) => {
      this.#sendPending(); // the last output before the end
      this.#exitCode = exitCode;
      this.#endObservers('The shell exited.');
      hooks.onExit(exitCode);
    }));
  }

  #sendPending(): void {
    this.#flush.clear();
    if (this.#pendingLength === 0) return;
    this.#lastSentAt = performance.now();
    // Header and bytes in one buffer (one copy, as joining the reads would be); the replay buffer
    // keeps a view of the same bytes.
    const seq = this.#replay.end;
    const frame = encodeOutputFrame(seq, this.#pending);
    const data = outputFramePayload(frame);
    this.#pending = [];
    this.#pendingLength = 0;
    this.#replay.append(data);
    this.#client?.sendOutput(frame);
    for (const observer of this.#observers) observer.sendOutput(frame);
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

  /** Sends the replayed chunks to the attached client, in frames of up to MAX_OUTPUT_FRAME, and counts them in flight. */
  replay(replay: Replay): void {
    for (const frame of outputFrames(replay)) this.#client?.sendOutput(frame);
    if (this.#window.sent(this.#replay.end) && !this.#exited) this.#pty.pause();
  }

  /**
   * Adds a read-only watcher: it is told where its output starts, gets what the replay buffer
   * holds from its earliest byte, then every new frame. It never holds the pty back: output it
   * has not read is the observer's to bound. Disposing the result removes it quietly.
   */
  observe(observer: TerminalObserver): Disposable {
    if (this.#exited) {
      observer.ended('The shell exited.');
      return toDisposable(() => {});
    }
    this.#sendPending(); // what was read before now belongs to the replay, not to the next frame
    const replay = this.#replay.since(0);
    observer.start(replay.from);
    for (const frame of outputFrames(replay)) observer.sendOutput(frame);
    this.#observers.add(observer);
    return toDisposable(() => this.#observers.delete(observer));
  }

  get observers(): number {
    return this.#observers.size;
  }

  #endObservers(reason: string): void {
    const observers = [...this.#observers];
    this.#observers.clear();
    for (const observer of observers) observer.ended(reason);
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
    this.#endObservers('The session ended.');
    if (this.#exited) return;
    try {
      this.#pty.kill();
    } catch {
      // The process exited between the check and the kill; nothing left to stop.
    }
  }
}

/** A replay's chunks as output frames of up to MAX_OUTPUT_FRAME bytes each. */
function outputFrames(replay: Replay): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let group: Uint8Array[] = [];
  let groupSeq = replay.from;
  let groupLength = 0;
  const flush = () => {
    if (groupLength > 0) frames.push(encodeOutputFrame(groupSeq, group));
    group = [];
    groupLength = 0;
  };
  for (const chunk of replay.chunks) {
    if (groupLength > 0 && groupLength + chunk.data.length > MAX_OUTPUT_FRAME) flush();
    if (groupLength === 0) groupSeq = chunk.seq;
    group.push(chunk.data);
    groupLength += chunk.data.length;
  }
  flush();
  return frames;
}
