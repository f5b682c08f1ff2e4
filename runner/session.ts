/**
 * The session lifecycle, in one place. A session is one reader: a sandbox of their own and the
 * terminals opened in it. It survives a reload or a dropped socket for a grace period, ends on
 * exit, reset, idle time or maximum age, and then releases what it owns in reverse order:
 * sockets, terminals, sandbox. `end()` is idempotent.
 */
import { randomBytes } from 'node:crypto';
import { CloseCode, closeCodeFor, MAIN_TERMINAL, type EndReason, type ErrorCode, type HelloMessage, type PrepareStage, type ServerMessage } from '../src/protocol/wire.ts';
import { DisposableStore, MutableDisposable, toDisposable, type Disposable } from '../src/common/lifecycle.ts';
import type { Logger } from './log.ts';
import { SandboxError, type Sandbox, type SandboxProvider } from './sandbox/provider.ts';
import { Terminal, type TerminalClient, type TerminalObserver } from './terminal.ts';
import { collectSnapshot } from './topology/collect.ts';
import { TopologyWatcher } from './topology/watcher.ts';
import { Room } from './workshop/room.ts';
import type { LearnerRef, WorkshopRecord } from './workshop/types.ts';

export interface SessionLimits {
  /** Seconds; 0 turns a limit off. */
  idleTimeout: number;
  maxLifetime: number;
  reconnectGrace: number;
  maxTerminals: number;
}

/** The host provider's engine is the machine's: its network is not the reader's to see. */
const HOST_UNAVAILABLE = 'The network view is not available with the host provider: it would show every container and network of the machine the runner runs on.';

/** How long after a shell ended the sandbox's state is asked again (see #terminalExited). */
const SANDBOX_STATE_SETTLE_MS = 500;

/** A timer, as a disposable: disposing it before it fires cancels it. Unref'd: it never keeps the runner up. */
function timeout(ms: number, action: () => void): Disposable {
  const timer = setTimeout(action, ms);
  timer.unref();
  return toDisposable(() => clearTimeout(timer));
}

/**
 * A session's clocks, each of which ends it: idle time (re-armed by every input), maximum age
 * (from creation), and the reconnect grace (armed while no client is attached). Seconds; 0 turns
 * the idle and maximum-age limits off.
 */
export class SessionClock implements Disposable {
  readonly #limits: SessionLimits;
  readonly #expired: (reason: 'idle' | 'max-age') => void;
  readonly #store = new DisposableStore();
  readonly #idle = this.#store.add(new MutableDisposable());
  readonly #grace = this.#store.add(new MutableDisposable());

  constructor(limits: SessionLimits, expired: (reason: 'idle' | 'max-age') => void) {
    this.#limits = limits;
    this.#expired = expired;
    if (limits.maxLifetime > 0) this.#store.add(timeout(limits.maxLifetime * 1000, () => this.#expire('max-age')));
  }

  /** Input, or the sandbox became ready: the idle time counts from now. */
  touch(): void {
    if (this.#limits.idleTimeout <= 0) return;
    this.#idle.value = timeout(this.#limits.idleTimeout * 1000, () => this.#expire('idle'));
  }

  /** No client is attached: the session ends unless one comes back within the grace period. */
  detached(): void {
    this.#grace.value = timeout(this.#limits.reconnectGrace * 1000, () => this.#expire('idle'));
  }

  attached(): void {
    this.#grace.clear();
  }

  #expire(reason: 'idle' | 'max-age'): void {
    this.dispose();
    this.#expired(reason);
  }

  dispose(): void {
    this.#store.dispose();
  }
}

/** Sends an error the client can show, then closes with the code documented for it. */
export function refuse(client: TerminalClient, code: ErrorCode, message: string): void {
  client.send({ type: 'error', code, message });
  client.close(closeCodeFor(code), code);
}

/** Workshop mode: the learner a session belongs to, their record, and who to tell when the board's view of it changes. */
export interface SessionWorkshop {
  learner: LearnerRef;
  record: WorkshopRecord;
  /** The sandbox became ready, a terminal opened or closed, the session ended. */
  onChanged(): void;
}

export class Session {
  readonly id: string;
  /** Workshop mode: the learner this session belongs to; null outside it. */
  readonly learner: LearnerRef | null;
  readonly createdAt = Date.now();
  readonly #provider: SandboxProvider;
  readonly #limits: SessionLimits;
  readonly #log: Logger;
  readonly #onEnded: (session: Session) => void;
  readonly #sandbox: Promise<Sandbox>;
  readonly #terminals = new Map<string, Terminal>();
  /** Clients waiting for the sandbox, or attached to a terminal, by terminal name. */
  readonly #clients = new Map<string, TerminalClient>();
  /** What `end()` releases, newest first: terminals, timers, the clock. */
  readonly #store = new DisposableStore();
  readonly #clock: SessionClock;
  /** Who watches the sandbox's network, and when it is read. */
  readonly #topology: TopologyWatcher;
  #progress: { stage: PrepareStage; detail: string } = { stage: 'session', detail: 'Preparing your sandbox' };
  #ready = false;
  #ended: EndReason | null = null;
  readonly #workshop: SessionWorkshop | null;
  /** The sandbox, once it is ready (for its memory reading). */
  #readySandbox: Sandbox | null = null;

