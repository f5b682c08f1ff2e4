/**
 * A terminal's recent output, numbered by offset, bounded in size. A reconnecting client asks for
 * everything after the offset it holds; the buffer hands back exactly that, or says it was trimmed.
 */
export interface Replay {
  /** Offset of the first character returned. */
  from: number;
  /** True when the client asked for output that was already dropped. */
  truncated: boolean;
  chunks: { seq: number; data: string }[];
}

export class ReplayBuffer {
  readonly #limit: number;
  #chunks: { seq: number; data: string }[] = [];
  #head = 0; // index of the oldest kept chunk (dropping from the front of an array is O(n))
  #start = 0; // offset of the oldest kept character
  #end = 0; // offset just past the newest character
  #size = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Offset just past everything written so far. */
  get end(): number {
    return this.#end;
  }

  get start(): number {
    return this.#start;
  }

  get size(): number {
    return this.#size;
  }

  /** Appends output; returns its offset. */
  append(data: string): number {
    const seq = this.#end;
    this.#chunks.push({ seq, data });
    this.#end += data.length;
    this.#size += data.length;
    while (this.#size > this.#limit && this.#head < this.#chunks.length - 1) {
      const dropped = this.#chunks[this.#head++] as { seq: number; data: string };
      this.#size -= dropped.data.length;
      this.#start = dropped.seq + dropped.data.length;
    }
    // Compact once half the array is dropped chunks: they would otherwise stay reachable (and
    // hold their strings) until then. Amortised O(1) per append.
    if (this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    return seq;
  }

  /** Everything after `offset`, as far as it is kept. */
  since(offset: number): Replay {
    const wanted = Math.min(Math.max(offset, 0), this.#end);
    const from = Math.max(wanted, this.#start);
    const chunks: { seq: number; data: string }[] = [];
    for (let i = this.#head; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i] as { seq: number; data: string };
      const chunkEnd = chunk.seq + chunk.data.length;
      if (chunkEnd <= from) continue;
      chunks.push(chunk.seq >= from ? chunk : { seq: from, data: chunk.data.slice(from - chunk.seq) });
    }
    return { from, truncated: wanted < this.#start, chunks };
  }
}
