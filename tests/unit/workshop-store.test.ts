import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SCHEMA_VERSION, STORE_FILE, StoreError, WorkshopStore } from '../../runner/workshop/store.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'workshop-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function refusal(dataDir: string): string {
  try {
    WorkshopStore.open(dataDir).close();
  } catch (error) {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected the store to be refused');
}

test('a new store: folder 0700, file 0600, WAL, the whole schema, its version', (t) => {
  const dataDir = join(tempDir(t), 'data', 'nested');
  const store = WorkshopStore.open(dataDir);
  t.after(() => store.close());
  assert.equal(store.file, join(dataDir, STORE_FILE));
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  assert.equal(statSync(store.file).mode & 0o777, 0o600);
  assert.equal(store.schemaVersion(), SCHEMA_VERSION);
  // A second connection sees what the first wrote, through the file: WAL mode, the four tables.
  const other = new DatabaseSync(store.file, { readOnly: true });
  t.after(() => other.close());
  assert.equal(other.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
  const tables = other.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all().map((r) => r.name);
  assert.deepEqual(tables, ['broadcasts', 'learners', 'outcomes', 'workshops']);
});

test('a file that was world-readable is made 0600 at open', (t) => {
  const dir = tempDir(t);
  WorkshopStore.open(dir).close();
  const file = join(dir, STORE_FILE);
  // As a copy made with an ordinary umask would leave it.
  chmodSync(file, 0o644);
  WorkshopStore.open(dir).close();
  assert.equal(statSync(file).mode & 0o777, 0o600);
});

test('rows written survive a close and a reopen', (t) => {
  const dir = tempDir(t);
  const store = WorkshopStore.open(dir);
  store.insertWorkshop({ id: 'w1', name: 'Room 3', joinToken: 'j'.repeat(32), facilitatorToken: 'f'.repeat(32), capacity: 30, startedAt: 1000, endsAt: 9000, endedAt: null, stuckAfterS: 600 });
  store.insertLearner({ id: 'l'.repeat(16), workshopId: 'w1', name: '<img src=x>', secretSha256: Buffer.alloc(32, 7), joinedAt: 1100, lastActivity: null, page: null, section: null });
  const first = store.insertOutcome('l'.repeat(16), 'docker-network', 'abcdef012345', 'failed', 1, 1200);
  const second = store.insertOutcome('l'.repeat(16), 'docker-network', 'abcdef012345', 'passed', 0, 1300);
  store.setLocation('l'.repeat(16), 'docker-network', 'docker0', 1250);
  const b = store.insertBroadcast('w1', 'Break until 11:00', 1400);
  store.close();

  const again = WorkshopStore.open(dir);
  t.after(() => again.close());
  assert.equal(second, first + 1);
  assert.deepEqual(again.openWorkshops().map((w) => [w.name, w.capacity, w.endedAt]), [['Room 3', 30, null]]);
  const [learner] = again.learners('w1');
  assert.equal(learner?.name, '<img src=x>');
  assert.deepEqual(learner?.secretSha256, Buffer.alloc(32, 7));
  // The outcome at 1300 is newer than the location at 1250: activity keeps the latest.
  assert.equal(learner?.lastActivity, 1300);
  assert.equal(learner?.section, 'docker0');
  assert.deepEqual(again.outcomes('w1').map((o) => [o.outcome, o.exitCode, o.at]), [['failed', 1, 1200], ['passed', 0, 1300]]);
  assert.deepEqual(again.broadcasts('w1'), [{ id: b, text: 'Break until 11:00', at: 1400 }]);
});

test('a file that is not SQLite is refused with a message naming it and --data-dir', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, STORE_FILE), 'these are the notes of the last workshop, not a database\n'.repeat(20));
  assert.equal(
    refusal(dir),
    `The workshop store ${join(dir, STORE_FILE)} is not an SQLite database. Move it away or choose another folder with --data-dir (LAB_DATA_DIR).`,
  );
});

test('a store from a newer schema is refused, and left as it was', (t) => {
  const dir = tempDir(t);
  WorkshopStore.open(dir).close();
  const db = new DatabaseSync(join(dir, STORE_FILE));
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.equal(
    refusal(dir),
    `The workshop store ${join(dir, STORE_FILE)} has schema version ${SCHEMA_VERSION + 1}, newer than this runner's (${SCHEMA_VERSION}): a newer version of Docker Network Lab wrote it. Run that version, or choose another folder with --data-dir (LAB_DATA_DIR).`,
  );
  const check = new DatabaseSync(join(dir, STORE_FILE), { readOnly: true });
  assert.equal(check.prepare('PRAGMA user_version').get()?.user_version, SCHEMA_VERSION + 1);
  check.close();
});

test('a data dir that is a file is refused with the file named', (t) => {
  const dir = tempDir(t);
  const notDir = join(dir, 'data');
  writeFileSync(notDir, '');
  assert.match(refusal(notDir), new RegExp(`^The workshop store ${notDir}/${STORE_FILE} cannot be created: ${notDir} is not a folder\\. .*--data-dir`));
});

test('a transaction that throws writes nothing', (t) => {
  const store = WorkshopStore.open(tempDir(t));
  t.after(() => store.close());
  const row = { id: 'w1', name: 'x', joinToken: 'j', facilitatorToken: 'f', capacity: 1, startedAt: 1, endsAt: 2, endedAt: null, stuckAfterS: 60 };
  assert.throws(() =>
    store.transaction(() => {
      store.insertWorkshop(row);
      throw new Error('half way');
    }),
  /half way/);
  assert.deepEqual(store.openWorkshops(), []);
});
