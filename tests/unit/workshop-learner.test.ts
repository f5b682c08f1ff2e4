/**
 * The learner's side of workshop mode, without a browser: the sidebar's progress counted against
 * the block index, how a block's run is reported (passed, failed, stopped, exit status), the join
 * page's name checks and refusals in words, the queue's sentence, and the names the page reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import en from '../../src/content/i18n/en.json' with { type: 'json' };
import zh from '../../src/content/i18n/zh-CN.json' with { type: 'json' };
import { LearnerProgress, type RecordedOutcome } from '../../src/workshop/learner/progress.ts';
import { reportedOutcome } from '../../src/workshop/learner/outcome.ts';
import { checkName, readJoined, refusal } from '../../src/workshop/learner/join-form.ts';
import { LearnerStrings } from '../../src/workshop/learner/strings.ts';
import { linkSlug, sectionText } from '../../src/workshop/learner/locations.ts';
import { decodeClientMessage, encode } from '../../src/protocol/wire.ts';

const index = [
  { slug: 'docker-network', blocks: ['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'cccccccccccc', 'aaaaaaaaaaaa-2'] },
  { slug: 'network-modes', blocks: ['dddddddddddd', 'eeeeeeeeeeee'] },
];
const at = (page: string, block: string, outcome: RecordedOutcome['outcome'], time: number): RecordedOutcome => ({ page, block, outcome, at: time });

test('progress: passed blocks out of each page\'s blocks, by each block\'s latest outcome', () => {
  const progress = new LearnerProgress();
  progress.reset([
    at('docker-network', 'aaaaaaaaaaaa', 'passed', 1),
    at('docker-network', 'bbbbbbbbbbbb', 'failed', 2),
    at('docker-network', 'aaaaaaaaaaaa-2', 'passed', 3),
    at('network-modes', 'dddddddddddd', 'stopped', 4),
  ]);
  assert.deepEqual(Object.fromEntries(progress.count(index)), { 'docker-network': { passed: 2, total: 4 }, 'network-modes': { passed: 0, total: 2 } });
  // A pass after a failure counts; a failure after a pass takes it back.
  progress.record(at('docker-network', 'bbbbbbbbbbbb', 'passed', 5));
  progress.record(at('docker-network', 'aaaaaaaaaaaa', 'failed', 6));
  assert.deepEqual(progress.count(index).get('docker-network'), { passed: 2, total: 4 });
  assert.deepEqual(progress.passed('docker-network', index[0]?.blocks ?? []), ['bbbbbbbbbbbb', 'aaaaaaaaaaaa-2']);
});

test('progress: an outcome older than the block\'s latest, or of a block or page the index lacks, is not counted', () => {
  const progress = new LearnerProgress();
  progress.record(at('docker-network', 'cccccccccccc', 'passed', 10));
  progress.record(at('docker-network', 'cccccccccccc', 'failed', 9)); // arrived late
  progress.record(at('docker-network', 'ffffffffffff', 'passed', 11)); // a block since removed from the page
  progress.record(at('old-page', 'aaaaaaaaaaaa', 'passed', 12));
  assert.deepEqual(Object.fromEntries(progress.count(index)), { 'docker-network': { passed: 1, total: 4 }, 'network-modes': { passed: 0, total: 2 } });
  // A new record (the `learner` message after a welcome) replaces what was there.
  progress.reset([]);
  assert.deepEqual(progress.count(index).get('docker-network'), { passed: 0, total: 4 });
});

test('progress: "Resume where I was" runs to the last block of the page, in page order, that passed', () => {
  const progress = new LearnerProgress();
  const blocks = index[0]?.blocks ?? [];
  assert.equal(progress.lastPassed('docker-network', blocks), null);
  progress.reset([at('docker-network', 'cccccccccccc', 'passed', 1), at('docker-network', 'aaaaaaaaaaaa', 'passed', 2), at('docker-network', 'aaaaaaaaaaaa-2', 'failed', 3)]);
  assert.equal(progress.lastPassed('docker-network', blocks), 'cccccccccccc');
  assert.equal(progress.lastPassed('network-modes', index[1]?.blocks ?? []), null);
});

test('outcome: done and the expected failure pass, with the exit status the page knows; stopped and failed say so', () => {
  assert.deepEqual(reportedOutcome({ block: 'aaaaaaaaaaaa', outcome: { kind: 'done' }, expectedExit: 0 }), { outcome: 'passed', exitCode: 0 });
  assert.deepEqual(reportedOutcome({ block: 'aaaaaaaaaaaa', outcome: { kind: 'done' }, expectedExit: 3 }), { outcome: 'passed', exitCode: 3 });
  // A block typed into a program (redis-cli) has no exit status.
  assert.deepEqual(reportedOutcome({ block: 'aaaaaaaaaaaa', outcome: { kind: 'done' }, expectedExit: null }), { outcome: 'passed', exitCode: null });
  assert.deepEqual(reportedOutcome({ block: 'aaaaaaaaaaaa', outcome: { kind: 'expected-failure', exitCode: 1 }, expectedExit: 'nonzero' }), { outcome: 'passed', exitCode: 1 });
  assert.deepEqual(reportedOutcome({ block: 'aaaaaaaaaaaa', outcome: { kind: 'failed', reason: 'exit', exitCode: 127, expected: 0 }, expectedExit: 0 }), { outcome: 'failed', exitCode: 127 });
  assert.deepEqual(reportedOutcome({ block: 'aaaaaaaaaaaa', outcome: { kind: 'failed', reason: 'no-match', expect: 'inet' }, expectedExit: 0 }), { outcome: 'failed', exitCode: null });
  assert.deepEqual(reportedOutcome({ block: 'aaaaaaaaaaaa', outcome: { kind: 'failed', reason: 'timeout', seconds: 30, phase: 'run' }, expectedExit: 0 }), { outcome: 'failed', exitCode: null });
  assert.deepEqual(reportedOutcome({ block: 'aaaaaaaaaaaa', outcome: { kind: 'failed', reason: 'disconnected' }, expectedExit: 0 }), { outcome: 'failed', exitCode: null });
  assert.deepEqual(reportedOutcome({ block: 'aaaaaaaaaaaa', outcome: { kind: 'stopped' }, expectedExit: 0 }), { outcome: 'stopped', exitCode: null });
  // A status the protocol cannot carry is not sent as one.
  assert.deepEqual(reportedOutcome({ block: 'aaaaaaaaaaaa', outcome: { kind: 'failed', reason: 'exit', exitCode: 300, expected: 0 }, expectedExit: 0 }), { outcome: 'failed', exitCode: null });
});

test('outcome: what the page sends is a valid `outcome` message of the wire protocol', () => {
  const { outcome, exitCode } = reportedOutcome({ block: 'aaaaaaaaaaaa-2', outcome: { kind: 'expected-failure', exitCode: 2 }, expectedExit: 'nonzero' });
  const decoded = decodeClientMessage(encode({ type: 'outcome', page: 'docker-network', block: 'aaaaaaaaaaaa-2', outcome, exitCode }));
  assert.deepEqual(decoded, { ok: true, message: { type: 'outcome', page: 'docker-network', block: 'aaaaaaaaaaaa-2', outcome: 'passed', exitCode: 2 } });
});

test('join page: a display name is trimmed, and its problems are said in the page\'s language', () => {
  assert.deepEqual(checkName(en, '  Ada Lovelace  '), { ok: true, name: 'Ada Lovelace' });
  // Markup is just characters in a name: it is allowed, and shown as typed.
  assert.deepEqual(checkName(en, '<img src=x onerror=alert(1)>'), { ok: true, name: '<img src=x onerror=alert(1)>' });
  assert.deepEqual(checkName(en, '   '), { ok: false, error: 'Type a display name.' });
  assert.deepEqual(checkName(en, 'x'.repeat(41)), { ok: false, error: 'A display name is at most 40 characters.' });
  assert.deepEqual(checkName(en, '😀'.repeat(40)), { ok: true, name: '😀'.repeat(40) }); // 40 characters, 80 UTF-16 units
  assert.deepEqual(checkName(en, 'Ada\nLovelace'), { ok: false, error: 'A display name cannot hold line breaks or control characters.' });
  assert.deepEqual(checkName(en, 'Ada\u2028Lovelace'), { ok: false, error: 'A display name cannot hold line breaks or control characters.' });
  assert.deepEqual(checkName(zh, ''), { ok: false, error: '请输入一个显示名称。' });
  assert.deepEqual(checkName(zh, 'x'.repeat(41)), { ok: false, error: '显示名称最多 40 个字符。' });
});

test('join page: each refusal in words, with the wait a 429 asks for', () => {
  assert.deepEqual(refusal(en, 403, { error: 'forbidden', message: 'not this workshop' }, null), { field: false, text: 'This join link is not valid any more: ask the facilitator for the current one.' });
  assert.deepEqual(refusal(en, 410, { error: 'ended', message: 'ended' }, null), { field: false, text: 'This workshop has ended: nobody can join it any more.' });
  assert.deepEqual(refusal(en, 429, { error: 'too-many', message: 'slow down' }, '17'), { field: false, text: 'Too many people joined from this network just now: wait 17 s, then press Join again.' });
  assert.deepEqual(refusal(en, 429, null, null), { field: false, text: 'Too many people joined from this network just now: wait a moment, then press Join again.' });
  assert.deepEqual(refusal(en, 'unreachable', null, null), { field: false, text: "The workshop's lab runner cannot be reached. Check the link, or ask the facilitator whether the workshop is running." });
  assert.deepEqual(refusal(en, 400, { error: 'bad-name', message: 'A display name is needed.' }, null), { field: true, text: 'A display name is needed.' });
  assert.deepEqual(refusal(en, 500, null, null), { field: false, text: 'The lab runner refused to join you: HTTP 500' });
  assert.deepEqual(refusal(zh, 429, null, '5'), { field: false, text: '刚才从这个网络加入的人太多：请等 5 秒后再点「加入」。' });
});

test('join page: a 201 is kept only when it holds a learner, its credential and the workshop', () => {
  const learner = 'L'.repeat(16);
  const credential = `${learner}${'s'.repeat(32)}`;
  const workshop = { name: 'Docker networking, room 3', endsAt: 1_800_000_000_000 };
  assert.deepEqual(readJoined({ learner, credential, workshop }), { learner, credential, workshop });
  assert.equal(readJoined({ learner, credential: 's'.repeat(48), workshop }), null); // not this learner's
  assert.equal(readJoined({ learner, credential: credential.slice(1), workshop }), null);
  assert.equal(readJoined({ learner: 'short', credential, workshop }), null);
  assert.equal(readJoined({ learner, credential }), null);
  assert.equal(readJoined('<html>'), null);
});

test('queue: the place in the room\'s queue, and the wait for memory, in both languages', () => {
  const english = new LearnerStrings(en, 'en');
  assert.equal(english.queue({ reason: 'room-full', position: 3, of: 5, retryAfter: null }), 'The room is full: you are 3rd of 5 in the queue. Your sandbox starts by itself when a place frees up.');
  assert.equal(english.queue({ reason: 'room-full', position: 1, of: 1, retryAfter: null }), 'The room is full: you are 1st of 1 in the queue. Your sandbox starts by itself when a place frees up.');
  assert.deepEqual([2, 4, 11, 12, 13, 21, 22, 23].map((n) => english.ordinal(n)), ['2nd', '4th', '11th', '12th', '13th', '21st', '22nd', '23rd']);
  assert.equal(english.queue({ reason: 'memory', position: 1, of: 2, retryAfter: 20 }), 'The machine has no memory for another sandbox right now; retrying in 20 s.');
  assert.equal(english.queue({ reason: 'memory', position: 1, of: 2, retryAfter: null }), 'The machine has no memory for another sandbox right now; your sandbox starts by itself once there is.');
  const chinese = new LearnerStrings(zh, 'zh-CN');
  assert.equal(chinese.queue({ reason: 'room-full', position: 3, of: 5, retryAfter: null }), '房间已满：你在队列中排第 3 位，共 5 人。有空位时你的沙箱会自动启动。');
  assert.deepEqual(english.count(3, 7), { shown: '3/7', said: '3 of 7 blocks passed' });
  assert.deepEqual(chinese.count(3, 7), { shown: '3/7', said: '共 7 个代码块，已通过 3 个' });
});

test('locations: a sidebar link\'s page without its locale, and a heading\'s text as `location` takes it', () => {
  assert.equal(linkSlug('/docker-network/'), 'docker-network');
  assert.equal(linkSlug('/en/docker-network/'), 'docker-network');
  assert.equal(linkSlug('/en/'), '');
  assert.equal(linkSlug('/network-modes/index.html'), 'network-modes');
  assert.equal(sectionText('  Redis   cluster\n'), 'Redis cluster');
  assert.equal(sectionText(''), null);
  assert.equal(sectionText(null), null);
  assert.equal(sectionText('x'.repeat(300))?.length, 200);
  const decoded = decodeClientMessage(encode({ type: 'location', page: 'docker-network', section: sectionText(`A\u0007B ${'字'.repeat(250)}`) }));
  assert.equal(decoded.ok, true);
});
