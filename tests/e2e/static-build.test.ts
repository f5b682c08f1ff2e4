/**
 * The static site as `astro build` leaves it in dist/ (the test command builds it first): both
 * locales are there, every runnable block shows the output recorded for it, with when and on which
 * engine, and nothing in it makes a reader's browser ask another host for anything. The output a
 * block should show is read from its cast by a terminal (xterm.js, headless), not by the code that
 * rendered it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenizer, type Token as AcornToken } from 'acorn';
import { fromHtml } from 'hast-util-from-html';
import { select, selectAll } from 'hast-util-select';
import { toText } from 'hast-util-to-text';
import type { Element, Root } from 'hast';
import { extractBlocks } from '../../src/blocks/extract.ts';
import headless from '@xterm/headless';
import { castStream, decodeCast, locatePage, parentOf, readIndex, recordingsFolder } from '../../src/blocks/recordings.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');
const DOCS = join(ROOT, 'content/docs');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

const pageFiles = files(DOCS)
  .filter((f) => /\.mdx?$/.test(f))
  .map((f) => relative(ROOT, f));

/** content/docs/en/network-modes.mdx -> dist/en/network-modes/index.html; index pages -> dist/[en/]index.html */
function builtPage(file: string): string {
  const where = locatePage(file);
  assert.ok(where, file);
  const path = where.slug === 'index' ? [] : [where.slug];
  return join(DIST, ...(where.locale ? [where.locale] : []), ...path, 'index.html');
}

const parsed = new Map<string, Root>();
function html(path: string): Root {
  if (!parsed.has(path)) parsed.set(path, fromHtml(readFileSync(path, 'utf8')));
  return parsed.get(path) as Root;
}

test('dist/ holds every page in both locales, each in its language', () => {
  assert.ok(existsSync(DIST), 'dist/ is built (npm test builds it before the tests)');
  const roots = pageFiles.filter((f) => locatePage(f)?.locale === null);
  assert.ok(roots.length >= 3, 'the home page, the lab page and the tutorial at least');
  for (const file of roots) {
    const twin = file.replace('content/docs/', 'content/docs/en/');
    assert.ok(pageFiles.includes(twin), `${file} has an English twin`);
    for (const [source, lang] of [[file, 'zh-CN'], [twin, 'en']] as const) {
      const built = builtPage(source);
      assert.ok(existsSync(built), `${source} was built to ${relative(ROOT, built)}`);
      assert.equal((select('html', html(built))?.properties.lang as string | undefined) ?? '', lang, `${relative(ROOT, built)} is in ${lang}`);
    }
  }
});

test("every code block's copy button speaks its page's language", () => {
  const expected = { 'zh-CN': { title: '复制到剪贴板', copied: '复制成功！' }, en: { title: 'Copy to clipboard', copied: 'Copied!' } } as const;
  for (const file of pageFiles) {
    const lang = locatePage(file)?.locale === 'en' ? 'en' : 'zh-CN';
    const buttons = selectAll('.copy button', html(builtPage(file)));
    for (const button of buttons) {
      assert.equal(button.properties.title, expected[lang].title, `${file}: copy button title`);
      assert.equal(button.properties.dataCopied, expected[lang].copied, `${file}: copy button's "copied" text`);
    }
  }
  const english = pageFiles.filter((f) => locatePage(f)?.locale === 'en').flatMap((f) => selectAll('.copy button', html(builtPage(f))));
  assert.ok(english.length > 10, 'the English pages have code blocks with copy buttons');
});

/** The lines a terminal of the cast's size shows after playing `stream` (scrollback included), a line wrapped by the terminal joined again. */
async function screenLines(stream: string, cols: number, rows: number): Promise<string[]> {
  const terminal = new headless.Terminal({ cols, rows, scrollback: 10_000, allowProposedApi: true });
  await new Promise<void>((resolve) => terminal.write(stream, resolve));
  const buffer = terminal.buffer.active;
  const lines: string[] = [];
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y);
    if (!line) continue;
    const text = line.translateToString(true);
    if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
    else lines.push(text);
  }
  terminal.dispose();
  return lines;
}

