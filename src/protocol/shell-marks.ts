/**
 * Reads the OSC 133 shell-integration marks the lab shell prints (runner/shell/lab-bashrc.sh) out
 * of a terminal's output stream. Shared by the runner, the page and the doc-test driver, so all of
 * them agree on where a command ended and how it exited. No DOM, no Node.
 */

export type ShellMark =
  | { kind: 'prompt-start'; at: number }
  | { kind: 'command-start'; at: number }
  | { kind: 'command-executed'; at: number }
  | { kind: 'command-finished'; at: number; exitCode: number | null };

const PREFIX = '\x1b]133;';
/** A mark longer than this is not one of ours; stop buffering it. */
const MAX_MARK_LENGTH = 64;

/**
 * Streaming parser: feed it chunks in order with their offsets; a mark split across chunks is
 * reported once, when its terminator arrives. `at` is the offset just past the mark.
 */
export class ShellMarkReader {
  #pending = '';

  feed(chunk: string, offset: number): ShellMark[] {
    const marks: ShellMark[] = [];
    const text = this.#pending + chunk;
    const base = offset - this.#pending.length;
    this.#pending = '';
    let from = 0;
    for (;;) {
      const start = text.indexOf('\x1b]', from);
      if (start < 0) {
        // A lone ESC at the very end may be the first byte of a mark.
        if (text.endsWith('\x1b') && text.length - 1 >= from) this.#pending = '\x1b';
        break;
      }
      const end = findTerminator(text, start + 2);
      if (end === null) {
        // Unterminated: keep it for the next chunk if it may still become one of our marks.
        const tail = text.slice(start);
        if (tail.length < MAX_MARK_LENGTH && (PREFIX.startsWith(tail) || tail.startsWith(PREFIX))) this.#pending = tail;
        break;
      }
      if (text.startsWith(PREFIX, start)) {
        const mark = parseMark(text.slice(start + PREFIX.length, end.bodyEnd), base + end.next);
        if (mark) marks.push(mark);
      }
      from = end.next;
    }
    return marks;
  }
}

function findTerminator(text: string, from: number): { bodyEnd: number; next: number } | null {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x07) return { bodyEnd: i, next: i + 1 };
    if (c === 0x1b) {
      if (i + 1 >= text.length) return null;
      if (text.charCodeAt(i + 1) === 0x5c) return { bodyEnd: i, next: i + 2 };
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
