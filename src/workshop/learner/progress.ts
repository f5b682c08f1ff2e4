/**
 * The learner's progress as the page shows it: the latest outcome of each block (what the runner
 * sent in `learner`, then what this page ran since), counted against the build-time block index
 * (src/workshop/block-index.ts) for the sidebar's "3/7", and read for this page's blocks: which
 * passed in an earlier sandbox, and the last of them ("Resume where I was"). No DOM.
 */
import type { OutcomeKind } from '../../protocol/workshop.ts';

/** What the page carries of the block index: each page's slug and its blocks' ids, in the sidebar's order. */
export type PageIndex = readonly { slug: string; blocks: readonly string[] }[];

export interface RecordedOutcome {
  page: string;
  block: string;
  outcome: OutcomeKind;
  /** ms since the epoch */
  at: number;
}

export interface PageCount {
  passed: number;
  total: number;
}

const key = (page: string, block: string) => `${page}\n${block}`;

export class LearnerProgress {
  readonly #latest = new Map<string, RecordedOutcome>();

  /** Replaces everything with the runner's record (the `learner` message's latest outcome per block). */
  reset(outcomes: readonly RecordedOutcome[]): void {
    this.#latest.clear();
    for (const outcome of outcomes) this.record(outcome);
  }

  /** An outcome; an older one than the block's latest is ignored (the runner's record may arrive late). */
  record(outcome: RecordedOutcome): void {
    const at = key(outcome.page, outcome.block);
    const known = this.#latest.get(at);
    if (!known || known.at <= outcome.at) this.#latest.set(at, { ...outcome });
  }

  latest(page: string, block: string): OutcomeKind | null {
    return this.#latest.get(key(page, block))?.outcome ?? null;
  }

  /** Passed blocks out of each indexed page's blocks; an outcome of a block the index lacks is not counted. */
  count(index: PageIndex): Map<string, PageCount> {
    const counts = new Map<string, PageCount>();
    for (const page of index) {
      const blocks = new Set(page.blocks);
      let passed = 0;
      for (const block of blocks) if (this.latest(page.slug, block) === 'passed') passed += 1;
      counts.set(page.slug, { passed, total: blocks.size });
    }
    return counts;
  }

  /** Of `blocks` (a page's, in page order), those whose latest outcome passed. */
  passed(page: string, blocks: readonly string[]): string[] {
    return blocks.filter((block) => this.latest(page, block) === 'passed');
  }

  /** The last of `blocks` (in page order) whose latest outcome passed: where "Resume where I was" runs to. */
  lastPassed(page: string, blocks: readonly string[]): string | null {
    return this.passed(page, blocks).at(-1) ?? null;
  }
}
