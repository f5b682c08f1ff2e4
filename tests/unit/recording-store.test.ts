/**
 * Check mode on stored recordings (runner/doctest/recording-store.ts): a cast that no longer meets
 * its block's claims fails, naming the page, the block and what differs; recordings made on another
 * sandbox recipe fail as stale with both hashes; a recording of another version of a block is stale;
 * what record mode writes says where it came from. On a small page of its own, in a temporary folder.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCast, findRecording, readIndex, type RecordedWith, type RecordingIndex } from '../../src/blocks/recordings.ts';
import { findPages, type DocPage } from '../../runner/doctest/pages.ts';
import type { ExtractedBlock } from '../../src/blocks/extract.ts';
import { recordingProblems, writeRecordings } from '../../runner/doctest/recording-store.ts';
import type { BlockOutcome } from '../../runner/doctest/page-run.ts';
import type { TopologySnapshot } from '../../src/protocol/topology.ts';

const PAGE = `---
title: recordings
---

\`\`\`sh run expect="^hello$"
echo hello
\`\`\`

\`\`\`sh run terminal=redis prompt="[\\d.]+:6379> $" expect="zhiyuan"
get name
\`\`\`
`;
const PROMPT = '\x1b]133;A\x07\x1b[1;32m[root@lab ~]#\x1b[0m \x1b]133;B\x07';
/** As bash prints a pasted `echo hello` with the lab's marks. */
const bash = (output: string, status = 0) => `echo hello\r\n\x1b[?2004l\r\x1b]133;C\x07${output}\r\n\x1b]133;D;${status}\x07\x1b[?2004h${PROMPT}`;
/** As redis-cli's line editor echoes `get name`, then its answer and the next prompt. */
const REDIS = '\r\x1b[0K127.0.0.1:6379> g\r\x1b[17C\r\x1b[0K127.0.0.1:6379> get name\r\x1b[24C\r\n"zhiyuan"\r\n127.0.0.1:6379> ';
const CLEAN = JSON.parse(readFileSync(new URL('../fixtures/topology/01-clean.json', import.meta.url), 'utf8')) as TopologySnapshot;
const RECORDED_WITH: RecordedWith = { sandboxRecipe: 'aaaa1111aaaa1111', commit: '0123abcd', uncommitted: false };

const root = mkdtempSync(join(tmpdir(), 'lab-recordings-'));
after(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'content/docs'), { recursive: true });
writeFileSync(join(root, 'content/docs/rec.mdx'), PAGE);
const page = findPages(root)[0] as DocPage;
const [echo, get] = page.blocks as [ExtractedBlock, ExtractedBlock];

function store(streams: [string, string], recordedWith: RecordedWith | null = RECORDED_WITH, hashes = [echo.sourceHash, get.sourceHash]): void {
  mkdirSync(page.recordings, { recursive: true });
  // Network snapshots: the first block's stored, the second the same (tests/unit/topology-recordings.test.ts checks them).
  const entry = (sourceHash: string, exitCode: number | null, topology: 'stored' | 'same') => ({ sourceHash, exitCode, recordedAt: '2026-12-01T00:00:00.000Z', engine: '20.10.24', durationMs: 10, topology });
  const index: RecordingIndex = { sources: page.sources, ...(recordedWith ? { recordedWith } : {}), blocks: { [echo.data.id]: entry(hashes[0] as string, 0, 'stored'), [get.data.id]: entry(hashes[1] as string, null, 'same') } };
  writeFileSync(join(page.recordings, 'index.json'), JSON.stringify(index));
  copyFileSync(new URL('../fixtures/topology/01-clean.json', import.meta.url), join(page.recordings, `${echo.data.id}.topology.json`));
  streams.forEach((stream, i) => writeFileSync(join(page.recordings, `${page.blocks[i]?.data.id}.cast`), encodeCast({ version: 2, width: 120, height: 30, timestamp: 0, title: 't' }, [[0.01, 'o', stream]])));
}

test('fresh recordings that meet their claims: no problem', () => {
  store([bash('hello'), REDIS]);
  assert.deepEqual(recordingProblems(page, root, RECORDED_WITH), []);
});

test('a stored cast that no longer meets its block\'s claims fails, naming the page, the block and what differs', () => {
  store([bash('goodbye'), REDIS.replace('"zhiyuan"', '(nil)')]);
  assert.deepEqual(recordingProblems(page, root, RECORDED_WITH), [
    `content/docs/rec.mdx:5 [${echo.data.id}] echo hello: the recording does not meet the block's expectations: output: expected to match /^hello$/`,
    `content/docs/rec.mdx:9 [${get.data.id}] get name: the recording does not meet the block's expectations: output: expected to match /zhiyuan/`,
    'rec: run npm run record -- rec',
  ]);
});

