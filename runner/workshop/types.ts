/**
 * The seam between the workshop's record (workshop.ts over store.ts: who joined, what they ran,
 * the tokens, broadcasts, the end) and the live runner (server.ts, session.ts: sockets, sessions,
 * the queue, sandboxes). The record knows nothing of sockets; the live side keeps no record of its own.
 */
import type { Disposable } from '../../src/common/lifecycle.ts';
import type { BoardMessage, JoinRefusal, JoinResponse, OutcomeKind } from '../../src/protocol/workshop.ts';

export interface LearnerRef {
  readonly id: string;
  readonly name: string;
}

/**
 * Who presented a token. Every comparison is constant-time; an unknown value costs the same as a
 * known one. `join`: the learners' link token (may only join); `learner`: a credential.
 */
export type Presenter = { role: 'facilitator' } | { role: 'join' } | { role: 'learner'; learner: LearnerRef } | { role: 'nobody' };

export type JoinResult = { ok: true; response: JoinResponse } | { ok: false; status: 400 | 403 | 410; refusal: JoinRefusal };

/** What only the live side knows about one learner, for the board. */
export interface LiveLearner {
  sandbox: 'none' | 'queued' | 'preparing' | 'ready';
  memoryBytes: number | null;
  terminals: string[];
}

export interface QueueEntry {
  learner: string;
  reason: 'room-full' | 'memory';
  since: number;
}

/** The live side's view, handed to `WorkshopRecord.board` each time a board is sent. */
export interface LiveView {
  learner(id: string): LiveLearner;
  queue(): QueueEntry[];
}

export interface WorkshopSummary {
  readonly id: string;
  readonly name: string;
  readonly startedAt: number;
  readonly endsAt: number;
  /** Sandboxes at once: the room's size (`--learners`). */
  readonly capacity: number;
}

/** The open workshop's record. One per runner process. */
export interface WorkshopRecord {
  readonly summary: WorkshopSummary;
  /** Null while open. */
  readonly endedAt: number | null;
  authenticate(presented: string): Presenter;
  /** Checks the join token and the name (checkDisplayName), then records a new learner. */
  join(joinToken: string, rawName: string): JoinResult;
  /** A learner's latest outcome per block, the workshop and the broadcasts: the `learner` message's fields. */
  learnerView(learnerId: string): { name: string; workshop: { name: string; endsAt: number }; outcomes: { page: string; block: string; outcome: OutcomeKind; at: number }[]; broadcasts: { id: number; text: string; at: number }[] } | null;
  recordOutcome(learnerId: string, page: string, block: string, outcome: OutcomeKind, exitCode: number | null): void;
  recordLocation(learnerId: string, page: string, section: string | null): void;
  /** Terminal input counts as activity; the record may keep it coarsely (a write every few seconds at most). */
  recordActivity(learnerId: string): void;
  broadcast(text: string): { id: number; text: string; at: number };
  /** A new token of that kind; the old one stops authenticating. */
  rotate(which: 'join' | 'facilitator'): string;
  /** Marks the workshop ended (idempotent) and tells the `onEnded` listeners. The live side ends the sessions. */
  end(): void;
  board(live: LiveView, now: number): BoardMessage;
  /** Every outcome ever recorded, one row each, formula-guarded. */
  exportCsv(): string;
  /** Something the board shows changed (a join, an outcome, a location, a broadcast, the end). */
  onChange(listener: () => void): Disposable;
  onEnded(listener: () => void): Disposable;
}
