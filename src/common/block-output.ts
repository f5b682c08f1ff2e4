/**
 * A runnable block's output, decided once for the page (src/blocks/page/block-run.ts) and for the
 * doc-tests (runner/doctest/, the recordings in src/blocks/recordings.ts): both type a block the
 * same way, watch its terminal's stream through `BlockWatch`, cut its output and judge it here.
 * No DOM, no Node, no zod (src/common/tsconfig.json holds to that).
 *
 * How a block is typed:
 * - into the lab's bash (at its prompt): as a bracketed paste (ESC[200~ … ESC[201~, then Enter), so
 *   a multi-line loop or heredoc arrives whole, as one command line;
 * - into a program (`redis-cli`, a container's `sh`): as keys, one line at a time; those programs
 *   do not know bracketed paste.
 *
 * Where its output starts and ends, in the stream from its input on:
 * - typed into bash: after the shell's command-executed mark (OSC 133 C), up to its command-finished
 *   mark (D, with the exit status), so neither the echo of the command nor the next prompt is output;
 * - with `prompt` (the block starts a program, or is typed into one): when that prompt ends the
 *   terminal's last line, on a line after the command ran (past the C mark, or past the program's
 *   echo of the block's last line, which a line editor may wrap anywhere), not a prompt the program
 *   redrew while the block was being typed. Typed into bash, a D mark before it means the program
 *   exited (or never started).
 *
 * The output text is the terminal's as a reader sees it: escape sequences removed, and carriage
 * returns, backspaces and erases applied to their line, so a line a program redrew reads as it was left.
 */
import { ShellMarkReader } from '../protocol/shell-marks.ts';

/** Ctrl-C, as the terminal sends it: Stop, and a block past its timeout. */
export const INTERRUPT = '\x03';
/** xterm wraps a paste in these when the program asked for bracketed paste (bash's readline does). */
export const PASTE_START = '\x1b[200~';
export const PASTE_END = '\x1b[201~';

/** What is sent for a block: a paste and Enter for bash at its prompt, else keys, one line at a time. */
export function typedInput(command: string, atShell: boolean): string {
  return atShell ? `${PASTE_START}${command}${PASTE_END}\r` : `${command.split('\n').join('\r')}\r`;
}

/**
 * The `until` check as a loop the reader sees run: it retries every second, quietly, until the
 * condition holds. POSIX, so it runs in bash and in a container's busybox sh alike, and it ends as
 * any block does (bash's marks, or the program's prompt).
 */
export function untilLoop(condition: string): string {
  return `until { ${condition}; } >/dev/null 2>&1; do sleep 1; done`;
}

// ---------------------------------------------------------------------------------------------
// Text as a reader sees it

const OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
/**
 * Sequences the line model needs: SGR (colours, kept for the page), erase to the end of the line or
 * screen, and cursor forward. Then everything else: OSC strings, other CSI and ESC sequences, and
 * controls other than \t \n \r \b, which take no room on a line.
 */
