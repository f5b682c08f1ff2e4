import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { facilitatorServerMessage } from '../../src/protocol/workshop.ts';
import { openWorkshop, type OpenWorkshopOptions } from '../../runner/workshop/open.ts';
import { ACTIVITY_WRITE_INTERVAL_MS, type StoredWorkshopRecord } from '../../runner/workshop/record.ts';
import { STORE_FILE } from '../../runner/workshop/store.ts';
import type { LiveLearner, LiveView, QueueEntry } from '../../runner/workshop/types.ts';

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
const PAGE = 'docker-network';
const B1 = '0123456789ab';
const B2 = 'ba9876543210';
const B3 = 'abcdefabcdef-2';

class Clock {
  t = T0;
  now = () => this.t;
  advance(ms: number) {
    this.t += ms;
  }
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'workshop-record-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(t: TestContext, dataDir: string, clock: Clock, overrides: Partial<OpenWorkshopOptions> = {}) {
  const opened = openWorkshop({ dataDir, name: 'Docker networking, room 3', capacity: 30, durationS: 8 * 3600, stuckAfterS: 600, now: clock.now, ...overrides });
  t.after(() => opened.record.dispose());
  return opened;
}

/** The live side's answers, set by each test. */
class FakeLive implements LiveView {
  states = new Map<string, LiveLearner>();
  entries: QueueEntry[] = [];
  learner(id: string): LiveLearner {
    return this.states.get(id) ?? { sandbox: 'none', memoryBytes: null, terminals: [] };
  }
  queue(): QueueEntry[] {
    return this.entries;
  }
  ready(id: string, memoryBytes = 80 * 1024 ** 2) {
    this.states.set(id, { sandbox: 'ready', memoryBytes, terminals: ['main'] });
  }
}

function joined(record: StoredWorkshopRecord, name: string) {
  const result = record.join(record.tokens().join, name);
  assert.ok(result.ok, JSON.stringify(result));
  return result.response;
}

function board(record: StoredWorkshopRecord, live: LiveView, now: number) {
  const message = record.board(live, now);
  // Whatever the record builds must pass the contract's own schema, as the board page decodes it.
  assert.deepEqual(facilitatorServerMessage.parse(message), message);
  return message;
}

test('a new workshop: distinct 32-character tokens, its summary, the end time from the duration', (t) => {
  const clock = new Clock();
  const { record, resumed } = open(t, tempDir(t), clock);
  assert.equal(resumed, false);
  const { join: joinToken, facilitator } = record.tokens();
  assert.match(joinToken, /^[A-Za-z0-9_-]{32}$/);
  assert.match(facilitator, /^[A-Za-z0-9_-]{32}$/);
  assert.notEqual(joinToken, facilitator);
  assert.deepEqual({ ...record.summary, id: '' }, { id: '', name: 'Docker networking, room 3', startedAt: T0, endsAt: T0 + 8 * 3600_000, capacity: 30 });
  assert.equal(record.endedAt, null);
});

test('joining gives a 48-character credential; each token authenticates as its own kind only', (t) => {
  const clock = new Clock();
  const { record } = open(t, tempDir(t), clock);
  const ana = joined(record, '  Ana  ');
  assert.match(ana.learner, /^[A-Za-z0-9_-]{16}$/);
  assert.match(ana.credential, /^[A-Za-z0-9_-]{48}$/);
  assert.ok(ana.credential.startsWith(ana.learner));
  assert.deepEqual(ana.workshop, { name: 'Docker networking, room 3', endsAt: T0 + 8 * 3600_000 });

  assert.deepEqual(record.authenticate(ana.credential), { role: 'learner', learner: { id: ana.learner, name: 'Ana' } });
  assert.deepEqual(record.authenticate(record.tokens().join), { role: 'join' });
  assert.deepEqual(record.authenticate(record.tokens().facilitator), { role: 'facilitator' });
  // The right id with another secret, an unknown id, a prefix, nothing: nobody.
  const wrongSecret = ana.learner + 'A'.repeat(32);
  const unknownId = 'Z'.repeat(16) + ana.credential.slice(16);
  for (const presented of [wrongSecret, unknownId, ana.credential.slice(0, 47), ana.learner, '', record.tokens().join + 'x']) {
    assert.deepEqual(record.authenticate(presented), { role: 'nobody' }, presented);
  }
});