/** A line as a terminal lays out its tabs: to the next multiple of 8 columns. */
function expandTabs(line: string): string {
  let out = '';
  for (const c of line) out += c === '\t' ? ' '.repeat(8 - (out.length % 8)) : c;
  return out;
}

/**
 * What a reader of the terminal sees as the block's output: the lines after the echo of the
 * block's last line (the first line that ends with it; a line editor may have wrapped the echo),
 * without the program's prompt that ends a prompt= block, without blank lines at either end.
 */
function shownOutput(lines: string[], command: string, prompt: RegExp | null): string {
  const last = (command.split('\n').at(-1) ?? '').trim();
  const tail = last.slice(-16);
  const echo = lines.findIndex((line) => line.trimEnd().endsWith(tail));
  assert.ok(echo >= 0, `the terminal shows the echo of "${last}"`);
  const output = lines.slice(echo + 1).map((line) => line.trimEnd());
  while (output.length && output.at(-1) === '') output.pop();
  if (prompt && output.length && prompt.test(`${output.at(-1)} `)) output.pop();
  while (output.length && output[0] === '') output.shift();
  while (output.length && output.at(-1) === '') output.pop();
  return output.join('\n');
}

test('every runnable block in dist shows its recorded output, as a terminal shows the cast, with its date and engine', async () => {
  let blocks = 0;
  for (const file of pageFiles) {
    const extracted = extractBlocks(readFileSync(join(ROOT, file), 'utf8'), file);
    if (extracted.length === 0) continue;
    const where = locatePage(file);
    assert.ok(where);
    const tree = html(builtPage(file));
    // A translation recorded apart has its own folder; else it shares the root locale's.
    const folders = [...(where.locale ? [recordingsFolder(ROOT, where.slug, where.locale)] : []), recordingsFolder(ROOT, where.slug)];
    for (const block of extracted) {
      blocks++;
      const id = block.data.id;
      const at = `${file}:${block.line} [${id}]`;
      const frame = select(`[id="block-${id}"]`, tree);
      assert.ok(frame, `${at}: the block is on the built page`);
      assert.equal((JSON.parse(String(frame.properties.dataLabBlock)) as { id: string }).id, id, `${at}: with its metadata`);
      const shown = select(`[data-lab-recording="${id}"]`, tree);
      assert.ok(shown, `${at}: its recorded output is rendered`);
      const siblings = (parentOf(tree, frame)?.children ?? []).filter((c): c is Element => c.type === 'element');
      assert.equal(siblings[siblings.indexOf(frame) + 1], shown, `${at}: right under the block`);

      const folder = folders.find((f) => readIndex(f)?.blocks[id]?.sourceHash === block.sourceHash);
      assert.ok(folder, `${at}: a recording of this version of the block exists`);
      const entry = readIndex(folder)?.blocks[id];
      const caption = toText(select('.lab-recording-caption', shown) as Element);
      assert.ok(caption.includes(entry?.engine ?? '?') && caption.includes(entry?.recordedAt.slice(0, 10) ?? '?'), `${at}: the caption "${caption}" names the engine and the date`);
      const { header, events } = decodeCast(readFileSync(join(folder, `${id}.cast`), 'utf8'));
      const expected = shownOutput(await screenLines(castStream(events), header.width, header.height), block.data.command, block.block.prompt);
      const output = select('.lab-recording-output', shown);
      if (expected === '') assert.equal(output, undefined, `${at}: no output, said so`);
      else {
        const text = toText(output as Element, { whitespace: 'pre' }).split('\n').map((line) => expandTabs(line).trimEnd()).join('\n');
        assert.equal(text, expected, `${at}: the recorded output, as text`);
      }
    }
  }
  assert.ok(blocks > 50, `all runnable blocks were looked at (${blocks})`);
});

// -----------------------------------------------------------------------------------------------
// No external URLs

