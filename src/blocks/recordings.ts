/**
 * Recordings of runnable blocks: what the doc-tests write (`npm run record`) and the static site
 * shows under each block. One module for where they live, their format, how a block's output is
 * cut from its terminal's stream, and the build-time rendering to hast, so the driver's checks and
 * the page agree on what "the output" of a block is.
 *
 *   content/recordings/<slug>/index.json        per block id: sourceHash, exitCode, recordedAt, engine, durationMs
 *   content/recordings/<slug>/<block-id>.cast   asciicast v2: the block's terminal output, from its input to its end
 *
 * `<slug>` is the page's path under content/docs without its locale folder: the zh-CN page and its
 * English twin share recordings when their runnable blocks are the same. Where they differ, the
 * other locale's recordings live in `<slug>/<locale>/`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Anser from 'anser';
import { h, type Element, type ElementContent, type Parents } from '@astrojs/starlight/expressive-code/hast';
import { uiString } from '../components/lab-strings.ts';
import { ShellMarkReader } from '../protocol/shell-marks.ts';

/** Locales whose pages live in a folder of their own under content/docs (astro.config.mjs `locales`; the root is zh-CN). */
export const LOCALE_DIRS: readonly string[] = ['en'];
/** Where recordings live, from the repository's root. */
export const RECORDINGS_DIR = 'content/recordings';
const DOCS_DIR = 'content/docs';

// ---------------------------------------------------------------------------------------------
// Where

export interface PageLocation {
  /** The repository's root (absolute when the file's path was). */
  root: string;
  /** The page's path under content/docs, without the locale folder and the extension. */
  slug: string;
  /** A locale folder (`en`), or null for the root locale. */
  locale: string | null;
}

/**
 * Where a page file sits: `…/content/docs/en/docker-network.mdx` -> root `…`, slug `docker-network`,
 * locale `en`. Also takes the `src/content/docs` link Starlight reads pages through.
 */
export function locatePage(file: string): PageLocation | null {
  const normalized = file.replace(/\\/g, '/');
  const match = /^(?:(.*)\/)?(?:src\/)?content\/docs\/(.+)\.mdx?$/.exec(normalized);
  if (!match) return null;
  const root = match[1] ?? '.';
  const parts = (match[2] as string).split('/');
  const locale = parts.length > 1 && LOCALE_DIRS.includes(parts[0] as string) ? (parts.shift() as string) : null;
  return { root: root.endsWith('/src') ? root.slice(0, -4) : root, slug: parts.join('/'), locale };
}

/** The folder of a page's recordings; `locale` only when that locale is recorded apart. */
export function recordingsFolder(root: string, slug: string, locale: string | null = null): string {
  return join(root, RECORDINGS_DIR, slug, ...(locale ? [locale] : []));
}

export function pageFile(root: string, slug: string, locale: string | null): string {
  return join(root, DOCS_DIR, ...(locale ? [locale] : []), `${slug}.mdx`);
}

// ---------------------------------------------------------------------------------------------
// Format

/** asciicast v2 header (https://docs.asciinema.org/manual/asciicast/v2/). */
export interface CastHeader {
  version: 2;
  width: number;
  height: number;
  /** Unix time (seconds) of the block's input. */
  timestamp: number;
  title: string;
  env?: Record<string, string>;
}

/** An output event: seconds since the block's input, and what the terminal printed. */
export type CastEvent = [number, 'o', string];

export interface RecordingEntry {
  /** The block's sourceHash when it was recorded; another one means the recording is stale. */
  sourceHash: string;
  /** The block's exit status; null for a block typed into a program. */
  exitCode: number | null;
  /** ISO time of the block's input. */
  recordedAt: string;
  /** Version of the Docker engine the block ran on (the sandbox's). */
  engine: string;
  /** From the input to the block's end (its `until` included). */
  durationMs: number;
}