test('a join is refused with the status and message the page shows', (t) => {
  const clock = new Clock();
  const { record } = open(t, tempDir(t), clock);
  assert.deepEqual(record.join('x'.repeat(32), 'Ana'), {
    ok: false,
    status: 403,
    refusal: { error: 'forbidden', message: "This join link is not the workshop's current one. Ask the facilitator for the link." },
  });
  assert.deepEqual(record.join(record.tokens().facilitator, 'Ana'), record.join('x'.repeat(32), 'Ana'));
  assert.deepEqual(record.join(record.tokens().join, '   '), { ok: false, status: 400, refusal: { error: 'bad-name', message: 'A display name is needed.' } });
  assert.deepEqual(record.join(record.tokens().join, 'a\nb'), {
    ok: false,
    status: 400,
    refusal: { error: 'bad-name', message: 'A display name cannot hold control characters or line breaks.' },
  });
  record.end();
  assert.deepEqual(record.join(record.tokens().join, 'Ana'), { ok: false, status: 410, refusal: { error: 'ended', message: 'This workshop has ended.' } });
  assert.equal(record.learnerCount, 0);
});

test('the board: latest outcome per block with its failures, locations, join order, the queue, broadcasts', (t) => {
  const clock = new Clock();
  const { record } = open(t, tempDir(t), clock);
  const live = new FakeLive();
  const ana = joined(record, 'Ana');
  clock.advance(1000);
  const bo = joined(record, '<img src=x onerror=alert(1)>');
  live.ready(ana.learner);
  live.states.set(bo.learner, { sandbox: 'queued', memoryBytes: null, terminals: [] });
  live.entries = [{ learner: bo.learner, reason: 'room-full', since: T0 + 1000 }];

  clock.advance(1000);
  record.recordLocation(ana.learner, PAGE, 'docker0');
  clock.advance(1000);
  record.recordOutcome(ana.learner, PAGE, B1, 'failed', 1);
  clock.advance(1000);
  record.recordOutcome(ana.learner, PAGE, B1, 'passed', 0);
  clock.advance(1000);
  record.recordOutcome(ana.learner, PAGE, B2, 'stopped', null);
  const hint = record.broadcast('Look at the gateway');

  const message = board(record, live, clock.t);
  assert.equal(message.now, T0 + 5000);
  assert.deepEqual(message.learners.map((l) => l.name), ['Ana', '<img src=x onerror=alert(1)>']);
  const [a, b] = message.learners;
  assert.deepEqual(a, {
    id: ana.learner,
    name: 'Ana',
    joinedAt: T0,
    page: PAGE,
    section: 'docker0',
    lastActivity: T0 + 5000,
    blocks: [
      { page: PAGE, block: B1, outcome: 'passed', at: T0 + 4000, failures: 1 },
      { page: PAGE, block: B2, outcome: 'stopped', at: T0 + 5000, failures: 0 },
    ],
    stuck: null,
    sandbox: 'ready',
    memoryBytes: 80 * 1024 ** 2,
    terminals: ['main'],
  });
  assert.deepEqual([b?.sandbox, b?.blocks, b?.page, b?.lastActivity], ['queued', [], null, null]);
  assert.deepEqual(message.queue, [{ learner: bo.learner, reason: 'room-full', since: T0 + 1000 }]);
  assert.deepEqual(message.broadcasts, [hint]);
  assert.deepEqual(message.workshop, { ...record.summary, endedAt: null, stuckAfterMinutes: 10 });
  assert.deepEqual(record.learnerView(ana.learner), {
    name: 'Ana',
    workshop: { name: 'Docker networking, room 3', endsAt: T0 + 8 * 3600_000 },
    outcomes: [
      { page: PAGE, block: B1, outcome: 'passed', at: T0 + 4000 },
      { page: PAGE, block: B2, outcome: 'stopped', at: T0 + 5000 },
    ],
    broadcasts: [hint],
  });
  assert.equal(record.learnerView('Q'.repeat(16)), null);
});

