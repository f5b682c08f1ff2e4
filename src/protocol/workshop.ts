/**
 * Workshop mode's protocol: the join request, the learner's extra messages on the lab socket
 * (wire.ts puts them in its unions), and the facilitator's socket with its board. Like wire.ts,
 * no DOM and no Node types; zod schemas, types from z.infer, one decoder per direction.
 *
 * Who holds what:
 *   - the JOIN token is in the learners' link; it only lets someone join (POST JOIN_PATH with a
 *     display name), which returns that learner's CREDENTIAL;
 *   - the learner's page then presents its credential where a lab token goes (`lab.token.<c>` on
 *     WS_PATH), so a reload, a return after a break, or a new join link finds the same learner;
 *   - the FACILITATOR token opens FACILITATOR_WS_PATH (the board, mirrors, broadcast, end) and
 *     EXPORT_PATH (`Authorization: Bearer <token>`). A join token or a learner credential there
 *     gets 403; anything else 401.
 * An id (learner, workshop, mirror) that is not the caller's gets the same answer as one that does
 * not exist: `not-found`.
 */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './handshake.ts';
import { CREDENTIAL, LEARNER_ID, MAX_BROADCAST_CHARS } from './workshop-constants.ts';

// The paths, limits, formats and the name check live apart from the schemas (workshop-constants.ts):
// the join page imports them without pulling zod into its script. Re-exported, so one import serves.
export * from './workshop-constants.ts';

const learnerId = z.string().regex(LEARNER_ID, 'a learner id is 16 characters of A-Z a-z 0-9 _ -');
const token = z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'a token is 16 to 128 characters of A-Z a-z 0-9 _ -');
const time = z.number().int().nonnegative(); // ms since the epoch
/** A page, without its locale prefix: `docker-network`, not `en/docker-network`. */
export const pageSlug = z.string().regex(/^[a-z0-9][a-z0-9/_-]{0,119}$/, 'a page is a slug of a-z 0-9 / _ -, at most 120 characters');
/** A runnable block's id (src/blocks/runnable.ts BlockNamer): 12 hex digits, then -2, -3 for a repeat. */
export const blockId = z.string().regex(/^[0-9a-f]{12}(-[0-9]{1,3})?$/, 'a block id is 12 hex digits, optionally -N');
/** A section: the id of the heading the reader is under (null above the first heading). */
const section = z.string().regex(/^[^\u0000-\u001f\u007f]{1,200}$/u).nullable();
export const outcomeKind = z.enum(['passed', 'failed', 'stopped']);

// ---- HTTP: joining ----------------------------------------------------------------------------

export const joinRequest = z.strictObject({ join: token, name: z.string().max(200) });
export const joinResponse = z.strictObject({
  learner: learnerId,
  /** What the page presents as its lab token from now on. Shown to nobody. */
  credential: z.string().regex(CREDENTIAL),
  workshop: z.strictObject({ name: z.string(), endsAt: time }),
});
/**
 * A refused join, with its HTTP status: 400 bad-request / bad-name, 403 forbidden (a join token
 * that is not this workshop's), 410 ended, 413 too-large, 429 too-many (with Retry-After).
 */
export const joinRefusal = z.strictObject({
  error: z.enum(['bad-request', 'bad-name', 'forbidden', 'ended', 'too-large', 'too-many']),
  message: z.string(),
});
export type JoinRequest = z.infer<typeof joinRequest>;
export type JoinResponse = z.infer<typeof joinResponse>;
export type JoinRefusal = z.infer<typeof joinRefusal>;

// ---- The learner's lab socket (wire.ts adds these to its unions) -------------------------------

/** Learner -> runner, after the welcome. Outside workshop mode the runner accepts and ignores them. */
export const learnerClientMessages = [
  /** A block the learner ran ended. `exitCode` is the shell's, null when it had none (stopped). */
  z.strictObject({ type: z.literal('outcome'), page: pageSlug, block: blockId, outcome: outcomeKind, exitCode: z.number().int().min(0).max(255).nullable() }),
  /** Where the learner is reading: sent on load and when the section under the top of the view changes (at most once a second). */
  z.strictObject({ type: z.literal('location'), page: pageSlug, section }),
] as const;

const broadcast = z.strictObject({ id: z.number().int().positive(), text: z.string().min(1).max(MAX_BROADCAST_CHARS), at: time });
const storedOutcome = z.strictObject({ page: pageSlug, block: blockId, outcome: outcomeKind, at: time });

