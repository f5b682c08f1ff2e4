/**
 * Reads the OSC 133 shell-integration marks the lab shell prints (runner/shell/lab-bashrc.sh) out
 * of a terminal's output stream. Shared by the runner, the page and the doc-test driver, so all of
 * them agree on where a command ended and how it exited. No DOM, no Node.
 *
 * The stream is bytes (the protocol's output frames, offsets in bytes) or text (a block's decoded
 * stream, offsets in UTF-16 code units); a reader is fed one kind. A mark is ASCII, so both are
 * read alike, unit by unit, and a multi-byte character around a mark cannot be mistaken for one.
 */

export type ShellMark =
  | { kind: 'prompt-start'; at: number }
  | { kind: 'command-start'; at: number }
  | { kind: 'command-executed'; at: number }
  | { kind: 'command-finished'; at: number; exitCode: number | null };

const ESC = 0x1b;
const OSC_INTRODUCER = 0x5d; // ]
const BEL = 0x07;
const BACKSLASH = 0x5c;
/** `ESC ] 1 3 3 ;`, as units. */
const PREFIX = [ESC, OSC_INTRODUCER, 0x31, 0x33, 0x33, 0x3b];
/** A mark longer than this is not one of ours; stop buffering it. */
const MAX_MARK_LENGTH = 64;

/** A stretch of the stream, as units: bytes, or UTF-16 code units of text. */
interface Units {
  readonly length: number;
  at(i: number): number;
  /** The next ESC at or after `from`, or -1. */
  nextEsc(from: number): number;
  /** Units [from, to) as text (only ever called on a mark's ASCII body). */
  text(from: number, to: number): string;
}

function bytesUnits(bytes: Uint8Array): Units {
  return {
    length: bytes.length,
    at: (i) => bytes[i] as number,
    nextEsc: (from) => bytes.indexOf(ESC, from),
    text: (from, to) => String.fromCharCode(...bytes.subarray(from, to)),
  };
}

function textUnits(text: string): Units {
  return {
    length: text.length,
    at: (i) => text.charCodeAt(i),
    nextEsc: (from) => text.indexOf('\x1b', from),
    text: (from, to) => text.slice(from, to),
  };
}

/**
 * Streaming parser: feed it chunks in order with their offsets; a mark split across chunks is
 * reported once, when its terminator arrives. `at` is the offset just past the mark.
 */
export class ShellMarkReader {
  /** The start of a possible mark the last chunk ended in (at most MAX_MARK_LENGTH units). */
  #pending: number[] = [];

  feed(chunk: string | Uint8Array, offset: number): ShellMark[] {
    const marks: ShellMark[] = [];
    const units = this.#withPending(chunk);
    const base = offset - this.#pending.length;
    this.#pending = [];
    let from = 0;
    for (;;) {
      let start = units.nextEsc(from);
      while (start >= 0 && start + 1 < units.length && units.at(start + 1) !== OSC_INTRODUCER) start = units.nextEsc(start + 1);
      if (start < 0) break;
      if (start + 1 >= units.length) {
        // A lone ESC at the very end may be the first unit of a mark.
        this.#pending = [ESC];
        break;
      }
      const end = findTerminator(units, start + 2);
      if (end === null) {
        // Unterminated: keep it for the next chunk if it may still become one of our marks.
        const length = units.length - start;
        if (length < MAX_MARK_LENGTH && matchesPrefix(units, start)) for (let i = start; i < units.length; i++) this.#pending.push(units.at(i));
        break;
      }
      if (end.bodyEnd - start >= PREFIX.length && matchesPrefix(units, start) && end.bodyEnd - start <= MAX_MARK_LENGTH) {
        const mark = parseMark(units.text(start + PREFIX.length, end.bodyEnd), base + end.next);
        if (mark) marks.push(mark);
      }
      from = end.next;
    }
    return marks;
  }

  /** The chunk, preceded by what the last one left pending (rare: a mark cut by a frame's end). */
  #withPending(chunk: string | Uint8Array): Units {
    if (typeof chunk === 'string') return textUnits(this.#pending.length ? String.fromCharCode(...this.#pending) + chunk : chunk);
    if (!this.#pending.length) return bytesUnits(chunk);
    const joined = new Uint8Array(this.#pending.length + chunk.length);
    joined.set(this.#pending);
    joined.set(chunk, this.#pending.length);
    return bytesUnits(joined);
  }
}

/** True when the units from `start` begin like our prefix (as far as they go). */
function matchesPrefix(units: Units, start: number): boolean {
  const n = Math.min(PREFIX.length, units.length - start);
  for (let i = 0; i < n; i++) if (units.at(start + i) !== PREFIX[i]) return false;
  return true;
}

function findTerminator(units: Units, from: number): { bodyEnd: number; next: number } | null {
  for (let i = from; i < units.length; i++) {
    const c = units.at(i);
    if (c === BEL) return { bodyEnd: i, next: i + 1 };
    if (c === ESC) {
      if (i + 1 >= units.length) return null;
      if (units.at(i + 1) === BACKSLASH) return { bodyEnd: i, next: i + 2 };
      return { bodyEnd: i, next: i }; // an ESC that starts something else ends the OSC
    }
  }
  return null;
}

function parseMark(body: string, at: number): ShellMark | null {
  const [kind, arg] = body.split(';');
  switch (kind) {
    case 'A':
      return { kind: 'prompt-start', at };
    case 'B':
      return { kind: 'command-start', at };
    case 'C':
      return { kind: 'command-executed', at };
    case 'D': {
      const code = arg === undefined || arg === '' ? null : Number(arg);
      return { kind: 'command-finished', at, exitCode: code !== null && Number.isInteger(code) ? code : null };
    }
    default:
      return null;
  }
}
