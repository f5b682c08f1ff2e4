/**
 * The facilitator board's model (src/workshop/board/board-model.ts): progress counted against the
 * block index per page and in total, where a learner is in words, why they are stuck, idle time,
 * memory, the header's counts; and the endpoints the board connects to. Expected values are
 * written out here, not computed by the code under test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import en from '../../src/content/i18n/en.json' with { type: 'json' };
import zh from '../../src/content/i18n/zh-CN.json' with { type: 'json' };
import { pick } from '../../src/components/lab-strings.ts';
import { BoardIndex, countsText, headerCounts, idleText, memoryText, pageLines, progressOf, stuckText, whereOf, type BoardPage } from '../../src/workshop/board/board-model.ts';
import { boardStrings } from '../../src/workshop/board/board-strings.ts';
import { facilitatorEndpoints } from '../../src/workshop/board/board-socket.ts';
import type { BoardLearner } from '../../src/protocol/workshop.ts';

const strings = boardStrings(pick((key) => (en as Record<string, string>)[key] ?? '', 'lab.board.'));
const zhStrings = boardStrings(pick((key) => (zh as Record<string, string>)[key] ?? '', 'lab.board.'));

const PAGES: BoardPage[] = [
  { slug: 'lab', title: 'Lab terminal', blocks: [], headings: {} },
  {
    slug: 'docker-network',
    title: 'Docker networking',
    blocks: [
      { id: 'aaaaaaaaaaa1', section: 'Understanding docker0' },
      { id: 'aaaaaaaaaaa2', section: 'Understanding docker0' },
      { id: 'aaaaaaaaaaa3', section: 'The --link option' },
    ],
    headings: { 'understanding-docker0': 'Understanding docker0', 'the---link-option': 'The --link option' },
  },
  { slug: 'network-modes', title: 'Network modes', blocks: [{ id: 'bbbbbbbbbbb1', section: null }, { id: 'bbbbbbbbbbb2', section: 'host' }], headings: { host: 'host' } },
];
const index = new BoardIndex(PAGES);

function learner(fields: Partial<BoardLearner>): BoardLearner {
  return { id: 'AAAAAAAAAAAAAAAA', name: 'Ada', joinedAt: 0, page: null, section: null, lastActivity: null, blocks: [], stuck: null, sandbox: 'none', memoryBytes: null, terminals: [], ...fields };
}

test('progress: the latest outcome of each indexed block, per page and in total; unknown blocks are left out', () => {
  const ada = learner({
    blocks: [
      { page: 'docker-network', block: 'aaaaaaaaaaa1', outcome: 'passed', at: 1, failures: 0 },
      { page: 'docker-network', block: 'aaaaaaaaaaa2', outcome: 'failed', at: 2, failures: 2 },
      { page: 'network-modes', block: 'bbbbbbbbbbb2', outcome: 'stopped', at: 3, failures: 0 },
      { page: 'docker-network', block: 'ffffffffffff', outcome: 'passed', at: 4, failures: 0 },
    ],
  });
  const progress = progressOf(ada, index);
  assert.deepEqual(progress.total, { passed: 1, failed: 1, stopped: 1, notRun: 2, total: 5 });
  assert.deepEqual(progress.pages.map((p) => [p.slug, p.passed, p.failed, p.stopped, p.notRun]), [
    ['docker-network', 1, 1, 0, 1],
    ['network-modes', 0, 0, 1, 1],
  ]);
  assert.equal(countsText(progress.total, strings), '1 passed · 1 failed · 2 not run · 1 stopped');
  assert.deepEqual(pageLines(progress, strings), ['Docker networking: 1 of 3 passed, 1 failed', 'Network modes: 0 of 2 passed, 0 failed']);
  assert.equal(countsText(progressOf(learner({}), index).total, zhStrings), '0 个通过 · 0 个失败 · 5 个未运行');
  assert.deepEqual(pageLines(progressOf(learner({}), index), strings), [], 'a page with nothing run gets no line');
});

test('where: the page title and the heading text of the section id; ids and slugs the index lacks show as they are', () => {
  assert.deepEqual(whereOf(learner({ page: 'docker-network', section: 'the---link-option' }), index, strings), { page: 'Docker networking', section: 'The --link option' });
  assert.deepEqual(whereOf(learner({ page: 'lab', section: null }), index, strings), { page: 'Lab terminal', section: null });
  assert.deepEqual(whereOf(learner({ page: 'new-page', section: 'intro' }), index, strings), { page: 'new-page', section: 'intro' });
  assert.deepEqual(whereOf(learner({}), index, strings), { page: 'Not on a page yet', section: null });
});

test('stuck, in words: the failed block\'s section (else its page), or the minutes without progress', () => {
  assert.equal(stuckText({ reason: 'failed-twice', page: 'docker-network', block: 'aaaaaaaaaaa3' }, index, strings), 'failed the same block twice: The --link option');
  assert.equal(stuckText({ reason: 'failed-twice', page: 'network-modes', block: 'bbbbbbbbbbb1' }, index, strings), 'failed the same block twice: Network modes');
  assert.equal(stuckText({ reason: 'no-progress', minutes: 12 }, index, strings), 'no progress for 12 min');
  assert.equal(stuckText({ reason: 'no-progress', minutes: 12 }, index, zhStrings), '12 分钟没有进展');
});

test('idle time from the runner\'s clock, in seconds, minutes or hours; memory in MiB', () => {
  assert.equal(idleText(null, 10_000, strings), 'No activity yet');
  assert.equal(idleText(1_000, 46_900, strings), 'idle 45 s');
  assert.equal(idleText(0, (12 * 60 + 5) * 1000, strings), 'idle 12 min 5 s');
  assert.equal(idleText(0, (2 * 3600 + 3 * 60 + 59) * 1000, strings), 'idle 2 h 3 min');
  assert.equal(idleText(5_000, 1_000, strings), 'idle 0 s', 'a clock that went back says 0, not a negative time');
  assert.equal(idleText(0, 61_000, zhStrings), '空闲 1 分 1 秒');
  assert.equal(memoryText(157_286_400, strings), '150 MiB');
  assert.equal(memoryText(null, strings), null);
});

test('the header counts: joined, with a sandbox, in the queue, stuck', () => {
  const learners = [
    learner({ sandbox: 'ready', stuck: { reason: 'no-progress', minutes: 10 } }),
    learner({ sandbox: 'preparing' }),
    learner({ sandbox: 'queued' }),
    learner({ sandbox: 'none' }),
  ];
  assert.deepEqual(headerCounts({ learners, queue: [{ learner: 'AAAAAAAAAAAAAAAA', reason: 'memory', since: 0 }] }), { joined: 4, active: 2, queued: 1, stuck: 1 });
});

test('endpoints: the page\'s own host, or the host of the configured runner URL, with the matching schemes', () => {
  assert.deepEqual(facilitatorEndpoints('', { protocol: 'http:', host: '127.0.0.1:4321' }), { ws: 'ws://127.0.0.1:4321/lab/workshop/ws', export: 'http://127.0.0.1:4321/lab/workshop/export.csv' });
  assert.deepEqual(facilitatorEndpoints('', { protocol: 'https:', host: 'docs.example.org' }), { ws: 'wss://docs.example.org/lab/workshop/ws', export: 'https://docs.example.org/lab/workshop/export.csv' });
  assert.deepEqual(facilitatorEndpoints('wss://lab.example.org/lab/ws', { protocol: 'https:', host: 'docs.example.org' }), { ws: 'wss://lab.example.org/lab/workshop/ws', export: 'https://lab.example.org/lab/workshop/export.csv' });
});