const SGR = /\x1b\[[0-9;:]*m/g;
const LINE_TOKEN = /\x1b\[[0-9;:]*m|\x1b\[[02]?[KJ]|\x1b\[\d*C|[\s\S]/gu;
const OTHER = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[(?![0-9;:]*m|[02]?[KJ]|\d*C)[<=>?]?[0-?]*[ -/]*[@-~]|\x1b[P^_][^\x1b]*(?:\x1b\\)?|\x1b[ -/]*[0-Z\\^-~]|[\x00-\x07\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/g;
const LINE_BREAK = /\r*\n/;

/** Terminal output without its OSC strings (shell marks, titles), which take no room on screen; nothing else changed. */
export function withoutOsc(text: string): string {
  return text.replace(OSC, '');
}

/**
 * A terminal line as a reader would see it, colours kept: a carriage return goes back to the start,
 * a backspace one cell back, text overwrites what is under it, an erase clears to the end. Enough
 * for line editors redrawing their line and for progress counters; not a full terminal.
 */
function visible(line: string): string {
  const text = line.replace(OTHER, '');
  if (!/[\r\b]|\x1b\[[02]?[KJ]|\x1b\[\d*C/.test(text)) return text;
  const cells: string[] = [];
  let col = 0;
  let style = '';
  for (const [token] of text.matchAll(LINE_TOKEN)) {
    if (token.startsWith('\x1b[') && token.endsWith('m')) style += token;
    else if (token === '\r') col = 0;
    else if (token === '\b') col = Math.max(0, col - 1);
    else if (token.endsWith('C') && token.startsWith('\x1b[')) col += Number(token.slice(2, -1) || 1);
    else if (token.startsWith('\x1b[')) cells.length = token.includes('2') ? 0 : Math.min(cells.length, col);
    else {
      cells[col++] = style + token;
      style = '';
    }
  }
  return Array.from(cells, (cell) => cell ?? ' ').join('') + style;
}

const plain = (line: string): string => line.replace(SGR, '');

/** Text without any escape sequence, line by line as a screen shows it; lines end in \n. */
export function plainText(raw: string): string {
  return raw
    .split(LINE_BREAK)
    .map((line) => plain(visible(line)))
    .join('\n');
}

function endsWithMatch(line: string, pattern: RegExp): boolean {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  for (const match of line.matchAll(global)) {
    if (match.index + match[0].length === line.length) return true;
    if (match[0].length === 0) break;
  }
  return false;
}

/** True when the last line of `stream` shows `prompt`, ending where the line ends: the program waits for input. */
export function showsPrompt(stream: string, prompt: RegExp): boolean {
  return endsWithMatch(plain(visible(stream.split(LINE_BREAK).at(-1) ?? '')), prompt);
}

// ---------------------------------------------------------------------------------------------
// Where a block's output is

/** What the cut needs of a block: its code as typed, and the prompt that ends it, if any. */
export interface BlockSpec {
  command: string;
  prompt: RegExp | null;
}

/**
 * The terminal lines of a block's stream (from its input on), with their colours, and where its
 * output starts among them: after the C mark when there is one (typed into bash), else after the
 * program's echo of the block's last line.
 */
function blockLines(stream: string, command: string): { lines: string[]; start: number; marked: boolean } {
  const marks = new ShellMarkReader().feed(stream, 0);
  const executed = marks.find((m) => m.kind === 'command-executed');
  const finished = executed && marks.find((m) => m.kind === 'command-finished' && m.at > executed.at);
  const region = executed ? stream.slice(executed.at, finished ? finished.at : stream.length) : stream;
  const lines = region.split(LINE_BREAK).map(visible);
  return { lines, start: executed ? 0 : echoLines(lines, command), marked: executed !== undefined };
}

/** How many lines the program's echo of the typed block takes (0 when it echoed nothing recognisable). */
function echoLines(lines: string[], command: string): number {
  const typed = command.split('\n').at(-1)?.trim() ?? '';
  if (typed === '') return 0;
  const joined = lines.map(plain).join('\n');
  // A line editor wraps a long line with a line break of its own, anywhere in it.
  const echo = new RegExp([...typed].map((c) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('\\n?'));
  const match = echo.exec(joined);
  if (!match) return 0;
  return joined.slice(0, match.index + match[0].length).split('\n').length;
}

/**
 * True when the block has ended at `spec.prompt`: the prompt ends the last line, and that line
 * comes after the command ran, not a prompt the program redrew while the block was being typed.
 */
export function endedAtPrompt(stream: string, spec: BlockSpec & { prompt: RegExp }): boolean {
  const { lines, start, marked } = blockLines(stream, spec.command);
  const last = lines.length - 1;
  if (last < start || (!marked && start === 0 && last === 0)) return false;
  return endsWithMatch(plain(lines[last] as string), spec.prompt);
}

/** The lines a block printed, with their colours (SGR): its output without the echo, the next prompt and blank edges. */
export function outputLines(stream: string, spec: BlockSpec): string[] {
  const { lines: all, start } = blockLines(stream, spec.command);
  const lines = all.slice(start);
  if (spec.prompt && lines.length > 0 && endsWithMatch(plain(lines.at(-1) as string), spec.prompt)) lines.pop();
  const blank = (line: string | undefined) => line !== undefined && plain(line).trim() === '';
  while (blank(lines[0])) lines.shift();
  while (blank(lines.at(-1))) lines.pop();
  return lines;
}

/** The block's output as plain text: what `expect` is matched against. */
export function outputText(stream: string, spec: BlockSpec): string {
  return outputLines(stream, spec).map(plain).join('\n');
}

/** How a block ended; `at` is the offset in its stream where its own output ends. */
export type BlockEnd =
  /** Typed into bash: the command-finished mark, with the exit status. */
  | { kind: 'finished'; exitCode: number | null; at: number }
  /** `prompt` ends the terminal's last line. */
  | { kind: 'prompt'; at: number }
  /** With `prompt`, typed into bash: bash finished the command first (the program exited, or never started). */
  | { kind: 'exited'; exitCode: number | null; at: number };

/**
 * Watches a block's stream from its input on, fed in order as it arrives, and says when and how
 * the block ended. `atShell`: the block was typed into bash at its prompt (so bash's marks count).
 */
export class BlockWatch {
  readonly spec: BlockSpec;
  readonly atShell: boolean;
  #stream = '';
  readonly #marks = new ShellMarkReader();
  #executedAt: number | null = null;
  #finished: { at: number; exitCode: number | null } | null = null;
  #end: BlockEnd | null = null;

  constructor(spec: BlockSpec, atShell: boolean) {
    this.spec = spec;
    this.atShell = atShell;
  }

  /** Everything fed so far: the block's stream. */
  get stream(): string {
    return this.#stream;
  }

  get end(): BlockEnd | null {
    return this.#end;
  }

  /** Takes the next output; returns how the block ended once it has (and from then on). */
  feed(data: string): BlockEnd | null {
    if (this.#end) return this.#end;
    const offset = this.#stream.length;
    this.#stream += data;
    if (this.atShell) {
      for (const mark of this.#marks.feed(data, offset)) {
        if (mark.kind === 'command-executed' && this.#executedAt === null) this.#executedAt = mark.at;
        if (mark.kind === 'command-finished' && this.#executedAt !== null && this.#finished === null) this.#finished = { at: mark.at, exitCode: mark.exitCode };
      }
    }
    const { prompt, command } = this.spec;
    if (prompt && endedAtPrompt(this.#stream, { command, prompt })) this.#end = { kind: 'prompt', at: this.#stream.length };
    else if (this.#finished) this.#end = { kind: prompt ? 'exited' : 'finished', ...this.#finished };
    return this.#end;
  }

  /** The block's own stream: up to where it ended (the whole stream while it runs). */
  get own(): string {
    return this.#stream.slice(0, this.#end?.at ?? this.#stream.length);
  }

  /** The block's output as plain text, from its own stream. */
  get output(): string {
    return outputText(this.own, this.spec);
  }
}

// ---------------------------------------------------------------------------------------------
// Judging

/** What a page claims of a block. `expect` as a regular expression or its source (the page's data). */
export interface Expectations {
  exit: number | 'nonzero' | null;
  expect: RegExp | string | null;
}

/** One claim the run did not bear out. */
export type Mismatch =
  | { reason: 'exit'; exitCode: number | null; expected: number | 'nonzero' }
  | { reason: 'no-match'; expect: string };

export type Judgement =
  | { kind: 'done' }
  /** `exit=nonzero`, and the command failed, as the page says it does. */
  | { kind: 'expected-failure'; exitCode: number | null }
  | { kind: 'failed'; mismatches: [Mismatch, ...Mismatch[]] };

/** Checks a block's exit status and output against its page's claims; the output is `outputText`'s. */
export function judge(expected: Expectations, ran: { exitCode: number | null; output: string }): Judgement {
  const { exit, expect } = expected;
  const mismatches: Mismatch[] = [];
  const failedAsExpected = exit === 'nonzero' && ran.exitCode !== null && ran.exitCode !== 0;
  if (exit === 'nonzero' && !failedAsExpected) mismatches.push({ reason: 'exit', exitCode: ran.exitCode, expected: 'nonzero' });
  if (typeof exit === 'number' && ran.exitCode !== exit) mismatches.push({ reason: 'exit', exitCode: ran.exitCode, expected: exit });
  if (expect !== null) {
    const pattern = typeof expect === 'string' ? new RegExp(expect, 'm') : expect;
    if (!pattern.test(ran.output)) mismatches.push({ reason: 'no-match', expect: pattern.source });
  }
  const [first, ...rest] = mismatches;
  if (first) return { kind: 'failed', mismatches: [first, ...rest] };
  return failedAsExpected ? { kind: 'expected-failure', exitCode: ran.exitCode } : { kind: 'done' };
}

/** A mismatch in one line of English, for reports and logs: `exit status: expected 0, got 1`. */
export function describeMismatch(mismatch: Mismatch): string {
  if (mismatch.reason === 'no-match') return `output: expected to match /${mismatch.expect}/`;
  const got = mismatch.exitCode ?? 'none';
  return mismatch.expected === 'nonzero' ? `exit status: expected a failure (nonzero), got ${got}` : `exit status: expected ${mismatch.expected}, got ${got}`;
}