  constructor(id: string, provider: SandboxProvider, limits: SessionLimits, log: Logger, onEnded: (session: Session) => void, workshop: SessionWorkshop | null = null) {
    this.id = id;
    this.#workshop = workshop;
    this.learner = workshop?.learner ?? null;
    this.#provider = provider;
    this.#limits = limits;
    this.#log = log.child({ session: id.slice(0, 6) });
    this.#onEnded = onEnded;
    this.#clock = this.#store.add(new SessionClock(limits, (reason) => this.end(reason)));
    this.#topology = this.#store.add(
      new TopologyWatcher(
        provider.kind === 'host'
          ? { collect: () => Promise.reject(new Error(HOST_UNAVAILABLE)), unavailable: HOST_UNAVAILABLE }
          : { collect: async () => collectSnapshot(await this.#sandbox) },
      ),
    );
    this.#sandbox = provider.create(id, (stage, detail) => {
      this.#progress = { stage, detail };
      for (const client of this.#clients.values()) client.send({ type: 'status', stage, detail });
    });
    this.#sandbox.then(
      (sandbox) => {
        if (this.#ended) {
          void sandbox.dispose();
          return;
        }
        this.#ready = true;
        this.#readySandbox = sandbox;
        this.#clock.touch(); // idle time counts from when the reader can type, not while the sandbox boots
        this.#log.info('session ready', { sandbox: sandbox.name, ms: Date.now() - this.createdAt });
        this.#workshop?.onChanged();
      },
      (error: unknown) => {
        const code = error instanceof SandboxError ? error.code : 'internal';
        this.#log.error('sandbox failed', { error });
        for (const client of this.#clients.values()) refuse(client, code, (error as Error).message);
        this.#clients.clear();
        this.end('sandbox-lost');
      },
    );
    this.#clock.touch();
    this.#clock.detached();
  }

  static newId(): string {
    return randomBytes(18).toString('base64url');
  }

  get ended(): boolean {
    return this.#ended !== null;
  }

  /** The sandbox is ready: shells run. */
  get ready(): boolean {
    return this.#ready && !this.#ended;
  }

