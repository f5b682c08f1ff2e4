/**
 * What the board shows for each learner, worked out from a `board` message and the site's block
 * index: where they are (page title and section), how many blocks passed, failed or were not run
 * (per page and in total), how long they have been idle, why they are stuck. Plain data and words,
 * no DOM: the board's view puts these into cells, and the unit tests check them.
 */
import type { BoardLearner, BoardMessage, StuckReason } from '../../protocol/workshop.ts';
import type { BoardStrings } from './board-strings.ts';

/** One page of the site as the board knows it (Board.astro builds these at build time). */
export interface BoardPage {
  /** Without the locale prefix: `docker-network`. */
  slug: string;
  title: string;
  /** The page's visible runnable blocks (src/workshop/block-index.ts), with the heading text each sits under. */
  blocks: { id: string; section: string | null }[];
  /** Heading ids (what a learner's `section` names) to their text. */
  headings: Record<string, string>;
}

export interface Counts {
  passed: number;
  failed: number;
  stopped: number;
  notRun: number;
  total: number;
}

export interface PageProgress extends Counts {
  slug: string;
  title: string;
}

export interface Progress {
  total: Counts;
  /** Every page that has blocks, in the sidebar's order. */
  pages: PageProgress[];
}

export class BoardIndex {
  readonly pages: readonly BoardPage[];
  readonly #bySlug: Map<string, BoardPage>;

  constructor(pages: readonly BoardPage[]) {
    this.pages = pages;
    this.#bySlug = new Map(pages.map((page) => [page.slug, page]));
  }

  page(slug: string): BoardPage | undefined {
    return this.#bySlug.get(slug);
  }

  title(slug: string): string {
    return this.#bySlug.get(slug)?.title ?? slug;
  }

  /** The heading text a block sits under, or null when the page or the block is not known. */
  blockSection(slug: string, block: string): string | null {
    return this.#bySlug.get(slug)?.blocks.find((b) => b.id === block)?.section ?? null;
  }
}

/** Blocks passed, failed, stopped and not run, counted against the index (outcomes of blocks it does not list are left out). */
export function progressOf(learner: Pick<BoardLearner, 'blocks'>, index: BoardIndex): Progress {
  const latest = new Map(learner.blocks.map((b) => [`${b.page}\n${b.block}`, b.outcome]));
  const total: Counts = { passed: 0, failed: 0, stopped: 0, notRun: 0, total: 0 };
  const pages: PageProgress[] = [];
  for (const page of index.pages) {
    if (page.blocks.length === 0) continue;
    const counts: PageProgress = { slug: page.slug, title: page.title, passed: 0, failed: 0, stopped: 0, notRun: 0, total: page.blocks.length };
    for (const block of page.blocks) {
      const outcome = latest.get(`${page.slug}\n${block.id}`);
      if (outcome === 'passed') counts.passed += 1;
      else if (outcome === 'failed') counts.failed += 1;
      else if (outcome === 'stopped') counts.stopped += 1;
      else counts.notRun += 1;
    }
    for (const key of ['passed', 'failed', 'stopped', 'notRun', 'total'] as const) total[key] += counts[key];
    pages.push(counts);
  }
  return { total, pages };
}

/** `passed · failed · not run`, with `stopped` only when there are some. */
export function countsText(counts: Counts, strings: BoardStrings): string {
  const text = strings.s('progress.summary', { passed: counts.passed, failed: counts.failed, notRun: counts.notRun });
  return counts.stopped > 0 ? `${text} · ${strings.s('progress.stopped', { count: counts.stopped })}` : text;
}

/** One line per page the learner has run something on. */
export function pageLines(progress: Progress, strings: BoardStrings): string[] {
  return progress.pages
    .filter((page) => page.passed + page.failed + page.stopped > 0)
    .map((page) => strings.s('progress.page', { page: page.title, passed: page.passed, total: page.total, failed: page.failed }));
}

/** Page title and section, as the learner's sidebar and headings name them. */
export function whereOf(learner: Pick<BoardLearner, 'page' | 'section'>, index: BoardIndex, strings: BoardStrings): { page: string; section: string | null } {
  if (learner.page === null) return { page: strings.s('where.none'), section: null };
  const page = index.page(learner.page);
  const section = learner.section === null ? null : (page?.headings[learner.section] ?? learner.section);
  return { page: index.title(learner.page), section };
}

/** The stuck flag's reason, in words. */
export function stuckText(stuck: StuckReason, index: BoardIndex, strings: BoardStrings): string {
  if (stuck.reason === 'no-progress') return strings.s('stuck.noProgress', { minutes: stuck.minutes });
  const section = index.blockSection(stuck.page, stuck.block) ?? index.title(stuck.page);
  return strings.s('stuck.failedTwice', { section });
}

/** How long since the learner's last activity, or that there was none. */
export function idleText(lastActivity: number | null, now: number, strings: BoardStrings): string {
  if (lastActivity === null) return strings.s('activity.never');
  return strings.s('activity.idle', { duration: strings.duration(now - lastActivity) });
}

/** A sandbox's memory use in MiB, or null when the runner does not know it. */
export function memoryText(bytes: number | null, strings: BoardStrings): string | null {
  return bytes === null ? null : strings.s('memory', { mib: Math.round(bytes / (1024 * 1024)) });
}

export interface HeaderCounts {
  joined: number;
  /** Learners with a sandbox (being prepared or ready). */
  active: number;
  queued: number;
  stuck: number;
}

export function headerCounts(board: Pick<BoardMessage, 'learners' | 'queue'>): HeaderCounts {
  return {
    joined: board.learners.length,
    active: board.learners.filter((l) => l.sandbox === 'preparing' || l.sandbox === 'ready').length,
    queued: board.queue.length,
    stuck: board.learners.filter((l) => l.stuck !== null).length,
  };
}
