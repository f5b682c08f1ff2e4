/**
 * The wire protocol between the page (or any client: the doc-test driver, the benchmarks) and the
 * runner. This is the only module that parses or builds a frame; it has no DOM and no Node types, so
 * both sides import it.
 *
 * Control messages are JSON text frames holding one message each. Each direction is a closed list
 * of kinds (a zod discriminated union). The first client message must be `hello`: terminal size,
 * the terminal to attach to, and optionally the session to resume and how much output the client
 * already holds. Terminal output goes the other way in binary frames (frames.ts, re-exported
 * here): an 8-byte offset, then the pty's bytes as they came. A client sends text frames only.
 *
 * Output is numbered like TCP: `seq` is the BYTE offset of a frame's first byte in the terminal's
 * whole output, and each frame starts where the one before it ended (a client closes with
 * CloseCode.outputOutOfSequence when one does not). A client that holds output up to offset N
 * resumes with `lastSeq: N` and receives exactly the bytes that follow, even when N falls inside a
 * multi-byte character (the client's decoder still holds that character's first bytes);
 * acknowledgements are cumulative byte offsets too.
 */
import { z } from 'zod';
import {
  ERROR_CODES,
  MAX_CLIENT_FRAME_BYTES,
  MAX_COLS,
  MAX_ROWS,
  PROTOCOL_VERSION,
  TERMINAL_NAME,
} from './constants.ts';
import { decodeOutputFrame, type OutputMessage } from './frames.ts';
import { topologySnapshot } from './topology.ts';
import {
  facilitatorClientMessage,
  facilitatorServerMessage,
  joinRequest,
  type JoinRequest,
  learnerClientMessages,
  learnerServerMessages,
  type FacilitatorClientMessage,
  type FacilitatorServerMessage,
} from './workshop.ts';

// The constants live apart from the schemas (the page's eager scripts import them without zod);
// this module re-exports them, so the runner and the clients have one import.
export * from './constants.ts';
export * from './frames.ts';
export { encode } from './handshake.ts';
export * from './topology.ts';
export * from './workshop.ts';

const sessionId = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, 'a session id is 22 to 64 characters of A-Z a-z 0-9 _ -');
const terminalName = z.string().regex(TERMINAL_NAME, 'a terminal name is 1 to 32 characters of a-z 0-9 -, starting with a letter');
const cols = z.number().int().min(2).max(MAX_COLS);
const rows = z.number().int().min(1).max(MAX_ROWS);
const offset = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const clientMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hello'),
    v: z.literal(PROTOCOL_VERSION),
    terminal: terminalName,
    cols,
    rows,
    /** The session to join or resume; absent for a new session. */
    sessionId: sessionId.optional(),
    /** Output offset the client already holds for this terminal (0 after a page reload). */
    lastSeq: offset.optional(),
  }),
  z.strictObject({ type: z.literal('input'), data: z.string().min(1) }),
  z.strictObject({ type: z.literal('resize'), cols, rows }),
  /** Cumulative: the client's terminal has parsed all output before offset `upTo`. */
  z.strictObject({ type: z.literal('ack'), upTo: offset }),
  /** Throw the sandbox away; the client then starts a new session. */
  z.strictObject({ type: z.literal('reset') }),
  /**
   * Start or stop receiving `topology` messages on this socket. While on, the runner sends a
   * snapshot at once and another after each quiet spell following a command's end.
   */
  z.strictObject({ type: z.literal('watch-topology'), on: z.boolean() }),
  // Workshop mode: a block's outcome, where the learner reads (workshop.ts).
  ...learnerClientMessages,
]);

export const endReason = z.enum([
  'exit', // the shell exited
  'reset', // the reader asked for a fresh sandbox
  'idle', // no input for the configured idle time
  'max-age', // the session reached its maximum lifetime
  'sandbox-lost', // the sandbox or its engine went away
  'shutdown', // the runner is stopping
  'workshop-ended', // the facilitator ended the workshop, or its end time came
]);

/** Where a new session's sandbox is; the page words each stage in its own language. */
export const prepareStage = z.enum([
  'session', // the session exists; its sandbox is being asked for
  'creating', // the sandbox container is being created
  'starting-engine', // the sandbox's own Docker engine is starting
  'ready', // shells can run
]);

/** The error codes and their close codes are one table: CLOSE_FOR_ERROR in constants.ts. */
export const errorCode = z.enum(ERROR_CODES);

export const serverMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('welcome'),
    sessionId,
    terminal: terminalName,
    /** True when the session already existed. */
    resumed: z.boolean(),
    /** Byte offset of the first output frame that follows. */
    seq: offset,
    /** True when output the client asked for was already dropped from the bounded replay buffer. */
    truncated: z.boolean(),
    provider: z.enum(['dind', 'host']),
    /** Seconds; `null` when the limit is off. */
    idleTimeout: z.number().nullable(),
    expiresAt: z.number().nullable(),
  }),
  /** `detail` is the same stage in English, for logs and plain clients. */
  z.strictObject({ type: z.literal('status'), stage: prepareStage, detail: z.string() }),
  z.strictObject({ type: z.literal('ended'), reason: endReason, exitCode: z.number().int().nullable() }),
  z.strictObject({ type: z.literal('error'), code: errorCode, message: z.string() }),
  /** The sandbox's network now; `n` counts the snapshots of this session from 1. */
  z.strictObject({ type: z.literal('topology'), n: z.number().int().positive(), snapshot: topologySnapshot }),
  /** Collecting a snapshot failed; the terminal is unaffected. `message` is English, for the panel. */
  z.strictObject({ type: z.literal('topology-failed'), message: z.string() }),
  // Workshop mode: who the learner is and their progress, a place in the queue, a broadcast (workshop.ts).
  ...learnerServerMessages,
]);

