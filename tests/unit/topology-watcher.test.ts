/**
 * When the network is read and who is told (runner/topology/watcher.ts), on a clock the test moves
 * (node:test's mock timers) and a source whose collections the test ends by hand.
 */
import { beforeEach, afterEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TopologyWatcher, TOPOLOGY_QUIET_MS } from '../../runner/topology/watcher.ts';
import type { ServerMessage, TopologySnapshot } from '../../src/protocol/wire.ts';

const fixture = (point: string) => JSON.parse(readFileSync(new URL(`../fixtures/topology/${point}.json`, import.meta.url), 'utf8')) as TopologySnapshot;
const CLEAN = fixture('01-clean');
const TWO = fixture('02-tomcat01-tomcat02');

/** A source whose collections wait until the test settles them. */
class ManualSource {
  readonly pending: { resolve(s: TopologySnapshot): void; reject(e: Error): void }[] = [];
  unavailable?: string;
  collect(): Promise<TopologySnapshot> {
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  /** Ends the oldest collection still running, and lets its follow-ups run. */
  async finish(result: TopologySnapshot | Error): Promise<void> {
    const next = this.pending.shift();
    assert.ok(next, 'a collection is running');
    if (result instanceof Error) next.reject(result);
    else next.resolve({ ...result, takenAt: Date.now() });
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

function socket() {
  const got: ServerMessage[] = [];
  return { got, send: (m: ServerMessage) => got.push(m) };
}

const summary = (got: ServerMessage[]) => got.map((m) => (m.type === 'topology' ? `topology ${m.n} ${m.snapshot.containers.length}` : `${m.type}: ${(m as { message: string }).message}`));

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

test('watch on: a snapshot at once (n = 1), even of an unchanged network; nothing before anyone watches', async () => {
  const source = new ManualSource();
  const watcher = new TopologyWatcher(source);
  watcher.commandFinished();
  mock.timers.tick(TOPOLOGY_QUIET_MS * 2);
  assert.equal(source.pending.length, 0, 'nobody watches: nothing is collected');
  const a = socket();
  watcher.watch(a, true);
  assert.equal(source.pending.length, 1);
  await source.finish(CLEAN);
  assert.deepEqual(summary(a.got), ['topology 1 0']);
  const b = socket();
  watcher.watch(b, true);
  await source.finish(CLEAN);
  assert.deepEqual(summary(b.got), ['topology 1 0'], 'a second watcher gets the unchanged network, under the same n');
  assert.deepEqual(summary(a.got), ['topology 1 0'], 'the first does not get it again');
});

test('a burst of command ends gives one collection, after the quiet spell; only a change is sent', async () => {
  const source = new ManualSource();
  const watcher = new TopologyWatcher(source);
  const a = socket();
  watcher.watch(a, true);
  await source.finish(CLEAN);
  for (let i = 0; i < 5; i++) {
    watcher.commandFinished();
    mock.timers.tick(TOPOLOGY_QUIET_MS - 50);
  }
  assert.equal(source.pending.length, 0, 'still within the burst');
  mock.timers.tick(50);
  assert.equal(source.pending.length, 1, 'one collection for the burst');
  await source.finish(CLEAN);
  assert.deepEqual(summary(a.got), ['topology 1 0'], 'unchanged: not sent');
  watcher.commandFinished();
  mock.timers.tick(TOPOLOGY_QUIET_MS);
  await source.finish(TWO);
  assert.deepEqual(summary(a.got), ['topology 1 0', 'topology 2 2']);
});

test('one collection at a time: a command that ends during one gives exactly one more, after it', async () => {
  const source = new ManualSource();
  const watcher = new TopologyWatcher(source);
  const a = socket();
  watcher.watch(a, true);
  watcher.commandFinished();
  mock.timers.tick(TOPOLOGY_QUIET_MS);
  watcher.commandFinished();
  mock.timers.tick(TOPOLOGY_QUIET_MS);
  assert.equal(source.pending.length, 1, 'the first is still running: no second at once');
  await source.finish(CLEAN);
  assert.equal(source.pending.length, 1, 'one more, for the commands that ended meanwhile');
  await source.finish(TWO);
  assert.equal(source.pending.length, 0);
  assert.deepEqual(summary(a.got), ['topology 1 0', 'topology 2 2']);
});

test('a failed collection is topology-failed; the next snapshot is sent even when unchanged', async () => {
  const source = new ManualSource();
  const watcher = new TopologyWatcher(source);
  const a = socket();
  watcher.watch(a, true);
  await source.finish(CLEAN);
  watcher.commandFinished();
  mock.timers.tick(TOPOLOGY_QUIET_MS);
  await source.finish(new Error('Reading the network took longer than 5 s and was stopped.'));
  watcher.commandFinished();
  mock.timers.tick(TOPOLOGY_QUIET_MS);
  await source.finish(CLEAN);
  assert.deepEqual(summary(a.got), ['topology 1 0', 'topology-failed: Reading the network took longer than 5 s and was stopped.', 'topology 2 0']);
});

test('watch off, or the socket gone: nothing more is collected or sent', async () => {
  const source = new ManualSource();
  const watcher = new TopologyWatcher(source);
  const a = socket();
  watcher.watch(a, true);
  await source.finish(CLEAN);
  watcher.commandFinished();
  watcher.watch(a, false);
  mock.timers.tick(TOPOLOGY_QUIET_MS * 2);
  assert.equal(source.pending.length, 0);
  assert.equal(watcher.watching, false);
  watcher.watch(a, true);
  watcher.dispose();
  await source.finish(TWO);
  assert.deepEqual(summary(a.got), ['topology 1 0'], 'a collection that ends after dispose is dropped');
});

test('a source that cannot collect (the host provider) says so once per watch, and never collects', () => {
  const source = new ManualSource();
  source.unavailable = 'The network view is not available with the host provider.';
  const watcher = new TopologyWatcher(source);
  const a = socket();
  watcher.watch(a, true);
  watcher.commandFinished();
  mock.timers.tick(TOPOLOGY_QUIET_MS * 2);
  assert.equal(source.pending.length, 0);
  assert.deepEqual(summary(a.got), ['topology-failed: The network view is not available with the host provider.']);
});