export interface RecordingIndex {
  /** The page files (from the repository's root) these recordings are for. */
  sources: string[];
  /** By block id, in the page's order. */
  blocks: Record<string, RecordingEntry>;
}

export function encodeCast(header: CastHeader, events: CastEvent[]): string {
  return [header, ...events].map((line) => JSON.stringify(line)).join('\n') + '\n';
}

export function decodeCast(text: string): { header: CastHeader; events: CastEvent[] } {
  const [first, ...rest] = text.split('\n').filter((line) => line.trim() !== '');
  const header = JSON.parse(first ?? '{}') as CastHeader;
  if (header.version !== 2) throw new Error('not an asciicast v2 file');
  return { header, events: rest.map((line) => JSON.parse(line) as CastEvent) };
}

/** The terminal stream a cast holds: its output events, joined. */
export function castStream(events: CastEvent[]): string {
  return events.map(([, kind, data]) => (kind === 'o' ? data : '')).join('');
}

// ---------------------------------------------------------------------------------------------
// A block's output in its terminal stream

/**
 * Sequences a line model needs: SGR (colours, kept), erase to the end of the line or screen, and
 * cursor forward. Then everything else: OSC strings, other CSI and ESC sequences, and controls
 * other than \t \n \r \b, which take no room on a line.
 */
