/**
 * End-to-end flow control: pty -> runner -> socket -> xterm's write callback -> ack -> runner.
 * The numbers live here, and both sides account with the classes below. Units are bytes of
 * terminal output, as the pty wrote them (what the protocol's `seq` offsets count).
 */
export const FlowControl = {
  /**
   * The runner pauses the pty when this much output is sent but not yet parsed by the client's
   * terminal. Large enough to keep a fast link busy while acks travel back; small enough that a
   * stalled client costs little memory and what is in flight stays under 500 KB (the benchmark's
   * bound; tests/bench/RESULTS.md measures it).
   */
  highWatermark: 256_000,
  /**
   * The runner resumes the pty once the client has caught up to this: half the window, so output
   * keeps flowing while the client parses the rest (at 5 000, VS Code's value, the pipe ran dry
   * at every resume and the page sat idle a fifth of a bulk run).
   */
  lowWatermark: 128_000,
  /** The client acknowledges after parsing this much; a fraction of the window, so no stall. */
  ackEvery: 32_000,
} as const;

/** Runner side: decides when to pause and resume the pty. */
export class SendWindow {
  #sent = 0;
  #acked = 0;
  #paused = false;
  readonly #high: number;
  readonly #low: number;

  constructor(high: number = FlowControl.highWatermark, low: number = FlowControl.lowWatermark) {
    if (!(low < high)) throw new RangeError('lowWatermark must be below highWatermark');
    this.#high = high;
    this.#low = low;
  }

  get unacked(): number {
    return this.#sent - this.#acked;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Output up to `end` (exclusive offset) was sent. Returns true when the pty must pause now. */
  sent(end: number): boolean {
    if (end > this.#sent) this.#sent = end;
    if (!this.#paused && this.unacked > this.#high) {
      this.#paused = true;
      return true;
    }
    return false;
  }

  /** The client parsed everything before `upTo`. Returns true when the pty must resume now. */
  acked(upTo: number): boolean {
    // Acks are cumulative; an old or impossible one (beyond what was sent) changes nothing.
    if (upTo <= this.#acked || upTo > this.#sent) return false;
    this.#acked = upTo;
    if (this.#paused && this.unacked < this.#low) {
      this.#paused = false;
      return true;
    }
    return false;
  }

  /**
   * A new socket took over from `offset`: whatever the old socket had in flight is gone, and the
   * replay resends it. Returns true when the pty must resume now.
   */
  restart(offset: number): boolean {
    this.#sent = offset;
    this.#acked = offset;
    if (this.#paused) {
      this.#paused = false;
      return true;
    }
    return false;
  }
}

/** Client side: tells when to send a cumulative ack after the terminal parsed output. */
export class AckTracker {
  #parsed = 0;
  #lastAck = 0;
  readonly #every: number;

  constructor(start = 0, every: number = FlowControl.ackEvery) {
    this.#parsed = start;
    this.#lastAck = start;
    this.#every = every;
  }

  get parsed(): number {
    return this.#parsed;
  }

  /** The terminal parsed output up to `end`. Returns the offset to acknowledge, or null. */
  parsedUpTo(end: number): number | null {
    if (end > this.#parsed) this.#parsed = end;
    if (this.#parsed - this.#lastAck >= this.#every) {
      this.#lastAck = this.#parsed;
      return this.#parsed;
    }
    return null;
  }

  /**
   * When output pauses below the ack step, the runner still waits for what it sent: acknowledge the
   * remainder once the terminal is idle. Returns the offset to acknowledge, or null.
   */
  flush(): number | null {
    if (this.#parsed === this.#lastAck) return null;
    this.#lastAck = this.#parsed;
    return this.#parsed;
  }
}
