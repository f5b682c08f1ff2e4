/**
 * The sidebar is built from content/docs, not from a list in astro.config.mjs: every page there
 * that is not marked `sidebar: { hidden: true }` is in the sidebar of every built page of its
 * locale, and the tutorial's pages keep their order and labels (frontmatter `sidebar.order`,
 * `sidebar.label`). Reads the built site in dist/ (the test command builds it first).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHtml } from 'hast-util-from-html';
import { selectAll } from 'hast-util-select';
import { toText } from 'hast-util-to-text';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');

interface Page {
  slug: string;
  hidden: boolean;
  /** A splash page (the home page) has no sidebar at all. */
  splash: boolean;
}

/** The pages in one folder of content/docs, by slug. */
function pagesIn(folder: string): Map<string, Page> {
  const dir = join(ROOT, 'content/docs', folder);
  const pages = new Map<string, Page>();
  for (const name of readdirSync(dir).filter((n) => /\.mdx?$/.test(n))) {
    const frontmatter = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(dir, name), 'utf8'))?.[1] ?? '';
    const slug = name.replace(/\.mdx?$/, '');
    pages.set(slug, { slug, hidden: /^sidebar:\n(?: {2}.*\n)*? {2}hidden: true$/m.test(`${frontmatter}\n`), splash: /^template: splash$/m.test(frontmatter) });
  }
  return pages;
}

/**
 * A locale's pages and their addresses: the root folder is zh-CN; English has its own folder, and
 * a page not translated yet is shown there in Chinese (Starlight's fallback), in the sidebar too.
 */
function pagesOf(locale: 'zh-CN' | 'en'): (Page & { href: string })[] {
  const pages = locale === 'en' ? new Map([...pagesIn(''), ...pagesIn('en')]) : pagesIn('');
  const prefix = locale === 'en' ? '/en/' : '/';
  return [...pages.values()].map((page) => ({ ...page, href: page.slug === 'index' ? prefix : `${prefix}${page.slug}/` }));
}

/** The sidebar of a built page: each link's address and label, in order. */
function sidebarOf(href: string): { href: string; label: string }[] {
  const tree = fromHtml(readFileSync(join(DIST, href, 'index.html'), 'utf8'));
  return selectAll('#starlight__sidebar a[href]', tree).map((a) => ({ href: String(a.properties.href), label: toText(a).trim() }));
}

for (const [locale, expected] of [
  ['zh-CN', [
    { href: '/lab/', label: '实验终端' },
    { href: '/docker-network/', label: 'Docker 网络' },
    { href: '/network-modes/', label: '网络模式' },
  ]],
  ['en', [
    { href: '/en/lab/', label: 'Lab terminal' },
    { href: '/en/docker-network/', label: 'Docker networking' },
    { href: '/en/network-modes/', label: 'Network modes' },
  ]],
] as const) {
  test(`${locale}: the tutorial's pages keep their order and labels in the sidebar`, () => {
    const tutorial = new Set<string>(expected.map((link) => link.href));
    assert.deepEqual(sidebarOf(expected[0].href).filter((link) => tutorial.has(link.href)), expected);
  });

  test(`${locale}: every page of content/docs not marked hidden is in the sidebar of every page`, () => {
    const pages = pagesOf(locale);
    const listed = pages.filter((p) => !p.hidden).map((p) => p.href).sort();
    assert.ok(listed.length >= 3, `the locale has its pages: ${JSON.stringify(pages)}`);
    for (const page of pages.filter((p) => !p.splash)) {
      assert.deepEqual(sidebarOf(page.href).map((link) => link.href).sort(), listed, `the sidebar of ${page.href}`);
    }
  });
}
