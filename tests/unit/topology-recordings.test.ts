/**
 * The network snapshots the doc-tests store beside the recordings (runner/doctest/recording-store.ts,
 * format in src/blocks/recordings.ts): a file only for the blocks whose network differs from the one
 * after the block before, read back by the build with readTopology (both locales alike), and checked
 * for staleness in check mode. On a small page of its own, in a temporary folder, with snapshots
 * captured from a real sandbox (tests/fixtures/topology/).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIndex, readTopology, type RecordedWith } from '../../src/blocks/recordings.ts';
import { findPages, type DocPage } from '../../runner/doctest/pages.ts';
import { recordingProblems, writeRecordings } from '../../runner/doctest/recording-store.ts';
import type { BlockOutcome } from '../../runner/doctest/page-run.ts';
import type { TopologySnapshot } from '../../src/protocol/topology.ts';

const fixture = (point: string) => JSON.parse(readFileSync(new URL(`../fixtures/topology/${point}.json`, import.meta.url), 'utf8')) as TopologySnapshot;
const CLEAN = fixture('01-clean');
const TWO = fixture('02-tomcat01-tomcat02');

const PAGE = `---
title: topology
---

\`\`\`sh run
ip addr
\`\`\`

\`\`\`sh run
docker run -d --name tomcat01 tomcat
\`\`\`

\`\`\`sh run
docker ps
\`\`\`
`;
const PROMPT = '\x1b]133;A\x07[root@lab ~]# \x1b]133;B\x07';
const RECORDED_WITH: RecordedWith = { sandboxRecipe: 'aaaa1111aaaa1111', commit: '0123abcd', uncommitted: false };

const root = mkdtempSync(join(tmpdir(), 'lab-topology-'));
after(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'content/docs/en'), { recursive: true });
writeFileSync(join(root, 'content/docs/topo.mdx'), PAGE);
writeFileSync(join(root, 'content/docs/en/topo.mdx'), PAGE);
const page = findPages(root)[0] as DocPage;
const ids = page.blocks.map((b) => b.data.id);

function outcome(i: number, topology: TopologySnapshot | undefined): BlockOutcome {
  const block = page.blocks[i] as BlockOutcome['block'];
  const stream = `${block.data.command}\r\n\x1b]133;C\x07ok\r\n\x1b]133;D;0\x07${PROMPT}`;
  return {
    page, index: i, block, status: 'passed', failures: [], exitCode: 0, output: 'ok', durationMs: 10, recordedAt: new Date('2026-12-01T01:02:03.000Z'),
    cast: { header: { version: 2, width: 120, height: 30, timestamp: 0, title: 't' }, events: [[0.01, 'o', stream]] },
    ...(topology ? { topology } : {}),
  };
}

test('a snapshot is stored for the first block and for each block that changed the network, not for one that did not', () => {
  writeRecordings(page, [outcome(0, CLEAN), outcome(1, TWO), outcome(2, { ...TWO, takenAt: TWO.takenAt + 500 })], '20.10.24', RECORDED_WITH);
  const files = readdirSync(page.recordings).filter((f) => f.endsWith('.topology.json')).sort();
  assert.deepEqual(files, [`${ids[0]}.topology.json`, `${ids[1]}.topology.json`].sort());
  assert.deepEqual(Object.values(readIndex(page.recordings)?.blocks ?? {}).map((e) => e.topology), ['stored', 'stored', 'same']);
  assert.deepEqual(recordingProblems(page, root, RECORDED_WITH), [], 'what it wrote passes check mode');
});

test('the build reads them back by block, in both locales; a block whose network did not change has none', () => {
  for (const file of [join(root, 'content/docs/topo.mdx'), join(root, 'content/docs/en/topo.mdx')]) {
    assert.deepEqual(readTopology(file, ids[0] as string), CLEAN);
    assert.deepEqual(readTopology(file, ids[1] as string)?.containers.map((c) => c.name), ['tomcat01', 'tomcat02']);
    assert.equal(readTopology(file, ids[2] as string), null);
    assert.equal(readTopology(file, 'ffffffffffff'), null);
  }
});

test('re-recording removes a snapshot that is no longer due', () => {
  writeRecordings(page, [outcome(0, TWO), outcome(1, TWO), outcome(2, TWO)], '20.10.24', RECORDED_WITH);
  assert.equal(existsSync(join(page.recordings, `${ids[1]}.topology.json`)), false);
  assert.equal(readTopology(join(root, 'content/docs/topo.mdx'), ids[0] as string)?.containers.length, 2);
});

test('check mode: recordings without snapshots are stale; a stored snapshot that is missing or broken is named', () => {
  writeRecordings(page, [outcome(0, undefined), outcome(1, undefined), outcome(2, undefined)], '20.10.24', RECORDED_WITH);
  assert.deepEqual(recordingProblems(page, root, RECORDED_WITH), ['topo: stale recordings: 3 of 3 blocks have no network snapshot (recorded before they were kept)', 'topo: run npm run record -- topo']);
  writeRecordings(page, [outcome(0, CLEAN), outcome(1, TWO), outcome(2, TWO)], '20.10.24', RECORDED_WITH);
  writeFileSync(join(page.recordings, `${ids[1]}.topology.json`), '{"takenAt": 1}');
  rmSync(join(page.recordings, `${ids[0]}.topology.json`));
  assert.deepEqual(recordingProblems(page, root, RECORDED_WITH), [
    `content/docs/topo.mdx:5 [${ids[0]}] ip addr: content/recordings/topo/${ids[0]}.topology.json is missing or not a network snapshot`,
    `content/docs/topo.mdx:9 [${ids[1]}] docker run -d --name tomcat01 tomcat: content/recordings/topo/${ids[1]}.topology.json is missing or not a network snapshot`,
    'topo: run npm run record -- topo',
  ]);
});