test('stuck: the same block failed twice since it last passed; a pass clears it, a stop does not', (t) => {
  const clock = new Clock();
  const { record } = open(t, tempDir(t), clock);
  const live = new FakeLive();
  const ana = joined(record, 'Ana');
  live.ready(ana.learner);
  const stuckOf = () => board(record, live, clock.t).learners[0]?.stuck;

  record.recordOutcome(ana.learner, PAGE, B1, 'passed', 0);
  record.recordOutcome(ana.learner, PAGE, B3, 'failed', 1);
  record.recordOutcome(ana.learner, PAGE, B1, 'failed', 2);
  assert.equal(stuckOf(), null, 'two failures of two different blocks');
  record.recordOutcome(ana.learner, PAGE, B3, 'stopped', null);
  record.recordOutcome(ana.learner, PAGE, B3, 'failed', 1);
  assert.deepEqual(stuckOf(), { reason: 'failed-twice', page: PAGE, block: B3 });
  record.recordOutcome(ana.learner, PAGE, B3, 'passed', 0);
  assert.equal(stuckOf(), null);
  record.recordOutcome(ana.learner, PAGE, B3, 'failed', 1);
  assert.equal(stuckOf(), null, 'one failure since the pass');
  assert.equal(board(record, live, clock.t).learners[0]?.blocks.find((b) => b.block === B3)?.failures, 3);
});

test('stuck: no passed block for --stuck-after while the learner has a session', (t) => {
  const clock = new Clock();
  const { record } = open(t, tempDir(t), clock, { stuckAfterS: 600 });
  const live = new FakeLive();
  const ana = joined(record, 'Ana');
  const stuckOf = () => board(record, live, clock.t).learners[0]?.stuck;

  clock.advance(11 * 60_000);
  assert.equal(stuckOf(), null, 'no session: not stuck, however long');
  live.ready(ana.learner);
  assert.equal(stuckOf(), null, 'the session was just seen to start');
  clock.advance(9 * 60_000);
  record.recordOutcome(ana.learner, PAGE, B1, 'failed', 1);
  assert.equal(stuckOf(), null);
  clock.advance(60_000);
  assert.deepEqual(stuckOf(), { reason: 'no-progress', minutes: 10 });
  record.recordOutcome(ana.learner, PAGE, B1, 'passed', 0);
  assert.equal(stuckOf(), null);
  clock.advance(25 * 60_000);
  assert.deepEqual(stuckOf(), { reason: 'no-progress', minutes: 25 });
  record.end();
  assert.equal(stuckOf(), null, 'an ended workshop flags no idleness');
});

test('the board is told again when a learner passes the no-progress mark with nothing else happening', async (t) => {
  const { record } = open(t, tempDir(t), new Clock(), { now: Date.now, stuckAfterS: 0.2 });
  // The record's timers are unref'd (the runner's server keeps the process up); this test's must be.
  const keepAlive = setInterval(() => {}, 1000);
  t.after(() => clearInterval(keepAlive));
  const live = new FakeLive();
  const ana = joined(record, 'Ana');
  live.ready(ana.learner);
  const told = new Promise<number>((resolve) => record.onChange(() => resolve(Date.now())));
  // Seen without a session, then with one: the mark is 200 ms after this board.
  live.states.clear();
  board(record, live, Date.now());
  live.ready(ana.learner);
  const start = Date.now();
  assert.equal(board(record, live, start).learners[0]?.stuck, null);
  const at = await told;
  assert.ok(at - start >= 200, `told after ${at - start} ms`);
  assert.deepEqual(board(record, live, Date.now()).learners[0]?.stuck, { reason: 'no-progress', minutes: 1 });
});

