/**
 * When a session's network is collected and who is told: the sockets that watch it
 * (`watch-topology on`). One snapshot at once when a socket starts watching; then one after each
 * quiet spell that follows a command's end (a burst of commands gives one), sent only when the
 * network changed. One collection at a time: a command that ends during one schedules one more.
 * Nothing is collected while no socket watches.
 */
import { MutableDisposable, toDisposable, type Disposable } from '../../src/common/lifecycle.ts';
import type { ServerMessage, TopologySnapshot } from '../../src/protocol/wire.ts';
import { sameTopology } from './model.ts';

/**
 * How long output must be quiet after a command's end before the network is read: long enough
 * that a pasted script or `Run all above` (commands ending tens of ms apart) gives one snapshot,
 * short enough that the panel follows the prompt within the second.
 */
export const TOPOLOGY_QUIET_MS = 200;

/** A socket that may watch: what the watcher needs of it. */
export interface TopologyWatcherClient {
  send(message: ServerMessage): void;
}

export interface TopologySource {
  /** One snapshot; rejects with an Error whose message the panel shows. */
  collect(): Promise<TopologySnapshot>;
  /** When collecting is not possible at all (the host provider): the message, once per watch. */
  readonly unavailable?: string;
}

export class TopologyWatcher implements Disposable {
  readonly #source: TopologySource;
  readonly #quietMs: number;
  readonly #watchers = new Set<TopologyWatcherClient>();
  /** Watchers that have not had a snapshot yet: they get the next one even when nothing changed. */
  readonly #fresh = new Set<TopologyWatcherClient>();
  readonly #quiet = new MutableDisposable();
  #collecting = false;
  /** A collection was asked for while one ran. */
  #again = false;
  #last: { n: number; snapshot: TopologySnapshot } | null = null;
  #count = 0;
  #disposed = false;

  constructor(source: TopologySource, quietMs = TOPOLOGY_QUIET_MS) {
    this.#source = source;
    this.#quietMs = quietMs;
  }

  get watching(): boolean {
    return this.#watchers.size > 0;
  }

  watch(client: TopologyWatcherClient, on: boolean): void {
    if (this.#disposed) return;
    if (!on) return this.unwatch(client);
    if (this.#source.unavailable !== undefined) {
      client.send({ type: 'topology-failed', message: this.#source.unavailable });
      return;
    }
    this.#watchers.add(client);
    this.#fresh.add(client);
    this.#quiet.clear();
    this.#collect();
  }

  unwatch(client: TopologyWatcherClient): void {
    this.#watchers.delete(client);
    this.#fresh.delete(client);
    if (this.#watchers.size === 0) this.#quiet.clear();
  }

  /** A command ended in one of the session's terminals: read the network once output is quiet. */
  commandFinished(): void {
    if (this.#disposed || this.#watchers.size === 0) return;
    const timer = setTimeout(() => {
      this.#quiet.clear();
      this.#collect();
    }, this.#quietMs);
    timer.unref();
    this.#quiet.value = toDisposable(() => clearTimeout(timer));
  }

  #collect(): void {
    if (this.#collecting) {
      this.#again = true;
      return;
    }
    if (this.#watchers.size === 0) return;
    this.#collecting = true;
    this.#again = false;
    this.#source.collect().then(
      (snapshot) => this.#deliver(snapshot),
      (error: unknown) => this.#fail(error instanceof Error ? error.message : String(error)),
    ).finally(() => {
      this.#collecting = false;
      if (this.#again && !this.#disposed) this.#collect();
    });
  }

  #deliver(snapshot: TopologySnapshot): void {
    if (this.#disposed) return;
    const changed = !this.#last || !sameTopology(this.#last.snapshot, snapshot);
    if (changed) this.#last = { n: ++this.#count, snapshot };
    const message: ServerMessage = { type: 'topology', n: this.#last?.n ?? this.#count, snapshot };
    for (const client of this.#watchers) {
      if (changed || this.#fresh.has(client)) client.send(message);
    }
    this.#fresh.clear();
  }

  #fail(message: string): void {
    if (this.#disposed) return;
    // The next snapshot goes out whatever it shows: the panel is showing this failure now.
    this.#last = null;
    for (const client of this.#watchers) client.send({ type: 'topology-failed', message });
  }

  dispose(): void {
    this.#disposed = true;
    this.#quiet.dispose();
    this.#watchers.clear();
    this.#fresh.clear();
  }
}
