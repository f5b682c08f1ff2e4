/**
 * Recordings of runnable blocks: what the doc-tests write (`npm run record`) and the static site
 * shows under each block. One module for where they live, their format, and the build-time
 * rendering to hast. Where a block's output is in its stream is src/common/block-output.ts's,
 * which the page's Run and the doc-tests' checks use too.
 *
 *   content/recordings/<slug>/index.json        per block id: sourceHash, exitCode, recordedAt, engine, durationMs
 *   content/recordings/<slug>/<block-id>.cast   asciicast v2: the block's terminal output, from its input to its end
 *   content/recordings/<slug>/<block-id>.topology.json   the sandbox's network after the block (a
 *                                               TopologySnapshot, src/protocol/topology.ts), only where it
 *                                               differs from the one after the block before; the index entry's
 *                                               `topology` says which (`stored` or `same`)
 *
 * `<slug>` is the page's path under content/docs without its locale folder: the zh-CN page and its
 * English twin share recordings when their runnable blocks are the same. Where they differ, the
 * other locale's recordings live in `<slug>/<locale>/`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Anser from 'anser';
import { h, type Element, type ElementContent, type Parents } from '@astrojs/starlight/expressive-code/hast';
import { outputLines, type BlockSpec } from '../common/block-output.ts';
import { topologySnapshot, type TopologySnapshot } from '../protocol/topology.ts';
import { uiString } from '../components/lab-strings.ts';

/** Locales whose pages live in a folder of their own under content/docs (astro.config.mjs `locales`; the root is zh-CN). */
export const LOCALE_DIRS: readonly string[] = ['en'];
/** Where recordings live, from the repository's root. */
export const RECORDINGS_DIR = 'content/recordings';

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

/** A page file's path from the repository's root, as reports name it: `content/docs/en/docker-network.mdx`. */
export function pagePath(file: string): string {
  const page = locatePage(file);
  return page ? join('content/docs', ...(page.locale ? [page.locale] : []), `${page.slug}${file.endsWith('.md') ? '.md' : '.mdx'}`) : file;
}

/** The folder of a page's recordings; `locale` only when that locale is recorded apart. */
export function recordingsFolder(root: string, slug: string, locale: string | null = null): string {
  return join(root, RECORDINGS_DIR, slug, ...(locale ? [locale] : []));
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
  /**
   * The sandbox's network after the block: `stored` in <block-id>.topology.json, or the `same` as
   * after the block before. Absent in recordings made before snapshots were kept: those count as stale.
   */
  topology?: 'stored' | 'same';
}

/** Where a page's recordings were made. */
export interface RecordedWith {
  /**
   * The sandbox image's recipe hash (its `org.docker-network-lab.recipe-hash` label, runner/images/build.sh):
   * it covers the lab images the sandbox carries and the lab shell; another one means the recordings are stale.
   */
  sandboxRecipe: string;
  /** The commit checked out when they were recorded (`git rev-parse HEAD`), or `unknown` outside a git checkout. */
  commit: string;
  /** True when the checkout had changes not committed yet. */
  uncommitted: boolean;
}

export interface RecordingIndex {
  /** The page files (from the repository's root) these recordings are for. */
  sources: string[];
  /** Absent in recordings made before it was noted: those count as stale. */
  recordedWith?: RecordedWith;
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
 * The recording of block `id` of the page at `file`; `stale` when there is one, but made from
 * another version of the block (its sourceHash differs): the page never shows output of a command
 * it does not show. `missing` when there is none. The doc-tests report both, the build warns.
 */
export function findRecording(file: string, id: string, sourceHash: string): Recording | 'stale' | 'missing' {
  const page = locatePage(file);
  if (!page) return 'missing';
  const folders = page.locale ? [recordingsFolder(page.root, page.slug, page.locale), recordingsFolder(page.root, page.slug)] : [recordingsFolder(page.root, page.slug)];
  let found: 'stale' | 'missing' = 'missing';
  for (const folder of folders) {
    const entry = readIndex(folder)?.blocks[id];
    const cast = join(folder, `${id}.cast`);
    if (!entry || !existsSync(cast)) continue;
    if (entry.sourceHash !== sourceHash) {
      found = 'stale';
      continue;
    }
    return { entry, stream: readCast(cast) };
  }
  return found;
}

/** Where block `id`'s network snapshot is kept in a recordings folder. */
export function topologyFile(folder: string, id: string): string {
  return join(folder, `${id}.topology.json`);
}

export function encodeTopology(snapshot: TopologySnapshot): string {
  return JSON.stringify(snapshot, null, 2) + '\n';
}

/** The snapshot in a topology file; null when it is missing or is not a snapshot. */
export function readTopologyFile(file: string): TopologySnapshot | null {
  if (!existsSync(file)) return null;
  try {
    const parsed = topologySnapshot.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // not JSON: as good as missing, and check mode says so
  }
}

/**
 * The sandbox's network after block `id` of the page at `file`, as the doc-tests stored it; null
 * when none is stored for it (its network is the same as after the block before, or it has no
 * fresh recording). A translation without recordings of its own reads the root locale's, as casts.
 */
export function readTopology(file: string, id: string): TopologySnapshot | null {
  const page = locatePage(file);
  if (!page) return null;
  const folders = page.locale ? [recordingsFolder(page.root, page.slug, page.locale), recordingsFolder(page.root, page.slug)] : [recordingsFolder(page.root, page.slug)];
  for (const folder of folders) {
    const entry = readIndex(folder)?.blocks[id];
    if (!entry) continue;
    return entry.topology === 'stored' ? readTopologyFile(topologyFile(folder, id)) : null;
  }
  return null;
}

/** The terminal stream of the cast at `file`. */
export function readCast(file: string): string {
  return castStream(decodeCast(readFileSync(file, 'utf8')).events);
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
export function renderRecording(id: string, recording: Recording, spec: BlockSpec, locale: string | undefined): Element {
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
