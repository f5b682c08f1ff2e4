/**
 * The workshop's room: who may start a sandbox now, who waits, and what the board sees of each
 * learner live. A learner's hello finds their live session, or starts one when the room has a
 * place and the machine the memory for another sandbox, or waits in a FIFO queue on an open
 * socket (`queued` messages, sent again when the place changes) until a session ends or memory
 * frees up. The sessions' lifecycle stays in session.ts; the record (who, what, when) is the
 * WorkshopRecord's.
 */
import { readFileSync } from 'node:fs';
import { CloseCode, type HelloMessage, type ServerMessage } from '../../src/protocol/wire.ts';
import { DisposableStore, MutableDisposable, toDisposable, type Disposable } from '../../src/common/lifecycle.ts';
import type { Logger } from '../log.ts';
import { refuse, type Session } from '../session.ts';
import type { TerminalClient } from '../terminal.ts';
import type { LearnerRef, LiveLearner, LiveView, QueueEntry, WorkshopRecord } from './types.ts';

/** While someone waits for memory, the machine's MemAvailable is read again this often. */
export const MEMORY_RECHECK_MS = 10_000;
/** While a board is open, each sandbox's memory use is read this often. */
export const MEMORY_POLL_MS = 5_000;

/** The text every unknown or foreign session id gets, in workshop mode as outside it. */
export const SESSION_UNKNOWN_TEXT = 'That session has ended (it expired, or the runner restarted). Start a new one.';

