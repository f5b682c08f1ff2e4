/**
 * The open workshop's record (WorkshopRecord, runner/workshop/types.ts) over the store: tokens and
 * who presents what, the learners, their outcomes, locations and activity, broadcasts, the end,
 * the board's rows and the CSV. Everything the board shows is kept in memory as well, so building
 * a board reads no file; every change is written through at once (activity at most every few seconds).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { toDisposable, type Disposable } from '../../src/common/lifecycle.ts';
import {
  checkDisplayName,
  CREDENTIAL,
  LEARNER_ID_CHARS,
  type BoardLearner,
  type BoardMessage,
  type OutcomeKind,
  type StuckReason,
} from '../../src/protocol/workshop.ts';
import { outcomesCsv } from './csv.ts';
import type { BroadcastRow, LearnerRow, OutcomeRow, WorkshopRow, WorkshopStore } from './store.ts';
import type { JoinResult, LiveView, Presenter, WorkshopRecord, WorkshopSummary } from './types.ts';

/** A learner's terminal input is written to the store at most this often; the memory copy is exact. */
export const ACTIVITY_WRITE_INTERVAL_MS = 5_000;
/** Node's timers hold at most 2^31-1 ms; a longer wait is taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** 32 base64url characters. */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compared against when the learner id is unknown, so an unknown id costs what a known one does. */
const DUMMY_SECRET_SHA256 = sha256(randomBytes(24).toString('base64url'));

interface BlockState {
  page: string;
  block: string;
  outcome: OutcomeKind;
  at: number;
  /** Every failure of this block. */
  failures: number;
  /** Failures since it last passed (a stop neither adds nor resets). */
  failuresSincePass: number;
}

interface LearnerState {
  id: string;
  name: string;
  secretSha256: Buffer;
  joinedAt: number;
  page: string | null;
  section: string | null;
  lastActivity: number | null;
  /** What the store holds for last_activity (activity is written coarsely). */
  lastActivityWritten: number | null;
  /** Latest outcome per block, in the order the blocks were first run. */
  blocks: Map<string, BlockState>;
  lastPassAt: number | null;
  lastFailedBlock: string | null;
  /**
   * When the record first saw this learner with a session (through a LiveView) after seeing them
   * without one: null = seen without a session; undefined = not seen yet (since this start).
   */
  sessionSince: number | null | undefined;
}

const blockKey = (page: string, block: string) => `${page}\u0000${block}`;

function applyOutcome(learner: LearnerState, page: string, block: string, outcome: OutcomeKind, at: number): void {
  const key = blockKey(page, block);
  const state = learner.blocks.get(key) ?? { page, block, outcome, at, failures: 0, failuresSincePass: 0 };
  state.outcome = outcome;
  state.at = at;
  if (outcome === 'failed') {
    state.failures++;
    state.failuresSincePass++;
    learner.lastFailedBlock = key;
  } else if (outcome === 'passed') {
    state.failuresSincePass = 0;
    learner.lastPassAt = Math.max(learner.lastPassAt ?? 0, at);
  }
  learner.blocks.set(key, state);
}

function learnerState(row: LearnerRow): LearnerState {
  return {
    id: row.id,
    name: row.name,
    secretSha256: row.secretSha256,
    joinedAt: row.joinedAt,
    page: row.page,
    section: row.section,
    lastActivity: row.lastActivity,
    lastActivityWritten: row.lastActivity,
    blocks: new Map(),
    lastPassAt: null,
    lastFailedBlock: null,
    sessionSince: undefined,
  };
}

export interface RecordOptions {
  now: () => number;
}

/** The record of one workshop, read from the store; `dispose()` stops its timers and closes the store. */
export class StoredWorkshopRecord implements WorkshopRecord, Disposable {
  readonly #store: WorkshopStore;
  readonly #now: () => number;
  readonly #workshop: WorkshopRow;
  readonly #learners = new Map<string, LearnerState>();
  readonly #broadcasts: BroadcastRow[];
  readonly #changeListeners = new Set<() => void>();
  readonly #endedListeners = new Set<() => void>();
  #joinDigest: Buffer;
  #facilitatorDigest: Buffer;
  #endTimer: NodeJS.Timeout | undefined;
  #stuckTimer: NodeJS.Timeout | undefined;
  #disposed = false;