export type ClientMessage = z.infer<typeof clientMessage>;
/** The runner's JSON messages; output comes in binary frames as an OutputMessage. */
export type ServerMessage = z.infer<typeof serverMessage>;
export type HelloMessage = Extract<ClientMessage, { type: 'hello' }>;
export type EndReason = z.infer<typeof endReason>;
export type PrepareStage = z.infer<typeof prepareStage>;

/** Why a frame could not be decoded; each has a stable code that tests pin. */
export type DecodeErrorCode =
  | 'too-large' // over the size limit
  | 'not-text' // a binary frame from a client
  | 'bad-output-frame' // a binary frame from the runner that is not an output frame
  | 'not-json' // not parseable JSON
  | 'unknown-type' // JSON without a known `type`
  | 'invalid-fields'; // a known type with missing, extra or wrongly typed fields

export type Decoded<T> = { ok: true; message: T } | { ok: false; code: DecodeErrorCode; detail: string };

type Frame = string | { byteLength: number };

/** The frame's size in UTF-8, as the socket carried it (a lone surrogate counts as U+FFFD, 3 bytes). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function byteLength(frame: string): number {
  // Cheap bound first: a UTF-16 code unit encodes to at most 3 bytes.
  return frame.length * 3 <= MAX_CLIENT_FRAME_BYTES ? frame.length : utf8Length(frame);
}

function decodeWith<T>(schema: z.ZodType<T>, kinds: readonly string[], frame: Frame, maxBytes: number): Decoded<T> {
  if (typeof frame !== 'string') {
    return frame.byteLength > maxBytes
      ? { ok: false, code: 'too-large', detail: `frame of ${frame.byteLength} bytes exceeds ${maxBytes}` }
      : { ok: false, code: 'not-text', detail: 'binary frames are not part of this protocol' };
  }
  const size = byteLength(frame);
  if (size > maxBytes) return { ok: false, code: 'too-large', detail: `frame of ${size} bytes exceeds ${maxBytes}` };
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch (error) {
    return { ok: false, code: 'not-json', detail: (error as Error).message };
  }
  const type = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !kinds.includes(type)) {
    return { ok: false, code: 'unknown-type', detail: `type must be one of ${kinds.join(', ')}` };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : type;
    return { ok: false, code: 'invalid-fields', detail: `${where}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, message: parsed.data };
}

const clientKinds = clientMessage.options.map((option) => option.shape.type.value);
const serverKinds = serverMessage.options.map((option) => option.shape.type.value);
const facilitatorClientKinds = facilitatorClientMessage.options.map((option) => option.shape.type.value);
const facilitatorServerKinds = facilitatorServerMessage.options.map((option) => option.shape.type.value);

export function decodeClientMessage(frame: Frame): Decoded<ClientMessage> {
  return decodeWith(clientMessage, clientKinds, frame, MAX_CLIENT_FRAME_BYTES);
}

/**
 * A runner frame: a text frame is a JSON message, a binary one terminal output. Server frames are
 * trusted for size (the client chose the runner); they are still validated.
 */
export function decodeServerMessage(frame: string | Uint8Array | ArrayBuffer): Decoded<ServerMessage | OutputMessage> {
  if (typeof frame !== 'string') return decodeOutputFrame(frame);
  return decodeWith(serverMessage, serverKinds, frame, Number.MAX_SAFE_INTEGER);
}

/** A frame from a facilitator's socket (FACILITATOR_WS_PATH), with the same limits as a learner's. */
export function decodeFacilitatorClientMessage(frame: Frame): Decoded<FacilitatorClientMessage> {
  return decodeWith(facilitatorClientMessage, facilitatorClientKinds, frame, MAX_CLIENT_FRAME_BYTES);
}

/** A runner frame on a facilitator's socket: JSON, or a mirror's terminal output. */
export function decodeFacilitatorServerMessage(frame: string | Uint8Array | ArrayBuffer): Decoded<FacilitatorServerMessage | OutputMessage> {
  if (typeof frame !== 'string') return decodeOutputFrame(frame);
  return decodeWith(facilitatorServerMessage, facilitatorServerKinds, frame, Number.MAX_SAFE_INTEGER);
}

/** A join request's body (POST JOIN_PATH; the caller bounds its size): JSON, then the schema. */
export function decodeJoinRequest(body: string): Decoded<JoinRequest> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return { ok: false, code: 'not-json', detail: (error as Error).message };
  }
  const parsed = joinRequest.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, code: 'invalid-fields', detail: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, message: parsed.data };
}
