/**
 * One lab terminal's connection to the runner: the handshake, resuming a session after a reload or
 * a dropped socket, exactly-once output, acknowledgements and reset. No DOM: it speaks the wire
 * protocol through a WebSocket and reports to whoever renders it.
 *
 * Output comes as bytes in binary frames, numbered by byte offset. `#held` is the offset just past
 * the last byte handed on; a resume asks for `lastSeq = #held`, and anything the runner sends again
 * below it is dropped, so the terminal sees every byte once, in order (a character a drop cut in
 * two is joined by the terminal's own UTF-8 decoder, which outlives the socket). A frame that does
 * not start where the last one ended is a protocol error: the socket is closed with
 * CloseCode.outputOutOfSequence and the connection resumes from `#held`, as after a drop.
 */
import { DisposableStore, MutableDisposable } from '../common/lifecycle.ts';
import { AckTracker } from '../protocol/flow.ts';
import {
  CloseCode,
  decodeServerMessage,
  encode,
  MAX_COLS,
  MAX_ROWS,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  type ClientMessage,
  type EndReason,
  type ErrorCode,
  type PrepareStage,
  type OutputMessage,
  type ServerMessage,
  type TopologySnapshot,
} from '../protocol/wire.ts';

type QueuedMessage = Extract<ServerMessage, { type: 'queued' }>;
/** Workshop mode: who the learner is and their progress, sent after each welcome. */
export type LearnerMessage = Extract<ServerMessage, { type: 'learner' }>;
export type BroadcastMessage = Extract<ServerMessage, { type: 'broadcast' }>;
/** Workshop mode: what the learner's page reports on the lab socket. */
export type LearnerReport = Extract<ClientMessage, { type: 'outcome' | 'location' }>;
import { listen, timeout } from './dom-lifecycle.ts';
import type { EarlyHandover } from './early-socket.ts';
import type { SessionMemory } from './lab-storage.ts';
import type { FailureKind } from './strings.ts';

export const Reconnect = {
  firstDelayMs: 500,
  maxDelayMs: 8_000,
  /**
   * Attempts after a dropped socket before giving up: 0.5 + 1 + 2 + 4 + 8 * 8 s, about 70 s, just
   * past the runner's default reconnect grace (60 s), after which the session is gone anyway.
   */
  maxAttempts: 12,
} as const;

/** Acknowledge the remainder this long after the terminal last parsed output (see AckTracker.flush). */
const ACK_FLUSH_MS = 250;
/** Input typed before the session is live is sent once it is; beyond this it is dropped. */
const MAX_PENDING_INPUT = 16 * 1024;

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'preparing'; stage: PrepareStage }
  /** Workshop mode: no sandbox yet, a place in the room's queue (the socket stays open). */
  | { kind: 'queued'; reason: QueuedMessage['reason']; position: number; of: number; retryAfter: number | null }
  | { kind: 'live'; provider: 'dind' | 'host' }
  /** `delayMs` until the next attempt; 0 while an attempt is under way. */
  | { kind: 'reconnecting'; attempt: number; delayMs: number }
  | { kind: 'ended'; reason: EndReason; exitCode: number | null }
  | { kind: 'failed'; failure: FailureKind; detail: string | null };

/** Why the terminal's earlier output no longer continues into what follows. */
export type Discontinuity =
  | 'trimmed' // the runner no longer held all the output asked for
  | 'session-gone' // the session to resume had ended; a new one starts
  | 'reset' // the reader reset the sandbox; a new session starts
  | 'input-dropped'; // the runner refused input its shell was not reading; the session goes on

export interface ConnectionOptions {
  url: string;
  /** The runner's token, read at each connection (the reader may have opened a new link since). */
  token: () => string | null;
  terminal: string;
  memory: SessionMemory;
  /**
   * The terminal joins the session its memory names (the page's main terminal's) and never starts
   * one of its own: when that session is gone, this terminal ends with it.
   */
  joins?: boolean;
  /** The terminal's current size, sent in the hello. */
  size: () => { cols: number; rows: number };
  /**
   * A socket the page opened (and said hello on) before this module loaded, taken over by the
   * first connection instead of opening one (see early-socket.ts); null when there is none.
   */
  early?: () => EarlyHandover | null;
}