  /** The terminals open now, by name. */
  terminalNames(): string[] {
    return [...this.#terminals.keys()];
  }

  /** The sandbox's memory use now; null before it is ready, after the end, or when the provider cannot tell. */
  async memoryBytes(): Promise<number | null> {
    if (this.#ended || !this.#readySandbox) return null;
    return this.#readySandbox.memoryBytes();
  }

  /**
   * Adds a read-only watcher to terminal `name` (the facilitator's mirror); null when there is no
   * such terminal. It ends when the terminal or the session does.
   */
  observe(name: string, observer: TerminalObserver): Disposable | null {
    if (this.#ended) return null;
    return this.#terminals.get(name)?.observe(observer) ?? null;
  }

  /** Sends `message` to every socket attached to this session (a workshop broadcast). */
  sendToClients(message: ServerMessage): void {
    for (const client of this.#clients.values()) client.send(message);
  }

  /** Attaches a client to the terminal its hello names, creating the terminal on first use. */
  async attach(client: TerminalClient, hello: HelloMessage, resumed: boolean): Promise<void> {
    if (this.#ended) return refuse(client, 'session-unknown', 'This session has ended.');
    const name = hello.terminal;
    // Terminals that exist, and those asked for while the sandbox boots, count alike.
    const names = new Set([...this.#terminals.keys(), ...this.#clients.keys()]);
    if (!names.has(name) && names.size >= this.#limits.maxTerminals) {
      return refuse(client, 'terminal-limit', `A session holds at most ${this.#limits.maxTerminals} terminals.`);
    }
    const previous = this.#clients.get(name);
    if (previous && previous !== client) {
      this.#topology.unwatch(previous);
      previous.close(CloseCode.replaced, 'another tab took this terminal');
    }
    this.#clients.set(name, client);
    this.#clock.attached();
    this.#clock.touch();
    if (!this.#ready) client.send({ type: 'status', ...this.#progress });

    let sandbox: Sandbox;
    try {
      sandbox = await this.#sandbox;
    } catch {
      return; // the failure was sent to every waiting client
    }
    if (this.#ended || this.#clients.get(name) !== client) return;

    let terminal = this.#terminals.get(name);
    if (!terminal) {
      terminal = this.#openTerminal(name, sandbox, hello) ?? undefined;
      if (!terminal) return refuse(client, 'sandbox-failed', 'The shell could not be started in the sandbox.');
    }
    const replay = terminal.attach(client, hello.lastSeq ?? 0);
    client.send({
      type: 'welcome',
      sessionId: this.id,
      terminal: name,
      resumed,
      seq: replay.from,
      truncated: replay.truncated,
      provider: this.#provider.kind,
      idleTimeout: this.#limits.idleTimeout || null,
      expiresAt: this.#limits.maxLifetime ? this.createdAt + this.#limits.maxLifetime * 1000 : null,
    });
    client.send({ type: 'status', stage: 'ready', detail: `Sandbox ${sandbox.name}` });
    if (this.#workshop) {
      // Who the learner is and what they did, for the page's progress and the blocks' statuses.
      const view = this.#workshop.record.learnerView(this.#workshop.learner.id);
      if (view) client.send({ type: 'learner', ...view });
    }
    terminal.replay(replay);
    if (hello.cols && hello.rows) terminal.resize(hello.cols, hello.rows);
  }

  #openTerminal(name: string, sandbox: Sandbox, size: { cols: number; rows: number }): Terminal | null {
    try {
      const terminal = new Terminal(sandbox.shell(), size, {
        onExit: (exitCode) => void this.#terminalExited(name, sandbox, exitCode),
        onCommandFinished: () => this.#topology.commandFinished(name),
        onCommandStarted: () => this.#topology.commandStarted(name),
      });
      this.#store.add(terminal);
      this.#terminals.set(name, terminal);
      this.#log.info('terminal opened', { terminal: name });
      this.#workshop?.onChanged();
      return terminal;
    } catch (error) {
      this.#log.error('terminal failed to open', { terminal: name, error });
      return null;
    }
  }

  async #terminalExited(name: string, sandbox: Sandbox, exitCode: number | null): Promise<void> {
    if (this.#ended) return;
    // A shell that ends because its sandbox went away is a lost sandbox, not an exit. The engine
    // may still call a killed sandbox running for a moment after its shells ended: ask twice.
    let lost = !(await sandbox.alive());
    if (!lost) {
      // Cut short when the session ends meanwhile: then `end()` below does nothing.
      await new Promise<void>((resolve) => {
        const settle = toDisposable(() => {
          clearTimeout(timer);
          resolve();
        });
        const timer = setTimeout(() => this.#store.delete(settle), SANDBOX_STATE_SETTLE_MS);
        this.#store.add(settle);
      });
      if (this.#ended) return;
      lost = !(await sandbox.alive());
    }
    if (lost) return this.end('sandbox-lost', exitCode);
    if (name === MAIN_TERMINAL) return this.end('exit', exitCode);
    const client = this.#clients.get(name);
    const terminal = this.#terminals.get(name);
    if (terminal) this.#store.delete(terminal);
    this.#terminals.delete(name);
    this.#clients.delete(name);
    this.#workshop?.onChanged();
    if (client) {
      this.#topology.unwatch(client);
      client.send({ type: 'ended', reason: 'exit', exitCode });
      client.close(CloseCode.sessionEnded, 'exit');
    }
    this.#armGrace();
  }

  #armGrace(): void {
    if (this.#clients.size === 0 && !this.#ended) this.#clock.detached();
  }

  /** The socket of `client` closed: keep the session for the grace period if no other is left. */
  detach(client: TerminalClient, name: string): void {
    if (this.#clients.get(name) !== client) return;
    this.#clients.delete(name);
    this.#topology.unwatch(client);
    this.#terminals.get(name)?.detach(client);
    this.#armGrace();
  }

  /** Messages count only from the client that holds the terminal now, not from one it replaced. */
  #holds(client: TerminalClient, name: string): boolean {
    return this.#clients.get(name) === client;
  }

  input(client: TerminalClient, name: string, data: string): void {
    if (!this.#holds(client, name)) return;
    this.#clock.touch();
    if (this.#workshop) this.#workshop.record.recordActivity(this.#workshop.learner.id);
    const terminal = this.#terminals.get(name);
    if (terminal && !terminal.write(data)) {
      this.#log.warn('input refused: the shell is not reading', { terminal: name, pending: terminal.pendingInput });
      refuse(client, 'input-overflow', 'Too much input is waiting for a shell that is not reading it; that input was dropped. Stop the running command (Ctrl-C) and try again.');
    }
  }

  resize(client: TerminalClient, name: string, cols: number, rows: number): void {
    if (this.#holds(client, name)) this.#terminals.get(name)?.resize(cols, rows);
  }

  ack(client: TerminalClient, name: string, upTo: number): void {
    if (this.#holds(client, name)) this.#terminals.get(name)?.ack(upTo);
  }

  /** Starts or stops sending this client the sandbox's network (`watch-topology`). */
  watchTopology(client: TerminalClient, name: string, on: boolean): void {
    if (this.#holds(client, name)) this.#topology.watch(client, on);
  }

  reset(client: TerminalClient, name: string): void {
    if (this.#holds(client, name)) this.end('reset');
  }

  /** Ends the session: tells every client why, then releases sockets, terminals, sandbox. */
  end(reason: EndReason, exitCode: number | null = null): void {
    if (this.#ended) return;
    this.#ended = reason;
    this.#log.info('session ended', { reason, exitCode, ageMs: Date.now() - this.createdAt });
    for (const client of this.#clients.values()) {
      client.send({ type: 'ended', reason, exitCode });
      client.close(reason === 'shutdown' ? CloseCode.goingAway : CloseCode.sessionEnded, reason);
    }
    this.#clients.clear();
    this.#terminals.clear();
    this.#readySandbox = null;
    this.#store.dispose();
    this.#onEnded(this);
    this.#workshop?.onChanged();
  }

  /** Resolves when the sandbox is removed (after `end`). */
  async disposed(): Promise<void> {
    const sandbox = await this.#sandbox.catch(() => null);
    await sandbox?.dispose();
  }
}

/** All live sessions, the capacity limit, and a clean shutdown; in workshop mode, the room. */
export class SessionRegistry {
  readonly #sessions = new Map<string, Session>();
  /** Workshop mode: each learner's live session. */
  readonly #byLearner = new Map<string, Session>();
  readonly #disposing = new Set<Promise<void>>();
  readonly #provider: SandboxProvider;
  readonly #limits: SessionLimits;
  readonly #maxSessions: number;
  readonly #log: Logger;
  /** Workshop mode: the open workshop's record and the memory one sandbox may take; null outside it. */
  readonly #workshop: { record: WorkshopRecord; sandboxMemoryBytes: number } | null;
  /** Workshop mode: the queue, admission and the board's live view; null outside it. */
  readonly room: Room | null;

  constructor(provider: SandboxProvider, limits: SessionLimits, maxSessions: number, log: Logger, workshop: { record: WorkshopRecord; sandboxMemoryBytes: number } | null = null) {
    this.#workshop = workshop;
    this.#provider = provider;
    this.#limits = limits;
    this.#maxSessions = maxSessions;
    this.#log = log;
    this.room = workshop ? new Room(this, workshop.record, { capacity: Math.min(workshop.record.summary.capacity, maxSessions), sandboxMemoryBytes: workshop.sandboxMemoryBytes }, log) : null;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Sessions, and sandboxes still being removed: what holds a place in the room. */
  get occupied(): number {
    return this.#sessions.size + this.#disposing.size;
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Workshop mode: the learner's live session, if any. */
  sessionOf(learnerId: string): Session | undefined {
    return this.#byLearner.get(learnerId);
  }

  /** Every live session. */
  sessions(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  /**
   * A new session, or null at capacity. Sessions whose sandboxes are still being removed count:
   * a loop of connect and reset must not start sandboxes faster than they go. In workshop mode a
   * session belongs to `learner` (the room decides when one may start).
   */
  create(learner: LearnerRef | null = null): Session | null {
    if (this.occupied >= this.#maxSessions) return null;
    const workshop = this.#workshop && learner ? { learner, record: this.#workshop.record, onChanged: () => this.room?.changed() } : null;
    const session = new Session(Session.newId(), this.#provider, this.#limits, this.#log, (ended) => {
      this.#sessions.delete(ended.id);
      if (ended.learner && this.#byLearner.get(ended.learner.id) === ended) this.#byLearner.delete(ended.learner.id);
      const disposing = ended.disposed().catch((error: unknown) => this.#log.error('sandbox removal failed', { error }));
      this.#disposing.add(disposing);
      void disposing.finally(() => {
        this.#disposing.delete(disposing);
        this.room?.released(); // its place in the room is free once its sandbox is gone
      });
    }, workshop);
    this.#sessions.set(session.id, session);
    if (learner) this.#byLearner.set(learner.id, session);
    return session;
  }

  /** Ends every session with `reason`. */
  endAll(reason: EndReason): void {
    for (const session of [...this.#sessions.values()]) session.end(reason);
  }

  /** Resolves when every sandbox that is being removed now is gone. */
  async settled(): Promise<void> {
    await Promise.all(this.#disposing);
  }

  /** Ends every session and waits until their sandboxes are removed. */
  async shutdown(): Promise<void> {
    this.room?.dispose();
    this.endAll('shutdown');
    await Promise.all(this.#disposing);
  }
}
