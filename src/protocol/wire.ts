/**
 * The wire protocol between the page (or any client: the doc-test driver, the benchmarks) and the
 * runner. This is the only module that parses or builds a frame; it has no DOM and no Node types, so
 * both sides import it.
 *
 * Every frame is a JSON text frame holding one message. Each direction is a closed list of kinds
 * (a zod discriminated union). The first client message must be `hello`: terminal size, the terminal
 * to attach to, and optionally the session to resume and how much output the client already holds.
 *
 * Output is numbered like TCP: `seq` is the offset (in UTF-16 code units) of the first character of
 * the chunk in the terminal's whole output. A client that holds output up to offset N resumes with
 * `lastSeq: N` and receives exactly what follows; acknowledgements are cumulative offsets too.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
/** Subprotocol the runner selects; a client also offers `lab.token.<token>` to authenticate. */
export const SUBPROTOCOL = 'lab.v1';
export const TOKEN_SUBPROTOCOL_PREFIX = 'lab.token.';
/** Path of the WebSocket endpoint on the runner. */
export const WS_PATH = '/lab/ws';

/** The terminal every session opens first: the sandbox host's shell. Its exit ends the session. */
export const MAIN_TERMINAL = 'main';

/** Largest client frame the runner accepts, in bytes. A pasted heredoc is a few KB. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;
/** Limits of the terminal size a client may ask for. */
/**
 * Input accepted but not yet read by the shell, per terminal. A shell that does not read (a
 * running `sleep`) with a client that keeps typing or pasting must not grow the runner's memory:
 * input beyond this is refused with `input-overflow`. Far above any paste a page makes.
 */
export const MAX_PENDING_INPUT_BYTES = 1024 * 1024;

export const MAX_COLS = 1000;
export const MAX_ROWS = 500;

const sessionId = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, 'a session id is 22 to 64 characters of A-Z a-z 0-9 _ -');
const terminalName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a terminal name is 1 to 32 characters of a-z 0-9 -, starting with a letter');
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
]);

export const endReason = z.enum([
  'exit', // the shell exited
  'reset', // the reader asked for a fresh sandbox
  'idle', // no input for the configured idle time
  'max-age', // the session reached its maximum lifetime
  'sandbox-lost', // the sandbox or its engine went away
  'shutdown', // the runner is stopping
]);

/** Where a new session's sandbox is; the page words each stage in its own language. */
export const prepareStage = z.enum([
  'session', // the session exists; its sandbox is being asked for
  'creating', // the sandbox container is being created
  'starting-engine', // the sandbox's own Docker engine is starting
  'ready', // shells can run
]);

export const errorCode = z.enum([
  'bad-message', // a frame that is not a valid message; see `detail`
  'handshake-required', // the first message was not `hello`
  'session-unknown', // the session to resume does not exist (expired, or the runner restarted)
  'capacity', // the runner holds its maximum number of sessions
  'engine-unavailable', // the Docker engine does not answer
  'sandbox-failed', // the sandbox could not be started
  'terminal-limit', // the session holds its maximum number of terminals
  'input-overflow', // more input waits for the shell than MAX_PENDING_INPUT_BYTES; the frame was dropped
  'internal', // a bug; the runner logged it
]);

export const serverMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('welcome'),
    sessionId,
    terminal: terminalName,
    /** True when the session already existed. */
    resumed: z.boolean(),
    /** Offset of the first output frame that follows. */
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
  z.strictObject({ type: z.literal('output'), seq: offset, data: z.string() }),
  z.strictObject({ type: z.literal('ended'), reason: endReason, exitCode: z.number().int().nullable() }),
  z.strictObject({ type: z.literal('error'), code: errorCode, message: z.string() }),
]);

export type ClientMessage = z.infer<typeof clientMessage>;
export type ServerMessage = z.infer<typeof serverMessage>;
export type HelloMessage = Extract<ClientMessage, { type: 'hello' }>;
export type EndReason = z.infer<typeof endReason>;
export type PrepareStage = z.infer<typeof prepareStage>;
export type ErrorCode = z.infer<typeof errorCode>;

/**
 * WebSocket close codes the runner uses. 1xxx are the standard ones the `ws` library sends itself
 * for framing errors; 4xxx are this protocol's and mirror HTTP statuses where one fits.
 */
export const CloseCode = {
  normal: 1000,
  /** The runner is shutting down. */
  goingAway: 1001,
  /** A text frame with invalid UTF-8 (sent by ws). */
  invalidPayload: 1007,
  /** A frame over MAX_CLIENT_FRAME_BYTES (sent by ws). */
  tooBig: 1009,
  /** A frame that is not a valid message. */
  badMessage: 4400,
  /** The session to resume does not exist. */
  sessionUnknown: 4404,
  /** Another socket attached to the same terminal. */
  replaced: 4409,
  /** The session ended; the `ended` message before it says why. */
  sessionEnded: 4410,
  /** Input piled up faster than the shell reads it; the client may reconnect and resume. */
  inputOverflow: 4413,
  /** Internal error, sandbox failure. */
  internal: 4500,
  /** The Docker engine does not answer. */
  engineUnavailable: 4502,
  /** The runner holds its maximum number of sessions. */
  capacity: 4503,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Why a frame could not be decoded; each has a stable code that tests pin. */
export type DecodeErrorCode =
  | 'too-large' // over the size limit
  | 'not-text' // a binary frame
  | 'not-json' // not parseable JSON
  | 'unknown-type' // JSON without a known `type`
  | 'invalid-fields'; // a known type with missing, extra or wrongly typed fields

export type Decoded<T> = { ok: true; message: T } | { ok: false; code: DecodeErrorCode; detail: string };

type Frame = string | { byteLength: number };

const utf8 = new TextEncoder();

function byteLength(frame: string): number {
  // Cheap bound first: a UTF-16 code unit encodes to at most 3 bytes.
  return frame.length * 3 <= MAX_CLIENT_FRAME_BYTES ? frame.length : utf8.encode(frame).byteLength;
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

export function decodeClientMessage(frame: Frame): Decoded<ClientMessage> {
  return decodeWith(clientMessage, clientKinds, frame, MAX_CLIENT_FRAME_BYTES);
}

/** Server frames are trusted for size (the client chose the runner); they are still validated. */
export function decodeServerMessage(frame: Frame): Decoded<ServerMessage> {
  return decodeWith(serverMessage, serverKinds, frame, Number.MAX_SAFE_INTEGER);
}

export function encode(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}