/** The machine's memory available for new work (MemAvailable in /proc/meminfo), in bytes; null when it cannot be read. */
export function memAvailableBytes(meminfo = '/proc/meminfo'): number | null {
  try {
    const match = /^MemAvailable:\s+(\d+)\s+kB$/m.exec(readFileSync(meminfo, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null; // not Linux, or no procfs: the room's size is then the only limit
  }
}

/** What the room asks of the sessions (session.ts's SessionRegistry). */
export interface RoomSessions {
  /** Sessions and sandboxes still being removed: what holds a place. */
  readonly occupied: number;
  get(id: string): Session | undefined;
  sessionOf(learnerId: string): Session | undefined;
  sessions(): Iterable<Session>;
  /** A new session of `learner`, or null when the registry holds its maximum. */
  create(learner: LearnerRef): Session | null;
  endAll(reason: 'workshop-ended'): void;
}

/** A socket waiting for its learner's session to start. */
export interface WaitingClient extends TerminalClient {
  /** The learner's session is there (`resumed`: it was already) or started: attach to it with the hello that waited. */
  admitted(session: Session, hello: HelloMessage, resumed: boolean): void;
}

interface Waiting {
  learner: LearnerRef;
  since: number;
  /** The learner's sockets that wait, by terminal name, each with its hello. */
  clients: Map<string, { client: WaitingClient; hello: HelloMessage }>;
  /** What the learner was last told (to send `queued` again only when it changes). */
  told: string;
}

export interface RoomOptions {
  /** Sandboxes at once. */
  capacity: number;
  /** The memory one sandbox may take: a new one starts only while MemAvailable holds at least this. */
  sandboxMemoryBytes: number;
  /** Reads MemAvailable (tests give their own). */
  memAvailable?: () => number | null;
}

export class Room implements LiveView, Disposable {
  readonly #registry: RoomSessions;
  readonly #record: WorkshopRecord;
  readonly #options: RoomOptions;
  readonly #log: Logger;
  readonly #memAvailable: () => number | null;
  readonly #queue: Waiting[] = [];
  /** Why the head of the queue waits now. */
  #reason: 'room-full' | 'memory' = 'room-full';
  /** Each learner's sandbox memory, as last read (while a board watches). */
  readonly #memory = new Map<string, number | null>();
  readonly #listeners = new Set<() => void>();
  readonly #store = new DisposableStore();
  readonly #recheck = this.#store.add(new MutableDisposable());
  readonly #poll = this.#store.add(new MutableDisposable());
  #memoryWatchers = 0;
  #ended = false;

  constructor(registry: RoomSessions, record: WorkshopRecord, options: RoomOptions, log: Logger) {
    this.#registry = registry;
    this.#record = record;
    this.#options = options;
    this.#log = log.child({ part: 'room' });
    this.#memAvailable = options.memAvailable ?? (() => memAvailableBytes());
    this.#ended = record.endedAt !== null;
    this.#store.add(record.onEnded(() => this.#end()));
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * A learner's hello on the lab socket: their session if it is theirs (or, without a session id,
   * their live one), else a new one when there is room, else a place in the queue.
   */
  hello(learner: LearnerRef, client: WaitingClient, hello: HelloMessage): void {
    if (this.#ended) return refuse(client, 'workshop-ended', 'This workshop has ended.');
    if (hello.sessionId) {
      const session = this.#registry.get(hello.sessionId);
      // Another learner's session is, to this learner, not there: the same answer word for word.
      if (!session || session.learner?.id !== learner.id) return refuse(client, 'session-unknown', SESSION_UNKNOWN_TEXT);
      return client.admitted(session, hello, true);
    }
    const live = this.#registry.sessionOf(learner.id);
    if (live) return client.admitted(live, hello, true);
    this.#wait(learner, client, hello);
  }

  #wait(learner: LearnerRef, client: WaitingClient, hello: HelloMessage): void {
    let waiting = this.#queue.find((w) => w.learner.id === learner.id);
    if (!waiting) {
      waiting = { learner, since: Date.now(), clients: new Map(), told: '' };
      this.#queue.push(waiting);
    }
    const previous = waiting.clients.get(hello.terminal);
    if (previous && previous.client !== client) previous.client.close(CloseCode.replaced, 'another tab took this terminal');
    waiting.clients.set(hello.terminal, { client, hello });
    waiting.told = '';
    this.#serve();
  }

  /** A waiting socket closed: its learner leaves the queue once none of theirs is left. */
  leave(client: WaitingClient): void {
    const index = this.#queue.findIndex((w) => [...w.clients.values()].some((c) => c.client === client));
    if (index < 0) return;
    const waiting = this.#queue[index] as Waiting;
    for (const [name, c] of waiting.clients) if (c.client === client) waiting.clients.delete(name);
    if (waiting.clients.size === 0) this.#queue.splice(index, 1);
    this.#serve();
  }

  /** A session ended, or its sandbox is gone: a place may be free. */
  released(): void {
    this.#serve();
  }

  /** What keeps the next learner waiting now, if anything. `starting`: memory promised to sandboxes started this round. */
  #blocked(starting: number): 'room-full' | 'memory' | null {
    if (this.#registry.occupied >= this.#options.capacity) return 'room-full';
    const available = this.#memAvailable();
    if (available !== null && available - starting < this.#options.sandboxMemoryBytes) return 'memory';
    return null;
  }

  /** Starts sessions for the head of the queue while there is room, then tells the rest their place. */
  #serve(): void {
    if (this.#ended) return;
    let starting = 0;
    while (this.#queue.length > 0) {
      const reason = this.#blocked(starting);
      if (reason) {
        this.#reason = reason;
        break;
      }
      const waiting = this.#queue[0] as Waiting;
      const session = this.#registry.create(waiting.learner);
      if (!session) {
        this.#reason = 'room-full';
        break;
      }
      this.#queue.shift();
      starting += this.#options.sandboxMemoryBytes;
      this.#log.info('learner admitted', { learner: waiting.learner.id, waitedMs: Date.now() - waiting.since });
      for (const { client, hello } of waiting.clients.values()) client.admitted(session, hello, false);
    }
    this.#tellPlaces();
    // Memory frees up without a session ending (another program exits): look again now and then.
    if (this.#queue.length > 0 && this.#reason === 'memory') {
      if (!this.#recheck.value) {
        const timer = setInterval(() => this.#serve(), MEMORY_RECHECK_MS);
        timer.unref();
        this.#recheck.value = toDisposable(() => clearInterval(timer));
      }
    } else this.#recheck.clear();
    this.changed();
  }

  #tellPlaces(): void {
    const of = this.#queue.length;
    const retryAfter = this.#reason === 'memory' ? Math.ceil(MEMORY_RECHECK_MS / 1000) : null;
    this.#queue.forEach((waiting, index) => {
      const message: ServerMessage = { type: 'queued', reason: this.#reason, position: index + 1, of, retryAfter };
      const told = `${message.reason} ${message.position} ${message.of}`;
      if (told === waiting.told) return;
      waiting.told = told;
      for (const { client } of waiting.clients.values()) client.send(message);
    });
  }

  /** The facilitator's broadcast: recorded, then sent to every learner's socket (in a session or waiting). */
  broadcast(text: string): void {
    const recorded = this.#record.broadcast(text);
    const message: ServerMessage = { type: 'broadcast', ...recorded };
    for (const session of this.#registry.sessions()) if (session.learner) session.sendToClients(message);
    for (const waiting of this.#queue) for (const { client } of waiting.clients.values()) client.send(message);
  }

  /** The workshop ended: nobody waits any longer, every session ends. */
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const queue = this.#queue.splice(0);
    for (const waiting of queue) for (const { client } of waiting.clients.values()) refuse(client, 'workshop-ended', 'This workshop has ended.');
    this.#recheck.clear();
    this.#registry.endAll('workshop-ended');
    this.#log.info('workshop ended: every session ended', { queued: queue.length });
    this.changed();
  }

  // ---- The board's live view ------------------------------------------------------------------

  learner(id: string): LiveLearner {
    if (this.#queue.some((w) => w.learner.id === id)) return { sandbox: 'queued', memoryBytes: null, terminals: [] };
    const session = this.#registry.sessionOf(id);
    if (!session) return { sandbox: 'none', memoryBytes: null, terminals: [] };
    return { sandbox: session.ready ? 'ready' : 'preparing', memoryBytes: this.#memory.get(id) ?? null, terminals: session.terminalNames() };
  }

  queue(): QueueEntry[] {
    return this.#queue.map((w) => ({ learner: w.learner.id, reason: this.#reason, since: w.since }));
  }

  /** Calls `listener` when what the live view shows may have changed. */
  onChange(listener: () => void): Disposable {
    this.#listeners.add(listener);
    return toDisposable(() => this.#listeners.delete(listener));
  }

  changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /**
   * Reads each sandbox's memory every MEMORY_POLL_MS while at least one watcher (a board socket)
   * holds the result; a change is told through `onChange`.
   */
  watchMemory(): Disposable {
    this.#memoryWatchers += 1;
    if (this.#memoryWatchers === 1) {
      void this.#readMemory();
      const timer = setInterval(() => void this.#readMemory(), MEMORY_POLL_MS);
      timer.unref();
      this.#poll.value = toDisposable(() => clearInterval(timer));
    }
    return toDisposable(() => {
      this.#memoryWatchers -= 1;
      if (this.#memoryWatchers === 0) this.#poll.clear();
    });
  }

  async #readMemory(): Promise<void> {
    const sessions = [...this.#registry.sessions()].filter((s) => s.learner !== null);
    const readings = await Promise.all(sessions.map(async (s) => [s.learner?.id as string, await s.memoryBytes().catch(() => null)] as const));
    let changed = false;
    const live = new Set(readings.map(([id]) => id));
    for (const id of this.#memory.keys()) {
      if (!live.has(id)) {
        this.#memory.delete(id);
        changed = true;
      }
    }
    for (const [id, bytes] of readings) {
      if (this.#memory.get(id) !== bytes) {
        this.#memory.set(id, bytes);
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  dispose(): void {
    for (const waiting of this.#queue.splice(0)) for (const { client } of waiting.clients.values()) client.close(CloseCode.goingAway, 'shutdown');
    this.#store.dispose();
    this.#listeners.clear();
  }
}