test('the record survives a close and a reopen: same tokens, learners, credentials, outcomes, broadcasts', (t) => {
  const dataDir = tempDir(t);
  const clock = new Clock();
  const live = new FakeLive();
  const first = openWorkshop({ dataDir, name: 'Room 3', capacity: 30, durationS: 3600, stuckAfterS: 600, now: clock.now });
  const ana = joined(first.record, 'Ana');
  const bo = joined(first.record, 'Bo');
  first.record.recordLocation(bo.learner, 'redis-cluster', null);
  first.record.recordOutcome(ana.learner, PAGE, B1, 'failed', 1);
  first.record.recordOutcome(ana.learner, PAGE, B1, 'failed', 1);
  first.record.broadcast('Break until 11:00');
  const tokens = first.record.tokens();
  const before = first.record.board(live, clock.t);
  const csv = first.record.exportCsv();
  first.record.dispose();

  clock.advance(60_000);
  const second = open(t, dataDir, clock, { name: 'Room 3', capacity: 12, stuckAfterS: 300 });
  assert.equal(second.resumed, true);
  assert.deepEqual(second.record.tokens(), tokens);
  assert.deepEqual(second.record.authenticate(ana.credential), { role: 'learner', learner: { id: ana.learner, name: 'Ana' } });
  const after = board(second.record, live, clock.t);
  assert.deepEqual(after.learners, before.learners);
  assert.deepEqual(after.broadcasts, before.broadcasts);
  // The room's size and stuck time follow this start's flags; the end time is the workshop's.
  assert.deepEqual(after.workshop, { ...before.workshop, capacity: 12, stuckAfterMinutes: 5 });
  assert.equal(second.record.exportCsv(), csv);
  assert.equal(second.record.learnerCount, 2);
});

test('a new name opens a new workshop and ends the open one, whose record is kept', (t) => {
  const dataDir = tempDir(t);
  const clock = new Clock();
  const first = openWorkshop({ dataDir, name: 'Room 3', capacity: 30, durationS: 3600, stuckAfterS: 600, now: clock.now });
  joined(first.record, 'Ana');
  const oldTokens = first.record.tokens();
  const oldId = first.record.summary.id;
  first.record.dispose();
  clock.advance(1000);
  const second = open(t, dataDir, clock, { name: 'Room 4' });
  assert.equal(second.resumed, false);
  assert.deepEqual(second.endedOthers, ['Room 3']);
  assert.notEqual(second.record.summary.id, oldId);
  assert.notEqual(second.record.tokens().join, oldTokens.join);
  assert.deepEqual(second.record.authenticate(oldTokens.facilitator), { role: 'nobody' });
  assert.equal(second.record.learnerCount, 0);
  const db = new DatabaseSync(join(dataDir, STORE_FILE), { readOnly: true });
  t.after(() => db.close());
  assert.deepEqual(
    db.prepare('SELECT name, ended_at FROM workshops ORDER BY started_at').all().map((r) => [r.name, r.ended_at]),
    [['Room 3', T0 + 1000], ['Room 4', null]],
  );
  assert.equal(db.prepare('SELECT count(*) AS n FROM learners').get()?.n, 1);
});

test('a workshop resumed past its end time is ended at open; its board and export still work', (t) => {
  const dataDir = tempDir(t);
  const clock = new Clock();
  const first = openWorkshop({ dataDir, name: 'Room 3', capacity: 30, durationS: 3600, stuckAfterS: 600, now: clock.now });
  const ana = joined(first.record, 'Ana');
  first.record.recordOutcome(ana.learner, PAGE, B1, 'passed', 0);
  first.record.dispose();
  clock.advance(3600_000);
  const { record, resumed } = open(t, dataDir, clock, { name: 'Room 3' });
  assert.equal(resumed, true);
  assert.equal(record.endedAt, T0 + 3600_000);
  assert.equal(record.join(record.tokens().join, 'Bo').ok, false);
  assert.equal(board(record, new FakeLive(), clock.t).workshop.endedAt, T0 + 3600_000);
  assert.equal(record.exportCsv().split('\n').length, 3);
});