const SGR = /\x1b\[[0-9;:]*m/g;
const LINE_TOKEN = /\x1b\[[0-9;:]*m|\x1b\[[02]?[KJ]|\x1b\[\d*C|[\s\S]/gu;
const OTHER = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[(?![0-9;:]*m|[02]?[KJ]|\d*C)[<=>?]?[0-?]*[ -/]*[@-~]|\x1b[P^_][^\x1b]*(?:\x1b\\)?|\x1b[ -/]*[0-Z\\^-~]|[\x00-\x07\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/g;

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

/** Text without any escape sequence: what `expect` and `prompt` are matched against. */
export function plainText(text: string): string {
  return text
    .split(/\r*\n/)
    .map((line) => visible(line).replace(SGR, ''))
    .join('\n');
}

/** True when the last line of `stream` shows `prompt`, ending where the line ends: the program waits for input. */
export function showsPrompt(stream: string, prompt: RegExp): boolean {
  const last = visible(stream.split(/\r*\n/).at(-1) ?? '').replace(SGR, '');
  return endsWithMatch(last, prompt);
}

function endsWithMatch(line: string, pattern: RegExp): boolean {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  for (const match of line.matchAll(global)) if (match.index + match[0].length === line.length) return true;
  return false;
}

export interface OutputSpec {
  /** The block's code, as typed. */
  code: string;
  /** The prompt that ends the block, when it is typed into a program or starts one. */
  prompt: RegExp | null;
}

/**
 * The terminal lines of a block's stream (from its input on), with their colours (SGR) and nothing
 * else, and where its output starts among them:
 * - typed into the lab shell: after the shell's command-executed mark (OSC 133 C), and up to its
 *   command-finished mark (D), so neither the echo of the command nor the next prompt is part of it;
 * - typed into a program (no marks): after the program's echo of the block's last line, which a
 *   line editor may redraw and wrap.
 */
function blockLines(stream: string, code: string): { lines: string[]; start: number; marked: boolean } {
  const marks = new ShellMarkReader().feed(stream, 0);
  const executed = marks.find((m) => m.kind === 'command-executed');
  const finished = executed && marks.find((m) => m.kind === 'command-finished' && m.at > executed.at);
  const region = executed ? stream.slice(executed.at, finished ? finished.at : stream.length) : stream;
  const lines = region.split(/\r*\n/).map(visible);
  return { lines, start: executed ? 0 : echoLines(lines, code), marked: executed !== undefined };
}

/**
 * True when the block has ended at `spec.prompt`: the prompt shows on the last line, and that line
 * comes after the command ran (past the shell's command-executed mark, or past the program's echo
 * of the typed line), not a prompt the program redrew while the block was being typed.
 */
export function endedAtPrompt(stream: string, spec: OutputSpec & { prompt: RegExp }): boolean {
  const { lines, start, marked } = blockLines(stream, spec.code);
  const last = lines.length - 1;
  if (last < start || (!marked && start === 0 && last === 0)) return false;
  return endsWithMatch((lines[last] as string).replace(SGR, ''), spec.prompt);
}

/** The lines a block printed, with their colours: its output without the echo, the next prompt and blank edges. */
export function outputLines(stream: string, spec: OutputSpec): string[] {
  const { lines: all, start } = blockLines(stream, spec.code);
  const lines = all.slice(start);
  if (spec.prompt && lines.length > 0 && endsWithMatch((lines.at(-1) as string).replace(SGR, ''), spec.prompt)) lines.pop();
  const blank = (line: string | undefined) => line !== undefined && line.replace(SGR, '').trim() === '';
  while (blank(lines[0])) lines.shift();
  while (blank(lines.at(-1))) lines.pop();
  return lines;
}

/** How many lines the program's echo of the typed block takes (0 when it echoed nothing recognisable). */
function echoLines(lines: string[], code: string): number {
  const typed = code.split('\n').at(-1)?.trim() ?? '';
  if (typed === '') return 0;
  const joined = lines.map((line) => line.replace(SGR, '')).join('\n');
  // A line editor wraps a long line with a line break of its own, anywhere in it.
  const echo = new RegExp([...typed].map((c) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('\\n?'));
  const match = echo.exec(joined);
  if (!match) return 0;
  return joined.slice(0, match.index + match[0].length).split('\n').length;
}

/** The block's output as plain text: what `expect` is matched against. */
export function outputText(stream: string, spec: OutputSpec): string {
  return outputLines(stream, spec)
    .map((line) => line.replace(SGR, ''))
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface Recording {
  entry: RecordingEntry;
  stream: string;
}

/** Index files, read once per build (a page has dozens of blocks) and again when they change. */
const indexCache = new Map<string, { mtimeMs: number; index: RecordingIndex }>();

export function readIndex(folder: string): RecordingIndex | null {
  const file = join(folder, 'index.json');
  if (!existsSync(file)) return null;
  const { mtimeMs } = statSync(file);
  const cached = indexCache.get(file);
  if (cached?.mtimeMs === mtimeMs) return cached.index;
  const index = JSON.parse(readFileSync(file, 'utf8')) as RecordingIndex;
  indexCache.set(file, { mtimeMs, index });
  return index;
}

/**
 * The recording of block `id` of the page at `file`, or null when there is none or it was made
 * from another version of the block (its sourceHash differs): the page never shows output of a
 * command it does not show. The doc-tests report both cases.
 */
export function findRecording(file: string, id: string, sourceHash: string): Recording | null {
  const page = locatePage(file);
  if (!page) return null;
  const folders = page.locale ? [recordingsFolder(page.root, page.slug, page.locale), recordingsFolder(page.root, page.slug)] : [recordingsFolder(page.root, page.slug)];
  for (const folder of folders) {
    const entry = readIndex(folder)?.blocks[id];
    if (!entry || entry.sourceHash !== sourceHash) continue;
    const cast = join(folder, `${id}.cast`);
    if (!existsSync(cast)) continue;
    return { entry, stream: castStream(decodeCast(readFileSync(cast, 'utf8')).events) };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** The caption's words: the site's i18n strings (`lab.recording.*`, src/content/i18n), with Starlight's fallback. */
function captionWords(locale: string | undefined) {
  return {
    label: uiString(locale, 'lab.recording.label'),
    when: (date: string, engine: string) => uiString(locale, 'lab.recording.when', { date, engine }),
    exit: (code: number) => uiString(locale, 'lab.recording.exit', { code }),
    empty: uiString(locale, 'lab.recording.empty'),
  };
}

const DECORATION_STYLE: Record<string, string> = {
  bold: 'font-weight:bold',
  dim: 'opacity:0.7',
  italic: 'font-style:italic',
  underline: 'text-decoration:underline',
  strikethrough: 'text-decoration:line-through',
  hidden: 'visibility:hidden',
};

/** One line's coloured runs as spans (anser reads the SGR codes; its colours assume a dark background, as the box has). */
function renderLine(line: string): ElementContent[] {
  const runs = Anser.ansiToJson(line, { json: true, remove_empty: true });
  return runs.map((run): ElementContent => {
    const style = [
      run.fg ? `color:rgb(${run.fg})` : '',
      run.bg ? `background-color:rgb(${run.bg})` : '',
      ...run.decorations.map((d) => DECORATION_STYLE[d] ?? ''),
    ].filter(Boolean);
    return style.length ? h('span', { style: style.join(';') }, run.content) : { type: 'text', value: run.content };
  });
}

/**
 * The recorded output of a block, for the static page: a caption that says when and on which
 * engine it was recorded, and the output as text with its colours. Plain HTML: Pagefind indexes
 * it and no JavaScript is needed to read it.
 */
export function renderRecording(id: string, recording: Recording, spec: OutputSpec, locale: string | undefined): Element {
  const words = captionWords(locale);
  const { entry } = recording;
  const lines = outputLines(recording.stream, spec);
  const code: ElementContent[] = [];
  lines.forEach((line, i) => {
    if (i > 0) code.push({ type: 'text', value: '\n' });
    code.push(...renderLine(line));
  });
  const date = entry.recordedAt.slice(0, 10);
  const details = [words.when(date, entry.engine), ...(entry.exitCode ? [words.exit(entry.exitCode)] : [])].join(' · ');
  // not-content: Starlight's Markdown styles for <pre> and <code> stay off, as on Expressive Code's own frames.
  return h('div', { class: 'lab-recording not-content', dataLabRecording: id }, [
    h('p', { class: 'lab-recording-caption' }, [h('span', { class: 'lab-recording-label' }, words.label), ' · ', h('time', { datetime: entry.recordedAt }, details)]),
    lines.length ? h('pre', { class: 'lab-recording-output' }, [h('samp', code)]) : h('p', { class: 'lab-recording-empty' }, words.empty),
  ]);
}

/** Styles for the box, added to Expressive Code's (which scopes them to its wrapper): a dim terminal. */
export const RECORDING_STYLES = `
.lab-recording {
  margin-top: 0.25rem;
  border: 1px dashed #4b4f58;
  border-radius: 0.25rem;
  background: #1b1d22;
  color: #c8cacf;
}
.lab-recording-caption {
  margin: 0;
  padding: 0.3rem 0.75rem;
  border-bottom: 1px dashed #3a3d44;
  color: #a0a4ab;
  font-size: 0.75rem;
}
.lab-recording-label {
  font-weight: 600;
}
.lab-recording-output {
  display: block;
  margin: 0;
  padding: 0.5rem 0.75rem;
  border: 0;
  border-radius: 0;
  background: transparent;
  overflow-x: auto;
  white-space: pre;
  font-family: var(--ec-codeFontFml, monospace);
  font-size: 0.8125rem;
  line-height: 1.45;
}
.lab-recording-output samp {
  font: inherit;
  color: inherit;
}
.lab-recording-empty {
  margin: 0;
  padding: 0.4rem 0.75rem;
  color: #8b8f96;
  font-size: 0.8125rem;
  font-style: italic;
}
`;

/** The element whose children hold `node`, anywhere under `root`. */
export function parentOf(root: Parents, node: Element): Parents | null {
  if (root.children.includes(node)) return root;
  for (const child of root.children) {
    if (child.type !== 'element') continue;
    const found = parentOf(child, node);
    if (found) return found;
  }
  return null;
}
