/**
 * The workshop store: one SQLite file (`node:sqlite`, built into Node >= 22.13, so nothing native to
 * build) in the data folder. Plain rows in, plain rows out; what they mean is record.ts's business.
 *
 * The schema is an ordered list of migrations: the file's `PRAGMA user_version` says how many are
 * applied, and the missing ones run at open inside one transaction. A new migration is one more
 * entry at the end of MIGRATIONS; an entry already released is never edited.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync, type SQLOutputValue } from 'node:sqlite';
import type { OutcomeKind } from '../../src/protocol/workshop.ts';

export const STORE_FILE = 'workshops.sqlite';
/** How long a write waits for another connection's lock (a second runner on the same folder) before failing. */
const BUSY_TIMEOUT_MS = 5_000;

const MIGRATIONS: readonly string[] = [
  // 1: the first schema.
  `CREATE TABLE workshops (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     join_token TEXT NOT NULL,
     facilitator_token TEXT NOT NULL,
     capacity INTEGER NOT NULL,
     started_at INTEGER NOT NULL,
     ends_at INTEGER NOT NULL,
     ended_at INTEGER,
     stuck_after_s REAL NOT NULL
   ) STRICT;
   CREATE INDEX workshops_open_by_name ON workshops (name) WHERE ended_at IS NULL;
   CREATE TABLE learners (
     id TEXT PRIMARY KEY,
     workshop_id TEXT NOT NULL REFERENCES workshops (id),
     name TEXT NOT NULL,
     secret_sha256 BLOB NOT NULL,
     joined_at INTEGER NOT NULL,
     last_activity INTEGER,
     page TEXT,
     section TEXT
   ) STRICT;
   CREATE INDEX learners_by_workshop ON learners (workshop_id, joined_at);
   CREATE TABLE outcomes (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     learner_id TEXT NOT NULL REFERENCES learners (id),
     page TEXT NOT NULL,
     block TEXT NOT NULL,
     outcome TEXT NOT NULL CHECK (outcome IN ('passed', 'failed', 'stopped')),
     exit_code INTEGER,
     at INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX outcomes_by_learner ON outcomes (learner_id, id);
   CREATE TABLE broadcasts (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     workshop_id TEXT NOT NULL REFERENCES workshops (id),
     text TEXT NOT NULL,
     at INTEGER NOT NULL
   ) STRICT;`,
];

/** The schema version this runner writes: the number of migrations it knows. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The store cannot be used; the message names the file and says what to do. */
export class StoreError extends Error {
  override name = 'StoreError';
}

export interface WorkshopRow {
  id: string;
  name: string;
  joinToken: string;
  facilitatorToken: string;
  capacity: number;
  startedAt: number;
  endsAt: number;
  endedAt: number | null;
  stuckAfterS: number;
}

export interface LearnerRow {
  id: string;
  workshopId: string;
  name: string;
  secretSha256: Buffer;
  joinedAt: number;
  lastActivity: number | null;
  page: string | null;
  section: string | null;
}

export interface OutcomeRow {
  id: number;
  learnerId: string;
  page: string;
  block: string;
  outcome: OutcomeKind;
  exitCode: number | null;
  at: number;
}

export interface BroadcastRow {
  id: number;
  text: string;
  at: number;
}

type Row = Record<string, SQLOutputValue>;
const str = (v: SQLOutputValue | undefined): string => String(v);
const num = (v: SQLOutputValue | undefined): number => Number(v);
const numOrNull = (v: SQLOutputValue | undefined): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: SQLOutputValue | undefined): string | null => (v === null || v === undefined ? null : String(v));

function workshopRow(r: Row): WorkshopRow {
  return {
    id: str(r.id),
    name: str(r.name),
    joinToken: str(r.join_token),
    facilitatorToken: str(r.facilitator_token),
    capacity: num(r.capacity),
    startedAt: num(r.started_at),
    endsAt: num(r.ends_at),
    endedAt: numOrNull(r.ended_at),
    stuckAfterS: num(r.stuck_after_s),
  };
}