/** Runner -> learner, in workshop mode only. */
export const learnerServerMessages = [
  /**
   * Right after each `welcome`: who the learner is, their workshop, their latest outcome per block
   * (for the sidebar's progress and the blocks' statuses) and the broadcasts so far (newest last).
   */
  z.strictObject({
    type: z.literal('learner'),
    name: z.string(),
    workshop: z.strictObject({ name: z.string(), endsAt: time }),
    outcomes: z.array(storedOutcome),
    broadcasts: z.array(broadcast),
  }),
  /**
   * No sandbox for this learner yet: the room holds its maximum (`room-full`) or the machine has no
   * memory for another sandbox (`memory`). Sent instead of `status` while waiting, again whenever
   * the place changes; the socket stays open and the session starts (status, welcome) when a place
   * frees up. `retryAfter`: seconds, when a time can be told.
   */
  z.strictObject({ type: z.literal('queued'), reason: z.enum(['room-full', 'memory']), position: z.number().int().positive(), of: z.number().int().positive(), retryAfter: z.number().int().positive().nullable() }),
  /** The facilitator's message to everyone. */
  z.strictObject({ type: z.literal('broadcast'), ...broadcast.shape }),
] as const;

// ---- The facilitator's socket -----------------------------------------------------------------

export const facilitatorClientMessage = z.discriminatedUnion('type', [
  /** First message of a board socket: the runner answers `board` at once and after every change. */
  z.strictObject({ type: z.literal('board-hello'), v: z.literal(PROTOCOL_VERSION) }),
  /**
   * First message of a mirror socket: the runner answers `mirror`, then the terminal's output as
   * binary output frames (wire.ts frames.ts): what its replay buffer holds, then live. A mirror
   * socket accepts no other message: anything after this hello closes it with bad-message.
   */
  z.strictObject({ type: z.literal('mirror-hello'), v: z.literal(PROTOCOL_VERSION), learner: learnerId, terminal: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/) }),
  /** Board socket only. */
  z.strictObject({ type: z.literal('broadcast'), text: z.string().min(1).max(MAX_BROADCAST_CHARS) }),
  /** Board socket only: ends every session, removes every sandbox, keeps the record. */
  z.strictObject({ type: z.literal('end-workshop') }),
  /** Board socket only: a new token; the old one stops opening anything new. Answered by `tokens`. */
  z.strictObject({ type: z.literal('rotate-token'), which: z.enum(['join', 'facilitator']) }),
]);

export const stuckReason = z.discriminatedUnion('reason', [
  z.strictObject({ reason: z.literal('failed-twice'), page: pageSlug, block: blockId }),
  z.strictObject({ reason: z.literal('no-progress'), minutes: z.number().int().positive() }),
]);

export const boardLearner = z.strictObject({
  id: learnerId,
  /** As typed: the board shows it as text, never as markup. */
  name: z.string(),
  joinedAt: time,
  page: pageSlug.nullable(),
  section,
  /** Last input, outcome or location; null before any. The board shows idle time from it and `now`. */
  lastActivity: time.nullable(),
  /** Latest outcome per block, and how often each failed. */
  blocks: z.array(z.strictObject({ page: pageSlug, block: blockId, outcome: outcomeKind, at: time, failures: z.number().int().nonnegative() })),
  stuck: stuckReason.nullable(),
  sandbox: z.enum(['none', 'queued', 'preparing', 'ready']),
  /** The sandbox's memory use in bytes (its cgroup), null without a sandbox or with the host provider. */
  memoryBytes: z.number().int().nonnegative().nullable(),
  /** Terminals the learner has open (for the mirror). */
  terminals: z.array(z.string()),
});

export const facilitatorServerMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('board'),
    /** The runner's clock when this was sent. */
    now: time,
    workshop: z.strictObject({
      id: z.string(),
      name: z.string(),
      startedAt: time,
      endsAt: time,
      endedAt: time.nullable(),
      /** Sandboxes at once (the room's size). */
      capacity: z.number().int().positive(),
      /** Minutes without progress after which a learner is flagged stuck. */
      stuckAfterMinutes: z.number().int().positive(),
    }),
    learners: z.array(boardLearner),
    queue: z.array(z.strictObject({ learner: learnerId, reason: z.enum(['room-full', 'memory']), since: time })),
    broadcasts: z.array(broadcast),
  }),
  /** A mirror socket's answer to its hello; output frames follow from offset `seq`. */
  z.strictObject({ type: z.literal('mirror'), learner: learnerId, name: z.string(), terminal: z.string(), seq: z.number().int().nonnegative() }),
  /** The mirrored terminal or its session ended; the socket closes after this. */
  z.strictObject({ type: z.literal('mirror-ended'), reason: z.string() }),
  /** After `rotate-token`: the new token (the board builds the link from its own address). */
  z.strictObject({ type: z.literal('tokens'), which: z.enum(['join', 'facilitator']), token }),
  /** `not-found` answers any id that is not there or not the caller's. Close codes as in CLOSE_FOR_ERROR. */
  z.strictObject({ type: z.literal('error'), code: z.enum(['bad-message', 'handshake-required', 'not-found', 'workshop-ended', 'internal']), message: z.string() }),
]);

export type FacilitatorClientMessage = z.infer<typeof facilitatorClientMessage>;
export type FacilitatorServerMessage = z.infer<typeof facilitatorServerMessage>;
export type BoardMessage = Extract<FacilitatorServerMessage, { type: 'board' }>;
export type BoardLearner = z.infer<typeof boardLearner>;
export type StuckReason = z.infer<typeof stuckReason>;
export type OutcomeKind = z.infer<typeof outcomeKind>;
