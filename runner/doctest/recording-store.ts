/**
 * Writes a page's recordings (record mode) and tells which blocks lack a recording or have a stale
 * one (check mode). The format and the folders are src/blocks/recordings.ts's.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { encodeCast, readIndex, type RecordingIndex } from '../../src/blocks/recordings.ts';
import type { BlockOutcome } from './page-run.ts';
import type { DocPage } from './pages.ts';
import { blockTitle } from './report.ts';

/** Writes every block's cast and the page's index, and removes casts of blocks the page no longer has. */
export function writeRecordings(page: DocPage, outcomes: BlockOutcome[], engine: string): void {
  mkdirSync(page.recordings, { recursive: true });
  const index: RecordingIndex = { sources: page.sources, blocks: {} };
  for (const outcome of outcomes) {
    const id = outcome.block.data.id;
    writeFileSync(join(page.recordings, `${id}.cast`), encodeCast(outcome.cast.header, outcome.cast.events));
    index.blocks[id] = {
      sourceHash: outcome.block.sourceHash,
      exitCode: outcome.exitCode,
      recordedAt: outcome.recordedAt.toISOString(),
      engine,
      durationMs: Math.round(outcome.durationMs),
    };
  }
  writeFileSync(join(page.recordings, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  const ids = new Set(Object.keys(index.blocks));
  for (const entry of readdirSync(page.recordings, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.cast') && !ids.has(entry.name.slice(0, -'.cast'.length))) rmSync(join(page.recordings, entry.name));
  }
}

/** One line per runnable block of `page` that has no recording, or one made from another version of the block. */
export function recordingProblems(page: DocPage, root: string): string[] {
  const folder = relative(root, page.recordings);
  const index = readIndex(page.recordings);
  if (!index) return [`${page.name}: no recordings (${folder}/index.json is missing); run npm run record`];
  const problems: string[] = [];
  page.blocks.forEach((block, i) => {
    const entry = index.blocks[block.data.id];
    const where = blockTitle(page, i);
    if (!entry) problems.push(`${where}: no recording`);
    else if (entry.sourceHash !== block.sourceHash) problems.push(`${where}: stale recording (made from another version of the block: sourceHash ${entry.sourceHash}, the page's ${block.sourceHash})`);
    else if (!existsSync(join(page.recordings, `${block.data.id}.cast`))) problems.push(`${where}: ${folder}/${block.data.id}.cast is missing`);
  });
  if (problems.length) problems.push(`${page.name}: run npm run record -- ${page.slug}`);
  return problems;
}