function learnerRow(r: Row): LearnerRow {
  return {
    id: str(r.id),
    workshopId: str(r.workshop_id),
    name: str(r.name),
    secretSha256: Buffer.from(r.secret_sha256 as Uint8Array),
    joinedAt: num(r.joined_at),
    lastActivity: numOrNull(r.last_activity),
    page: strOrNull(r.page),
    section: strOrNull(r.section),
  };
}

function outcomeRow(r: Row): OutcomeRow {
  return {
    id: num(r.id),
    learnerId: str(r.learner_id),
    page: str(r.page),
    block: str(r.block),
    outcome: str(r.outcome) as OutcomeKind,
    exitCode: numOrNull(r.exit_code),
    at: num(r.at),
  };
}

const SQLITE_NOTADB = 26;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class WorkshopStore {
  readonly file: string;
  readonly #db: DatabaseSync;

  private constructor(file: string, db: DatabaseSync) {
    this.file = file;
    this.#db = db;
  }

  /**
   * Opens (creating when missing) `<dataDir>/workshops.sqlite` and brings its schema up to date.
   * The folder is made 0700 and the file 0600: the file holds the tokens.
   */
  static open(dataDir: string): WorkshopStore {
    const dir = resolve(dataDir);
    const file = join(dir, STORE_FILE);
    const fix = `choose another folder with --data-dir (LAB_DATA_DIR)`;
    try {
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
      else if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
      // Create the file with its mode before SQLite does, so the tokens are never world-readable.
      closeSync(openSync(file, 'a', 0o600));
      chmodSync(file, 0o600);
    } catch (error) {
      throw new StoreError(`The workshop store ${file} cannot be created: ${describe(error)}. Fix the folder's permissions or ${fix}.`);
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS, enableForeignKeyConstraints: true });
    } catch (error) {
      throw new StoreError(`The workshop store ${file} cannot be opened: ${describe(error)}. Move it away or ${fix}.`);
    }
    try {
      // The first read is where a file that is not SQLite shows itself.
      const version = num(db.prepare('PRAGMA user_version').get()?.user_version);
      if (version > SCHEMA_VERSION) {
        throw new StoreError(
          `The workshop store ${file} has schema version ${version}, newer than this runner's (${SCHEMA_VERSION}): a newer version of Docker Network Lab wrote it. Run that version, or ${fix}.`,
        );
      }
      db.exec('PRAGMA journal_mode = WAL');
      if (version < SCHEMA_VERSION) {
        db.exec('BEGIN IMMEDIATE');
        try {
          for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
          db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
          db.exec('COMMIT');
        } catch (error) {
          db.exec('ROLLBACK');
          throw error;
        }
      }
    } catch (error) {
      db.close();
      if (error instanceof StoreError) throw error;
      const code = (error as { errcode?: number }).errcode;
      if (code === SQLITE_NOTADB) {
        throw new StoreError(`The workshop store ${file} is not an SQLite database. Move it away or ${fix}.`);
      }
      throw new StoreError(`The workshop store ${file} cannot be read: ${describe(error)}. Move it away or ${fix}.`);
    }
    return new WorkshopStore(file, db);
  }

  /** The schema version in the file (PRAGMA user_version). */
  schemaVersion(): number {
    return num(this.#db.prepare('PRAGMA user_version').get()?.user_version);
  }

  /** Runs `fn` in one transaction: all of it is written, or none. */
  transaction<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  // ---- workshops ----

  openWorkshops(): WorkshopRow[] {
    return this.#db.prepare('SELECT * FROM workshops WHERE ended_at IS NULL ORDER BY started_at').all().map(workshopRow);
  }

  workshop(id: string): WorkshopRow | null {
    const row = this.#db.prepare('SELECT * FROM workshops WHERE id = ?').get(id);
    return row ? workshopRow(row) : null;
  }

  insertWorkshop(w: WorkshopRow): void {
    this.#db
      .prepare(
        'INSERT INTO workshops (id, name, join_token, facilitator_token, capacity, started_at, ends_at, ended_at, stuck_after_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(w.id, w.name, w.joinToken, w.facilitatorToken, w.capacity, w.startedAt, w.endsAt, w.endedAt, w.stuckAfterS);
  }

  endWorkshop(id: string, at: number): void {
    this.#db.prepare('UPDATE workshops SET ended_at = ? WHERE id = ? AND ended_at IS NULL').run(at, id);
  }

  /** A resumed workshop keeps its tokens and learners; its room size and stuck time follow this start's flags. */
  updateSettings(id: string, capacity: number, stuckAfterS: number): void {
    this.#db.prepare('UPDATE workshops SET capacity = ?, stuck_after_s = ? WHERE id = ?').run(capacity, stuckAfterS, id);
  }

  setToken(id: string, which: 'join' | 'facilitator', token: string): void {
    const column = which === 'join' ? 'join_token' : 'facilitator_token';
    this.#db.prepare(`UPDATE workshops SET ${column} = ? WHERE id = ?`).run(token, id);
  }

  // ---- learners ----

  /** In join order. */
  learners(workshopId: string): LearnerRow[] {
    return this.#db.prepare('SELECT * FROM learners WHERE workshop_id = ? ORDER BY joined_at, rowid').all(workshopId).map(learnerRow);
  }

  insertLearner(l: LearnerRow): void {
    this.#db
      .prepare('INSERT INTO learners (id, workshop_id, name, secret_sha256, joined_at, last_activity, page, section) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(l.id, l.workshopId, l.name, l.secretSha256, l.joinedAt, l.lastActivity, l.page, l.section);
  }

  setActivity(learnerId: string, at: number): void {
    this.#db.prepare('UPDATE learners SET last_activity = max(coalesce(last_activity, 0), ?) WHERE id = ?').run(at, learnerId);
  }

  setLocation(learnerId: string, page: string, section: string | null, at: number): void {
    this.#db
      .prepare('UPDATE learners SET page = ?, section = ?, last_activity = max(coalesce(last_activity, 0), ?) WHERE id = ?')
      .run(page, section, at, learnerId);
  }

  // ---- outcomes ----

  /** Records one outcome and counts it as activity. Returns its id. */
  insertOutcome(learnerId: string, page: string, block: string, outcome: OutcomeKind, exitCode: number | null, at: number): number {
    return this.transaction(() => {
      const result = this.#db
        .prepare('INSERT INTO outcomes (learner_id, page, block, outcome, exit_code, at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(learnerId, page, block, outcome, exitCode, at);
      this.setActivity(learnerId, at);
      return Number(result.lastInsertRowid);
    });
  }

  /** Every outcome of the workshop's learners, oldest first. */
  outcomes(workshopId: string): OutcomeRow[] {
    return this.#db
      .prepare('SELECT o.* FROM outcomes o JOIN learners l ON l.id = o.learner_id WHERE l.workshop_id = ? ORDER BY o.id')
      .all(workshopId)
      .map(outcomeRow);
  }

  // ---- broadcasts ----

  insertBroadcast(workshopId: string, text: string, at: number): number {
    const result = this.#db.prepare('INSERT INTO broadcasts (workshop_id, text, at) VALUES (?, ?, ?)').run(workshopId, text, at);
    return Number(result.lastInsertRowid);
  }

  /** Oldest first. */
  broadcasts(workshopId: string): BroadcastRow[] {
    return this.#db
      .prepare('SELECT id, text, at FROM broadcasts WHERE workshop_id = ? ORDER BY id')
      .all(workshopId)
      .map((r) => ({ id: num(r.id), text: str(r.text), at: num(r.at) }));
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