  constructor(store: WorkshopStore, workshop: WorkshopRow, options: RecordOptions) {
    this.#store = store;
    this.#now = options.now;
    this.#workshop = { ...workshop };
    this.#joinDigest = sha256(workshop.joinToken);
    this.#facilitatorDigest = sha256(workshop.facilitatorToken);
    for (const row of store.learners(workshop.id)) this.#learners.set(row.id, learnerState(row));
    for (const o of store.outcomes(workshop.id)) {
      const learner = this.#learners.get(o.learnerId);
      if (learner) applyOutcome(learner, o.page, o.block, o.outcome, o.at);
    }
    this.#broadcasts = store.broadcasts(workshop.id);
    if (this.#workshop.endedAt === null) {
      if (this.#workshop.endsAt <= this.#now()) this.end();
      else this.#armEndTimer();
    }
  }

  get summary(): WorkshopSummary {
    const w = this.#workshop;
    return { id: w.id, name: w.name, startedAt: w.startedAt, endsAt: w.endsAt, capacity: w.capacity };
  }

  get endedAt(): number | null {
    return this.#workshop.endedAt;
  }

  /** The store's file, for the start report. */
  get file(): string {
    return this.#store.file;
  }

  get learnerCount(): number {
    return this.#learners.size;
  }

  /** The current tokens: printed at start and handed to tests through the IPC message. */
  tokens(): { join: string; facilitator: string } {
    return { join: this.#workshop.joinToken, facilitator: this.#workshop.facilitatorToken };
  }

  authenticate(presented: string): Presenter {
    // Every check runs whatever matches, each over equal-length digests, so the time taken does
    // not say which kind (if any) the value came close to.
    const digest = sha256(presented);
    const facilitator = timingSafeEqual(digest, this.#facilitatorDigest);
    const join = timingSafeEqual(digest, this.#joinDigest);
    const shaped = CREDENTIAL.test(presented);
    const learner = shaped ? this.#learners.get(presented.slice(0, LEARNER_ID_CHARS)) : undefined;
    const secretMatches = timingSafeEqual(sha256(shaped ? presented.slice(LEARNER_ID_CHARS) : presented), learner?.secretSha256 ?? DUMMY_SECRET_SHA256);
    if (facilitator) return { role: 'facilitator' };
    if (join) return { role: 'join' };
    if (learner && secretMatches) return { role: 'learner', learner: { id: learner.id, name: learner.name } };
    return { role: 'nobody' };
  }

  join(joinToken: string, rawName: string): JoinResult {
    if (!timingSafeEqual(sha256(joinToken), this.#joinDigest)) {
      return {
        ok: false,
        status: 403,
        refusal: { error: 'forbidden', message: 'This join link is not the workshop\'s current one. Ask the facilitator for the link.' },
      };
    }
    if (this.#isEnded()) return { ok: false, status: 410, refusal: { error: 'ended', message: 'This workshop has ended.' } };
    const checked = checkDisplayName(rawName);
    if (!checked.ok) return { ok: false, status: 400, refusal: { error: 'bad-name', message: checked.reason } };
    const id = this.#newLearnerId();
    const secret = randomBytes(24).toString('base64url');
    const row: LearnerRow = {
      id,
      workshopId: this.#workshop.id,
      name: checked.name,
      secretSha256: sha256(secret),
      joinedAt: this.#now(),
      lastActivity: null,
      page: null,
      section: null,
    };
    this.#store.insertLearner(row);
    this.#learners.set(id, learnerState(row));
    this.#changed();
    return { ok: true, response: { learner: id, credential: `${id}${secret}`, workshop: { name: this.#workshop.name, endsAt: this.#workshop.endsAt } } };
  }

  learnerView(learnerId: string): ReturnType<WorkshopRecord['learnerView']> {
    const learner = this.#learners.get(learnerId);
    if (!learner) return null;
    return {
      name: learner.name,
      workshop: { name: this.#workshop.name, endsAt: this.#workshop.endsAt },
      outcomes: [...learner.blocks.values()].map((b) => ({ page: b.page, block: b.block, outcome: b.outcome, at: b.at })),
      broadcasts: this.#broadcasts.map((b) => ({ ...b })),
    };
  }

  recordOutcome(learnerId: string, page: string, block: string, outcome: OutcomeKind, exitCode: number | null): void {
    const learner = this.#learners.get(learnerId);
    // After the end the record stays as it was at the end.
    if (!learner || this.#workshop.endedAt !== null) return;
    const at = this.#now();
    this.#store.insertOutcome(learnerId, page, block, outcome, exitCode, at);
    applyOutcome(learner, page, block, outcome, at);
    learner.lastActivity = learner.lastActivityWritten = Math.max(learner.lastActivity ?? 0, at);
    this.#changed();
  }

  recordLocation(learnerId: string, page: string, section: string | null): void {
    const learner = this.#learners.get(learnerId);
    if (!learner || this.#workshop.endedAt !== null) return;
    const at = this.#now();
    this.#store.setLocation(learnerId, page, section, at);
    learner.page = page;
    learner.section = section;
    learner.lastActivity = learner.lastActivityWritten = Math.max(learner.lastActivity ?? 0, at);
    this.#changed();
  }

  recordActivity(learnerId: string): void {
    const learner = this.#learners.get(learnerId);
    if (!learner || this.#workshop.endedAt !== null) return;
    const at = this.#now();
    learner.lastActivity = Math.max(learner.lastActivity ?? 0, at);
    // Keystrokes are many: the store (and the board, which shows idle time) hear of them only
    // when the last write is older than the interval.
    if (learner.lastActivityWritten !== null && at - learner.lastActivityWritten < ACTIVITY_WRITE_INTERVAL_MS) return;
    this.#store.setActivity(learnerId, at);
    learner.lastActivityWritten = at;
    this.#changed();
  }

  broadcast(text: string): { id: number; text: string; at: number } {
    const at = this.#now();
    const id = this.#store.insertBroadcast(this.#workshop.id, text, at);
    const message = { id, text, at };
    this.#broadcasts.push(message);
    this.#changed();
    return { ...message };
  }

  rotate(which: 'join' | 'facilitator'): string {
    const token = newToken();
    this.#store.setToken(this.#workshop.id, which, token);
    if (which === 'join') {
      this.#workshop.joinToken = token;
      this.#joinDigest = sha256(token);
    } else {
      this.#workshop.facilitatorToken = token;
      this.#facilitatorDigest = sha256(token);
    }
    this.#changed();
    return token;
  }

  end(): void {
    if (this.#workshop.endedAt !== null) return;
    const at = this.#now();
    this.#store.endWorkshop(this.#workshop.id, at);
    this.#workshop.endedAt = at;
    clearTimeout(this.#endTimer);
    clearTimeout(this.#stuckTimer);
    for (const listener of [...this.#endedListeners]) listener();
    this.#endedListeners.clear();
    this.#changed();
  }

  board(live: LiveView, now: number): BoardMessage {
    const w = this.#workshop;
    const stuckAfterMs = w.stuckAfterS * 1000;
    let nextStuck = Number.POSITIVE_INFINITY;
    const learners: BoardLearner[] = [];
    for (const learner of this.#learners.values()) {
      const state = live.learner(learner.id);
      const inSession = state.sandbox === 'preparing' || state.sandbox === 'ready';
      if (!inSession) learner.sessionSince = null;
      else if (learner.sessionSince === null) learner.sessionSince = now;
      const stuck = this.#stuck(learner, inSession, now);
      if (inSession && stuck === null && w.endedAt === null) nextStuck = Math.min(nextStuck, this.#progressSince(learner) + stuckAfterMs);
      learners.push({
        id: learner.id,
        name: learner.name,
        joinedAt: learner.joinedAt,
        page: learner.page,
        section: learner.section,
        lastActivity: learner.lastActivity,
        blocks: [...learner.blocks.values()].map((b) => ({ page: b.page, block: b.block, outcome: b.outcome, at: b.at, failures: b.failures })),
        stuck,
        sandbox: state.sandbox,
        memoryBytes: state.memoryBytes,
        terminals: [...state.terminals],
      });
    }
    this.#armStuckTimer(nextStuck);
    return {
      type: 'board',
      now,
      workshop: {
        id: w.id,
        name: w.name,
        startedAt: w.startedAt,
        endsAt: w.endsAt,
        endedAt: w.endedAt,
        capacity: w.capacity,
        stuckAfterMinutes: Math.max(1, Math.ceil(w.stuckAfterS / 60)),
      },
      learners,
      queue: live.queue().map((q) => ({ learner: q.learner, reason: q.reason, since: q.since })),
      broadcasts: this.#broadcasts.map((b) => ({ ...b })),
    };
  }

  exportCsv(): string {
    return outcomesCsv(
      this.#store.outcomes(this.#workshop.id).map((o: OutcomeRow) => ({
        learnerId: o.learnerId,
        name: this.#learners.get(o.learnerId)?.name ?? '',
        page: o.page,
        block: o.block,
        outcome: o.outcome,
        exitCode: o.exitCode,
        at: o.at,
      })),
    );
  }

  onChange(listener: () => void): Disposable {
    this.#changeListeners.add(listener);
    return toDisposable(() => this.#changeListeners.delete(listener));
  }

  onEnded(listener: () => void): Disposable {
    this.#endedListeners.add(listener);
    return toDisposable(() => this.#endedListeners.delete(listener));
  }

  /** Stops the timers and closes the store. The record is not usable after this. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    clearTimeout(this.#endTimer);
    clearTimeout(this.#stuckTimer);
    this.#changeListeners.clear();
    this.#endedListeners.clear();
    this.#store.close();
  }

  // ---- private ----

  #isEnded(): boolean {
    if (this.#workshop.endedAt === null && this.#workshop.endsAt <= this.#now()) this.end();
    return this.#workshop.endedAt !== null;
  }

  #newLearnerId(): string {
    for (;;) {
      const id = randomBytes(12).toString('base64url');
      if (!this.#learners.has(id)) return id;
    }
  }

  /** Since when a learner has made no progress: their last pass, their join, or the start of the session we saw. */
  #progressSince(learner: LearnerState): number {
    return Math.max(learner.lastPassAt ?? learner.joinedAt, learner.sessionSince ?? 0);
  }

  #stuck(learner: LearnerState, inSession: boolean, now: number): StuckReason | null {
    // The block failed most recently, if it failed twice since it last passed.
    const failed = learner.lastFailedBlock ? learner.blocks.get(learner.lastFailedBlock) : undefined;
    if (failed && failed.failuresSincePass >= 2) return { reason: 'failed-twice', page: failed.page, block: failed.block };
    // Of the others, any that failed twice since it passed.
    for (const b of learner.blocks.values()) {
      if (b.failuresSincePass >= 2) return { reason: 'failed-twice', page: b.page, block: b.block };
    }
    if (!inSession || this.#workshop.endedAt !== null) return null;
    const idleMs = now - this.#progressSince(learner);
    if (idleMs >= this.#workshop.stuckAfterS * 1000) return { reason: 'no-progress', minutes: Math.max(1, Math.floor(idleMs / 60_000)) };
    return null;
  }

  /** Tells the board again when the next learner passes the no-progress mark, with nothing else happening. */
  #armStuckTimer(at: number): void {
    clearTimeout(this.#stuckTimer);
    this.#stuckTimer = undefined;
    if (!Number.isFinite(at) || this.#disposed) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.#now()) + 50);
    this.#stuckTimer = setTimeout(() => this.#changed(), delay);
    this.#stuckTimer.unref();
  }

  #armEndTimer(): void {
    const delay = this.#workshop.endsAt - this.#now();
    if (delay <= 0) {
      this.end();
      return;
    }
    this.#endTimer = setTimeout(() => (delay > MAX_TIMER_MS ? this.#armEndTimer() : this.end()), Math.min(delay, MAX_TIMER_MS));
    this.#endTimer.unref();
  }

  #changed(): void {
    if (this.#disposed) return;
    for (const listener of [...this.#changeListeners]) listener();
  }
}