test('the workshop ends itself at its end time, once', async (t) => {
  const { record } = open(t, tempDir(t), new Clock(), { now: Date.now, durationS: 0.15 });
  const keepAlive = setInterval(() => {}, 1000);
  t.after(() => clearInterval(keepAlive));
  let ended = 0;
  record.onEnded(() => ended++);
  await new Promise<void>((resolve) => record.onEnded(resolve));
  assert.ok(record.endedAt !== null && record.endedAt >= record.summary.endsAt);
  record.end();
  assert.equal(ended, 1);
});

test('onChange: a join, an outcome, a location, a broadcast, a rotation, the end; activity only every few seconds', (t) => {
  const clock = new Clock();
  const dataDir = tempDir(t);
  const { record } = open(t, dataDir, clock);
  const changes: string[] = [];
  let what = '';
  record.onChange(() => changes.push(what));
  what = 'join';
  const ana = joined(record, 'Ana');
  what = 'outcome';
  record.recordOutcome(ana.learner, PAGE, B1, 'passed', 0);
  what = 'location';
  record.recordLocation(ana.learner, PAGE, null);
  what = 'broadcast';
  record.broadcast('hi');
  what = 'rotate';
  record.rotate('join');
  what = 'activity';
  for (let i = 0; i < 10; i++) {
    clock.advance(1000);
    record.recordActivity(ana.learner);
  }
  // Exact in memory, written coarsely: the store holds the last write at most the interval old.
  assert.equal(board(record, new FakeLive(), clock.t).learners[0]?.lastActivity, clock.t);
  const db = new DatabaseSync(join(dataDir, STORE_FILE), { readOnly: true });
  t.after(() => db.close());
  const written = Number(db.prepare('SELECT last_activity FROM learners').get()?.last_activity);
  assert.ok(clock.t - written < ACTIVITY_WRITE_INTERVAL_MS && written > T0, `written ${written - T0} ms after T0`);
  what = 'end';
  record.end();
  record.end();
  assert.deepEqual(changes, ['join', 'outcome', 'location', 'broadcast', 'rotate', 'activity', 'activity', 'end']);
});

test('a rotated token stops authenticating at once and stays rotated after a reopen', (t) => {
  const dataDir = tempDir(t);
  const clock = new Clock();
  const first = openWorkshop({ dataDir, name: 'Room 3', capacity: 30, durationS: 3600, stuckAfterS: 600, now: clock.now });
  const old = first.record.tokens();
  const join2 = first.record.rotate('join');
  const facilitator2 = first.record.rotate('facilitator');
  assert.match(join2, /^[A-Za-z0-9_-]{32}$/);
  assert.deepEqual(first.record.authenticate(old.join), { role: 'nobody' });
  assert.deepEqual(first.record.authenticate(old.facilitator), { role: 'nobody' });
  assert.equal(first.record.join(old.join, 'Ana').ok, false);
  assert.deepEqual(first.record.authenticate(facilitator2), { role: 'facilitator' });
  first.record.dispose();
  const second = open(t, dataDir, clock, { name: 'Room 3' });
  assert.deepEqual(second.record.tokens(), { join: join2, facilitator: facilitator2 });
});

test('after the end the record stays as it was: outcomes, locations and activity are not taken', (t) => {
  const clock = new Clock();
  const { record } = open(t, tempDir(t), clock);
  const ana = joined(record, 'Ana');
  record.end();
  record.recordOutcome(ana.learner, PAGE, B1, 'passed', 0);
  record.recordLocation(ana.learner, PAGE, 'x');
  record.recordActivity(ana.learner);
  const [learner] = board(record, new FakeLive(), clock.t).learners;
  assert.deepEqual([learner?.blocks, learner?.page, learner?.lastActivity], [[], null, null]);
  assert.equal(record.exportCsv(), '\ufefflearner_id,name,page,block,outcome,exit_code,at\n');
});
