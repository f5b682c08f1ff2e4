/**
 * A terminal's recent output, as the pty's bytes, numbered by byte offset, bounded in size. A
 * reconnecting client asks for everything after the offset it holds; the buffer hands back exactly
 * that, or says it was trimmed.
 *
 * A resume is byte-exact, even from inside a multi-byte UTF-8 character: the client that asks from
 * there holds the character's first bytes in its decoder. A trimmed replay is the exception: the
 * client holds nothing of what was dropped, so it starts at the first whole character kept.
 */
export interface OutputChunk {
  seq: number;
  data: Uint8Array;
}

export interface Replay {
  /** Offset of the first byte returned. */
  from: number;
  /** True when the client asked for output that was already dropped. */
  truncated: boolean;
  chunks: OutputChunk[];
}

/** A UTF-8 continuation byte (10xxxxxx): never the first byte of a character. */
const isContinuation = (byte: number) => (byte & 0xc0) === 0x80;
/** A UTF-8 character is at most 4 bytes: at most 3 continuation bytes to skip. */
const MAX_CONTINUATION = 3;

export class ReplayBuffer {
  readonly #limit: number;
  #chunks: OutputChunk[] = [];
  #head = 0; // index of the oldest kept chunk (dropping from the front of an array is O(n))
  #start = 0; // offset of the oldest kept byte
  #end = 0; // offset just past the newest byte
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

  /** Appends output (kept as given, not copied: the caller must not reuse it); returns its offset. */
  append(data: Uint8Array): number {
    const seq = this.#end;
    this.#chunks.push({ seq, data });
    this.#end += data.length;
    this.#size += data.length;
    while (this.#size > this.#limit && this.#head < this.#chunks.length - 1) {
      const dropped = this.#chunks[this.#head++] as OutputChunk;
      this.#size -= dropped.data.length;
      this.#start = dropped.seq + dropped.data.length;
    }
    // Compact once half the array is dropped chunks: they would otherwise stay reachable (and
    // hold their bytes) until then. Amortised O(1) per append.
    if (this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    return seq;
  }

  /** Everything after `offset`, as far as it is kept. */
  since(offset: number): Replay {
    const wanted = Math.min(Math.max(offset, 0), this.#end);
    const truncated = wanted < this.#start;
    const from = truncated ? this.#characterStart(this.#start) : wanted;
    const chunks: OutputChunk[] = [];
    for (let i = this.#head; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i] as OutputChunk;
      const chunkEnd = chunk.seq + chunk.data.length;
      if (chunkEnd <= from) continue;
      chunks.push(chunk.seq >= from ? chunk : { seq: from, data: chunk.data.subarray(from - chunk.seq) });
    }
    return { from, truncated, chunks };
  }

  /** The offset of the first byte at or after `offset` that starts a character (what a fresh decoder can read). */
  #characterStart(offset: number): number {
    let at = offset;
    for (let i = this.#head; i < this.#chunks.length && at - offset < MAX_CONTINUATION; i++) {
      const chunk = this.#chunks[i] as OutputChunk;
      while (at < chunk.seq + chunk.data.length && at - offset < MAX_CONTINUATION && isContinuation(chunk.data[at - chunk.seq] as number)) at++;
      if (at < chunk.seq + chunk.data.length) break;
    }
    return at;
  }
}
