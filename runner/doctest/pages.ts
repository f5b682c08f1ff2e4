/**
 * The pages the doc-tests run: every content/docs/**\/*.mdx with runnable blocks, read only through
 * extractBlocks (the site's own parser and ids). A page and its translations run once when their
 * runnable blocks are the same (same ids, same sourceHashes, same order) and share recordings;
 * a translation whose blocks differ runs on its own, with recordings of its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { extractBlocks, type ExtractedBlock } from '../../src/blocks/extract.ts';
import { locatePage, recordingsFolder } from '../../src/blocks/recordings.ts';

export interface DocPage {
  /** Path under content/docs without locale and extension, e.g. `docker-network`. */
  slug: string;
  /** The locale folder whose file is run (null: the root locale). */
  locale: string | null;
  /** The file that is run, from the repository's root. */
  file: string;
  /** Files that share these blocks and recordings (the run file first). */
  sources: string[];
  blocks: ExtractedBlock[];
  /** Folder of this page's recordings. */
  recordings: string;
  /** How the reports name it: the slug, with the locale when it runs apart. */
  name: string;
}

function mdxFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? mdxFiles(join(dir, entry.name)) : /\.mdx?$/.test(entry.name) ? [join(dir, entry.name)] : []))
    .sort();
}

function sameBlocks(a: ExtractedBlock[], b: ExtractedBlock[]): boolean {
  return a.length === b.length && a.every((block, i) => block.data.id === b[i]?.data.id && block.sourceHash === b[i]?.sourceHash);
}

/**
 * The runnable pages under `root` (the repository), root locale first in each group. `only` keeps
 * the pages whose slug or file contains one of its words.
 */
export function findPages(root: string, only: string[] = []): DocPage[] {
  const groups = new Map<string, { locale: string | null; file: string; blocks: ExtractedBlock[] }[]>();
  for (const path of mdxFiles(join(root, 'content/docs'))) {
    const file = relative(root, path);
    const where = locatePage(file);
    if (!where) continue;
    const blocks = extractBlocks(readFileSync(path, 'utf8'), file);
    if (blocks.length === 0) continue;
    const group = groups.get(where.slug) ?? [];
    group.push({ locale: where.locale, file, blocks });
    groups.set(where.slug, group);
  }
  const pages: DocPage[] = [];
  for (const [slug, group] of groups) {
    group.sort((a, b) => (a.locale === null ? -1 : b.locale === null ? 1 : a.locale.localeCompare(b.locale)));
    const runs: DocPage[] = [];
    for (const member of group) {
      const twin = runs.find((run) => sameBlocks(run.blocks, member.blocks));
      if (twin) {
        twin.sources.push(member.file);
        continue;
      }
      // The first run of a slug owns the shared folder; a translation that differs gets its own.
      const apart = runs.length > 0 ? member.locale : null;
      runs.push({
        slug,
        locale: member.locale,
        file: member.file,
        sources: [member.file],
        blocks: member.blocks,
        recordings: recordingsFolder(root, slug, apart),
        name: apart ? `${slug} (${apart})` : slug,
      });
    }
    pages.push(...runs);
  }
  return only.length ? pages.filter((page) => only.some((word) => page.slug.includes(word) || page.file.includes(word))) : pages;
}