export interface ConnectionEvents {
  state(state: ConnectionState): void;
  /**
   * Output to show (the pty's bytes), in order and exactly once; `seq` is its byte offset. Call
   * `parsed` when the terminal has parsed it (xterm's write callback): that drives the
   * acknowledgements the runner's flow control waits for.
   */
  output(data: Uint8Array, seq: number, parsed: () => void): void;
  discontinuity(kind: Discontinuity): void;
  /** A snapshot of the sandbox's network (while watched, see watchTopology); `n` counts them. */
  topology(snapshot: TopologySnapshot, n: number): void;
  /** Collecting one failed; the terminal goes on. */
  topologyFailed(message: string): void;
  /** Workshop mode, after each welcome; `resumed` is that welcome's (false: a new sandbox). */
  learner(message: LearnerMessage, resumed: boolean): void;
  broadcast(message: BroadcastMessage): void;
}

type Listeners = { [K in keyof ConnectionEvents]: Set<ConnectionEvents[K]> };

export class LabConnection {
  readonly #options: ConnectionOptions;
  readonly #listeners: Listeners = { state: new Set(), output: new Set(), discontinuity: new Set(), topology: new Set(), topologyFailed: new Set(), learner: new Set(), broadcast: new Set() };
  #state: ConnectionState = { kind: 'connecting' };
  #ws: WebSocket | null = null;
  /** Set once the current socket's fate is decided by a message (ended, error), not by its close. */
  #settled = false;
  #welcomed = false;
  /** The last welcome's `resumed`, handed on with the `learner` message that follows it. */
  #resumed = false;
  /** A socket of this connection was let in at least once: later drops are worth retrying. */
  #everOpened = false;
  #sessionId: string | null;
  #held = 0;
  /** The offset the current socket's next output frame must start at; null before its welcome. */
  #expected: number | null = null;
  #acks: AckTracker | null = null;
  /** What dispose() releases: the socket's listeners, the retry and the ack flush timers. */
  readonly #store = new DisposableStore();
  readonly #flush = this.#store.add(new MutableDisposable());
  readonly #retry = this.#store.add(new MutableDisposable());
  /** The current socket's listeners, released when it is replaced or closed by this side. */
  readonly #socketListeners = this.#store.add(new MutableDisposable<DisposableStore>());
  #attempt = 0;
  /** The size the current socket's hello said; the terminal's own is sent once welcomed if it differs. */
  #helloSize: { cols: number; rows: number } | null = null;
  #pendingInput = '';
  #disposed = false;
  /** The Network view is open: ask for snapshots on this socket and on each one after it. */
  #watchTopology = false;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#sessionId = options.memory.get();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get sessionId(): string | null {
    return this.#sessionId;
  }

  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionEvents[K]): () => void {
    const set = this.#listeners[event] as Set<ConnectionEvents[K]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Connects: resumes the remembered session if there is one, else starts a new one. A joining
   * terminal whose shell exited opens a new shell in the session it joins.
   */
  connect(): void {
    if (this.#disposed) return;
    this.#clearRetry();
    this.#attempt = 0;
    if (this.#state.kind === 'ended') this.#forgetSession();
    // What the memory holds now: for a joining terminal, the session the main one is live in.
    this.#sessionId ??= this.#options.memory.get();
    this.#open();
  }

  /** Throws the sandbox away; a fresh session starts once the runner confirms. */
  reset(): void {
    if (this.#welcomed && this.#send({ type: 'reset' })) return;
    // Nothing live to reset (the session ended, or the runner cannot be reached): start afresh.
    this.#forgetSession();
    this.#emit('discontinuity', 'reset');
    this.connect();
  }

  /**
   * Keystrokes or pasted text for the shell. Held while the session is on its way (connecting,
   * preparing, reconnecting); dropped once it ended or failed, so it never reaches a new sandbox.
   */
  input(data: string): void {
    if (!data) return;
    if (this.#welcomed && this.#send({ type: 'input', data })) return;
    if (this.#state.kind === 'ended' || this.#state.kind === 'failed') return;
    if (this.#pendingInput.length + data.length <= MAX_PENDING_INPUT) this.#pendingInput += data;
  }

  /** Starts or stops the runner's `topology` messages; kept across reconnects. */
  watchTopology(on: boolean): void {
    if (this.#watchTopology === on) return;
    this.#watchTopology = on;
    if (this.#welcomed) this.#send({ type: 'watch-topology', on });
  }

  /** Workshop mode: a block's outcome or where the learner reads; false when no session is live to take it. */
  report(message: LearnerReport): boolean {
    return this.#welcomed && this.#send(message);
  }

  resize(cols: number, rows: number): void {
    if (this.#welcomed) this.#send({ type: 'resize', ...clampSize({ cols, rows }) });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#closeSocket();
    this.#store.dispose();
  }

  #open(): void {
    this.#closeSocket();
    if (this.#options.joins && !this.#sessionId) return this.#fail('session-gone', null);
    // A retry stays "reconnecting" until it is welcomed; anything else is a first connection.
    this.#setState(this.#attempt > 0 ? { kind: 'reconnecting', attempt: this.#attempt, delayMs: 0 } : { kind: 'connecting' });
    const early = this.#options.early?.() ?? null;
    let ws: WebSocket;
    if (early) ws = early.socket;
    else {
      const protocols = [SUBPROTOCOL];
      const token = this.#options.token();
      if (token) protocols.push(`${TOKEN_SUBPROTOCOL_PREFIX}${token}`);
      try {
        ws = new WebSocket(this.#options.url, protocols);
      } catch (error) {
        // A malformed URL or a token that is not a valid subprotocol name.
        this.#fail('unreachable', (error as Error).message);
        return;
      }
    }
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    this.#expected = null;
    this.#settled = false;
    this.#welcomed = false;
    const listeners = new DisposableStore();
    this.#socketListeners.value = listeners;
    listeners.add(listen(ws, 'open', () => {
      if (ws !== this.#ws) return;
      this.#everOpened = true;
      this.#hello();
    }));
    listeners.add(listen(ws, 'message', (event) => {
      if (ws === this.#ws) this.#onFrame((event as MessageEvent<unknown>).data);
    }));
    listeners.add(listen(ws, 'close', (event) => {
      if (ws === this.#ws) this.#onClose((event as CloseEvent).code);
    }));
    if (early) this.#takeOver(ws, early);
  }

  /** Reads what the early socket received before this connection existed, as if it had been here all along. */
  #takeOver(ws: WebSocket, early: EarlyHandover): void {
    if (early.helloSent) {
      this.#everOpened = true;
      this.#helloSize = early.size;
    } else if (ws.readyState === WebSocket.OPEN) {
      this.#everOpened = true;
      this.#hello();
    }
    for (const frame of early.frames) {
      if (ws !== this.#ws) return; // a frame ended or failed the socket
      this.#onFrame(frame);
    }
    if (early.closed && ws === this.#ws) this.#onClose(early.closed.code);
  }

  #hello(): void {
    const { cols, rows } = clampSize(this.#options.size());
    this.#helloSize = { cols, rows };
    const resume = this.#sessionId ? { sessionId: this.#sessionId, lastSeq: this.#held } : {};
    this.#send({ type: 'hello', v: PROTOCOL_VERSION, terminal: this.#options.terminal, cols, rows, ...resume });
  }

  #onFrame(frame: unknown): void {
    if (typeof frame !== 'string' && !(frame instanceof ArrayBuffer)) return this.#fail('incompatible', 'a frame that is neither text nor an ArrayBuffer');
    const decoded = decodeServerMessage(frame);
    if (!decoded.ok) {
      // The runner and this page disagree about the protocol: retrying cannot help.
      this.#fail('incompatible', `${decoded.code}: ${decoded.detail}`);
      return;
    }
    this.#onMessage(decoded.message);
  }

  #onMessage(message: ServerMessage | OutputMessage): void {
    switch (message.type) {
      case 'status':
        if (message.stage !== 'ready' && !this.#welcomed) this.#setState({ kind: 'preparing', stage: message.stage });
        return;
      case 'welcome':
        return this.#onWelcome(message);
      case 'output':
        return this.#onOutput(message.seq, message.data);
      case 'ended':
        return this.#onEnded(message.reason, message.exitCode);
      case 'error':
        return this.#onError(message.code, message.message);
      case 'topology':
        return this.#emit('topology', message.snapshot, message.n);
      case 'topology-failed':
        return this.#emit('topologyFailed', message.message);
      case 'queued':
        if (!this.#welcomed) this.#setState({ kind: 'queued', reason: message.reason, position: message.position, of: message.of, retryAfter: message.retryAfter });
        return;
      case 'learner':
        return this.#emit('learner', message, this.#resumed);
      case 'broadcast':
        return this.#emit('broadcast', message);
    }
  }

  #onWelcome(welcome: Extract<ServerMessage, { type: 'welcome' }>): void {
    this.#welcomed = true;
    this.#resumed = welcome.resumed;
    this.#attempt = 0;
    this.#sessionId = welcome.sessionId;
    this.#options.memory.set(welcome.sessionId);
    if (welcome.truncated) this.#emit('discontinuity', 'trimmed');
    // Output from welcome.seq on follows; anything below it that we lack is gone for good.
    if (welcome.seq > this.#held) this.#held = welcome.seq;
    this.#expected = welcome.seq;
    this.#acks = new AckTracker(welcome.seq);
    this.#setState({ kind: 'live', provider: welcome.provider });
    // An early hello guessed the size before the terminal existed: say the real one.
    const size = clampSize(this.#options.size());
    if (this.#helloSize && (size.cols !== this.#helloSize.cols || size.rows !== this.#helloSize.rows)) this.#send({ type: 'resize', ...size });
    if (this.#watchTopology) this.#send({ type: 'watch-topology', on: true });
    if (this.#pendingInput) {
      const pending = this.#pendingInput;
      this.#pendingInput = '';
      this.input(pending);
    }
  }

  #onOutput(seq: number, data: Uint8Array): void {
    if (seq !== this.#expected) return this.#outOfSequence();
    const end = seq + data.length;
    this.#expected = end;
    if (end <= this.#held) return; // already shown
    const fresh = seq < this.#held ? data.subarray(this.#held - seq) : data;
    const from = end - fresh.length;
    this.#held = end;
    const acks = this.#acks;
    this.#emit('output', fresh, from, () => this.#parsed(acks, end));
  }

  #onEnded(reason: EndReason, exitCode: number | null): void {
    this.#settled = true;
    this.#welcomed = false;
    this.#forgetSession();
    if (reason === 'reset' && !this.#options.joins) {
      this.#emit('discontinuity', 'reset');
      this.#attempt = 0;
      this.#open();
      return;
    }
    this.#setState({ kind: 'ended', reason, exitCode });
  }

  #onError(code: ErrorCode, message: string): void {
    this.#settled = true;
    this.#welcomed = false;
    if (code === 'session-unknown' && this.#options.joins) {
      this.#forgetSession();
      return this.#fail('session-gone', message);
    }
    if (code === 'input-overflow') {
      // The session is still there: resume it, and say that some typing was dropped.
      this.#emit('discontinuity', 'input-dropped');
      this.#attempt = 0;
      this.#open();
      return;
    }
    if (code === 'session-unknown' && this.#sessionId) {
      this.#forgetSession();
      this.#emit('discontinuity', 'session-gone');
      this.#attempt = 0;
      this.#open();
      return;
    }
    this.#fail(failureFor(code), message);
  }

  /** An output frame that does not follow the last: close with the protocol's code and resume, as after a drop. */
  #outOfSequence(): void {
    this.#closeSocket(CloseCode.outputOutOfSequence);
    this.#retryLater();
  }

  #onClose(code: number): void {
    this.#ws = null;
    this.#welcomed = false;
    this.#acks = null;
    if (this.#settled || this.#disposed) return;
    if (code === CloseCode.replaced) return this.#fail('replaced', null);
    // The browser does not say why an upgrade was refused (HTTP 401, 403) or failed. Before any
    // socket was let in, that is almost always a missing token or a runner that is not there;
    // after that, a dropped link or a restarting runner, worth retrying.
    if (!this.#everOpened) return this.#fail('unreachable', null);
    this.#retryLater();
  }

  /** Backs off, then resumes; gives up after Reconnect.maxAttempts. */
  #retryLater(): void {
    this.#attempt += 1;
    if (this.#attempt > Reconnect.maxAttempts) return this.#fail('lost', null);
    const delayMs = Math.min(Reconnect.firstDelayMs * 2 ** (this.#attempt - 1), Reconnect.maxDelayMs);
    this.#setState({ kind: 'reconnecting', attempt: this.#attempt, delayMs });
    this.#retry.value = timeout(delayMs, () => this.#open());
  }

  #parsed(acks: AckTracker | null, end: number): void {
    // Output parsed after its socket closed is acknowledged by the resume offset instead.
    if (!acks || acks !== this.#acks) return;
    const upTo = acks.parsedUpTo(end);
    if (upTo !== null) this.#send({ type: 'ack', upTo });
    this.#flush.value = timeout(ACK_FLUSH_MS, () => {
      const rest = acks === this.#acks ? acks.flush() : null;
      if (rest !== null) this.#send({ type: 'ack', upTo: rest });
    });
  }

  #fail(failure: FailureKind, detail: string | null): void {
    this.#settled = true;
    this.#closeSocket();
    this.#setState({ kind: 'failed', failure, detail });
  }

  #forgetSession(): void {
    this.#pendingInput = '';
    this.#sessionId = null;
    this.#held = 0;
    this.#options.memory.forget();
  }

  #send(message: ClientMessage): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(encode(message));
    return true;
  }

  #closeSocket(code: number = CloseCode.normal): void {
    const ws = this.#ws;
    this.#ws = null;
    this.#welcomed = false;
    this.#acks = null;
    this.#expected = null;
    this.#socketListeners.clear();
    if (ws && ws.readyState !== WebSocket.CLOSED && ws.readyState !== WebSocket.CLOSING) ws.close(code);
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#emit('state', state);
  }

  #emit<K extends keyof ConnectionEvents>(event: K, ...args: Parameters<ConnectionEvents[K]>): void {
    for (const listener of this.#listeners[event]) (listener as (...a: Parameters<ConnectionEvents[K]>) => void)(...args);
  }

  #clearRetry(): void {
    this.#retry.clear();
  }
}

function failureFor(code: ErrorCode): FailureKind {
  switch (code) {
    case 'capacity':
      return 'capacity';
    case 'engine-unavailable':
      return 'engine-unavailable';
    case 'sandbox-failed':
      return 'sandbox-failed';
    case 'bad-message':
    case 'handshake-required':
      return 'incompatible';
    case 'session-unknown': // only reaches here for a new session, which cannot be unknown
    case 'terminal-limit':
    case 'input-overflow': // handled before; a reconnect, not a failure
    case 'internal':
    case 'workshop-ended':
      return 'workshop-ended';
    case 'not-found':
      return 'internal';
  }
}

function clampSize(size: { cols: number; rows: number }): { cols: number; rows: number } {
  const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, Math.floor(value) || min));
  return { cols: clamp(size.cols, 2, MAX_COLS), rows: clamp(size.rows, 1, MAX_ROWS) };
}