test('a cast that does not end as its block does, or whose exit status is not its index\'s, fails', () => {
  store([bash('hello', 1), REDIS.replace(/127\.0\.0\.1:6379> $/, '')]);
  assert.deepEqual(recordingProblems(page, root, RECORDED_WITH), [
    `content/docs/rec.mdx:5 [${echo.data.id}] echo hello: the recording ends with exit status 1, its index says 0`,
    `content/docs/rec.mdx:9 [${get.data.id}] get name: the recording does not end at the prompt /[\\d.]+:6379> $/`,
    'rec: run npm run record -- rec',
  ]);
});

test('recordings made on another sandbox recipe, or not saying which, are stale, with both hashes', () => {
  store([bash('hello'), REDIS]);
  const now = { ...RECORDED_WITH, sandboxRecipe: 'bbbb2222bbbb2222' };
  assert.deepEqual(recordingProblems(page, root, now), ['rec: stale recordings: made on sandbox recipe aaaa1111aaaa1111 (commit 0123abcd), the sandbox image now is recipe bbbb2222bbbb2222', 'rec: run npm run record -- rec']);
  store([bash('hello'), REDIS], null);
  assert.match(recordingProblems(page, root, now)[0] ?? '', /^rec: stale recordings: content\/recordings\/rec\/index\.json does not say which sandbox recipe they were made on \(the sandbox image now is recipe bbbb2222bbbb2222\)$/);
});

test('a recording of another version of a block is stale, with both source hashes', () => {
  store([bash('hello'), REDIS], RECORDED_WITH, ['0000deadbeef', get.sourceHash]);
  assert.deepEqual(recordingProblems(page, root, RECORDED_WITH)[0], `content/docs/rec.mdx:5 [${echo.data.id}] echo hello: stale recording (made from another version of the block: sourceHash 0000deadbeef, the page's ${echo.sourceHash})`);
});

test('record mode writes where the recordings came from, and each block\'s cast', () => {
  const outcome = (i: number, stream: string): BlockOutcome => ({
    page,
    index: i,
    block: page.blocks[i] as BlockOutcome['block'],
    status: 'passed',
    failures: [],
    exitCode: i === 0 ? 0 : null,
    output: '',
    durationMs: 12.4,
    recordedAt: new Date('2026-12-01T01:02:03.000Z'),
    cast: { header: { version: 2, width: 120, height: 30, timestamp: 0, title: 't' }, events: [[0.01, 'o', stream]] },
    topology: CLEAN,
  });
  writeRecordings(page, [outcome(0, bash('hello')), outcome(1, REDIS)], '20.10.24+dfsg1', RECORDED_WITH);
  const index = JSON.parse(readFileSync(join(page.recordings, 'index.json'), 'utf8')) as RecordingIndex;
  assert.deepEqual(index.recordedWith, RECORDED_WITH);
  assert.deepEqual(index.blocks[echo.data.id], { sourceHash: echo.sourceHash, exitCode: 0, recordedAt: '2026-12-01T01:02:03.000Z', engine: '20.10.24+dfsg1', durationMs: 12, topology: 'stored' });
  assert.equal(readIndex(page.recordings)?.blocks[get.data.id]?.exitCode, null);
  assert.deepEqual(recordingProblems(page, root, RECORDED_WITH), [], 'what it wrote passes check mode');
});

test('the build finds a fresh recording, and tells a stale one (another version of the block) from a missing one', () => {
  store([bash('hello'), REDIS], RECORDED_WITH, ['0000deadbeef', get.sourceHash]);
  const file = join(root, 'content/docs/rec.mdx');
  assert.equal(findRecording(file, echo.data.id, echo.sourceHash), 'stale');
  assert.equal(findRecording(file, 'ffffffffffff', echo.sourceHash), 'missing');
  const fresh = findRecording(file, get.data.id, get.sourceHash);
  assert.ok(typeof fresh === 'object', 'the current version of the block has its recording');
  assert.equal(fresh.stream, REDIS);
  assert.equal(findRecording(join(root, 'content/docs/en/rec.mdx'), get.data.id, get.sourceHash) !== 'missing', true, 'a translation without a folder of its own shares it');
});