/** XML namespace names: identifiers in SVG and HTML that are never fetched. */
const NAMESPACE = /^http:\/\/www\.w3\.org\/(?:2000\/svg|1999\/xlink|1999\/xhtml|XML\/1998\/namespace|1998\/Math\/MathML|2000\/xmlns\/)$/;
/** The reader's own machine, and domain names reserved so that they reach no one (RFC 2606, RFC 6761). */
const NOT_ANOTHER_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|(?:[\w-]+\.)*(?:example(?:\.com|\.net|\.org)?|invalid|test|localhost))$/;
const hostOf = (url: string) => /^https?:\/\/([^/:?#&]*)/.exec(url)?.[1] ?? '';

/** A URL that names no other host: an XML namespace name, or a host that is the reader's own or reserved. */
function harmless(url: string): boolean {
  return NAMESPACE.test(url) || NOT_ANOTHER_HOST.test(hostOf(url));
}
/** acorn's tokens carry their value (a string's contents, a name), which its types leave out. */
type Token = AcornToken & { value?: unknown };

const URL_IN_TEXT = /https?:\/\/[^\s"'`<>()\\{}]*/g;

/**
 * Why a URL in a string of bundled JavaScript is not a request, or null when it may be one:
 * what `harmless` allows, a placeholder host (a base for `new URL()`, a pattern built from a
 * template), a JSON Schema `$schema` identifier, or a credit in text ("Name <https://…>").
 */
function harmlessInScript(url: string, value: string, before: Token[]): string | null {
  if (harmless(url)) return 'a namespace name, or no other host';
  const host = hostOf(url);
  if (!host.includes('.') || host.startsWith('[')) return 'not a host name (a placeholder or a template)';
  const labels = before.map((t) => (t.type.label === 'name' || t.type.label === 'string' ? String(t.value) : t.type.label));
  const schema = labels.lastIndexOf('$schema');
  if (schema >= 0 && ['=', ':'].includes(labels[schema + 1] ?? '')) return 'a JSON Schema identifier';
  if (new RegExp(`\\S\\s*<${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}>`).test(value)) return 'a credit in text';
  return null;
}

function scriptUrls(source: string, file: string): string[] {
  const found: string[] = [];
  const recent: Token[] = [];
  const read = (sourceType: 'module' | 'script') => {
    for (const token of tokenizer(source, { ecmaVersion: 'latest', sourceType, allowHashBang: true }) as Iterable<Token>) {
      if ((token.type.label === 'string' || token.type.label === 'template') && typeof token.value === 'string') {
        for (const [url] of token.value.matchAll(URL_IN_TEXT)) if (!harmlessInScript(url, token.value, recent)) found.push(`${file}: ${url}`);
      }
      recent.push(token);
      if (recent.length > 3) recent.shift();
    }
  };
  try {
    read('module');
  } catch {
    found.length = 0; // a classic script, not a module: read it again as one
    read('script');
  }
  return found;
}

test('dist/ asks no other host for anything: no external URL in its HTML, CSS, SVG or scripts', () => {
  const offending: string[] = [];
  let looked = 0;
  for (const path of files(DIST)) {
    const file = relative(ROOT, path);
    const ext = /\.(\w+)$/.exec(path)?.[1] ?? '';
    if (!['html', 'css', 'js', 'mjs', 'svg', 'json', 'xml', 'txt', 'webmanifest'].includes(ext)) continue; // pagefind's compressed index
    looked++;
    const text = readFileSync(path, 'utf8');
    if (ext === 'js' || ext === 'mjs') {
      offending.push(...scriptUrls(text, file));
      continue;
    }
    // Comments in CSS name bug trackers and licences; they load nothing.
    const body = ext === 'css' ? text.replace(/\/\*[\s\S]*?\*\//g, '') : text;
    for (const [url] of body.matchAll(URL_IN_TEXT)) if (!harmless(url)) offending.push(`${file}: ${url}`);
  }
  assert.ok(looked > 20, `the site's files were read (${looked})`);
  assert.deepEqual(offending, []);
});
