/**
 * Which runnable blocks each page has, and the section each sits under: what "3 of 7 passed" and
 * "not run" are counted against, on the learner's sidebar and on the facilitator's board. Read at
 * build time from the pages' source through extractBlocks (the site's own parser and ids), so the
 * counts are those of the blocks the page shows. Hidden setup steps are not counted.
 *
 * Pages are named without their locale (`docker-network`, not `en/docker-network`): a learner who
 * switches language keeps their progress, since a translation's blocks carry the same ids.
 */
import { fromMarkdown } from 'mdast-util-from-markdown';
import type { Heading, Nodes } from 'mdast';
import { extractBlocks } from '../blocks/extract.ts';

export interface IndexedBlock {
  id: string;
  /** The text of the nearest heading above the block (level 2 or 3), null above the first. */
  section: string | null;
}

export interface IndexedPage {
  /** The page without its locale prefix. */
  slug: string;
  title: string;
  /** The sidebar's order (frontmatter `sidebar.order`), for listing pages as the sidebar does. */
  order: number;
  blocks: IndexedBlock[];
}

/** A docs collection entry, as much of it as the index reads. */
export interface PageSource {
  /** The collection id: `docker-network`, `en/docker-network`. */
  id: string;
  body: string;
  title: string;
  order?: number | undefined;
}

/** The locale folders besides the root (astro.config.mjs `locales`). */
const LOCALE_PREFIX = /^en\//;

export function pageSlug(collectionId: string): string {
  return collectionId.replace(LOCALE_PREFIX, '');
}

function text(node: Nodes): string {
  if ('value' in node && typeof node.value === 'string') return node.value;
  return 'children' in node ? node.children.map((child) => text(child as Nodes)).join('') : '';
}

/** The page's visible runnable blocks with their sections; null for a page without any. */
export function indexPage(source: PageSource): IndexedPage | null {
  const blocks = extractBlocks(source.body, source.id).filter((block) => !block.data.hidden);
  if (blocks.length === 0) return null;
  const headings: { line: number; text: string }[] = [];
  const visit = (node: Nodes) => {
    if (node.type === 'heading' && (node as Heading).depth <= 3) headings.push({ line: node.position?.start.line ?? 0, text: text(node).trim() });
    else if ('children' in node) for (const child of node.children) visit(child as Nodes);
  };
  // Frontmatter is blanked line for line, as extractBlocks does, so line numbers agree.
  visit(fromMarkdown(source.body.replace(/^---\n[\s\S]*?\n---\n/, (front) => '\n'.repeat(front.split('\n').length - 1))));
  return {
    slug: pageSlug(source.id),
    title: source.title,
    order: source.order ?? Number.MAX_SAFE_INTEGER,
    blocks: blocks.map((block) => ({ id: block.data.id, section: headings.filter((h) => h.line < block.line).at(-1)?.text ?? null })),
  };
}

/** The pages of one locale that have blocks, in the sidebar's order. */
export function indexPages(sources: readonly PageSource[]): IndexedPage[] {
  return sources
    .map(indexPage)
    .filter((page): page is IndexedPage => page !== null)
    .sort((a, b) => a.order - b.order || a.slug.localeCompare(b.slug));
}
