/**
 * The protocol's constants, apart from its schemas (wire.ts): the page imports these without
 * pulling zod into its eager scripts. No DOM, no Node (src/protocol/tsconfig.json holds to that).
 */

// The handshake's constants live in handshake.ts (the page's eager script imports them alone).
export { MAIN_TERMINAL, MAX_COLS, MAX_ROWS, PROTOCOL_VERSION, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from './handshake.ts';

/** Path of the WebSocket endpoint on the runner. */
export const WS_PATH = '/lab/ws';

/** What a terminal name is: 1 to 32 characters of a-z 0-9 -, starting with a letter. */
export const TERMINAL_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * A binary output frame (runner -> client only) starts with this many bytes: the offset of its
 * first byte in the terminal's whole output, an unsigned big-endian 64-bit integer (at most
 * Number.MAX_SAFE_INTEGER). The pty's bytes follow, as they came.
 */
export const OUTPUT_HEADER_BYTES = 8;

/** Largest client frame the runner accepts, in bytes. A pasted heredoc is a few KB. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;
/**
 * Input accepted but not yet read by the shell, per terminal. A shell that does not read (a
 * running `sleep`) with a client that keeps typing or pasting must not grow the runner's memory:
 * input beyond this is refused with `input-overflow`. Far above any paste a page makes.
 */
export const MAX_PENDING_INPUT_BYTES = 1024 * 1024;
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
  /**
   * Sent by a CLIENT, never the runner: an output frame whose offset does not follow the output
   * before it (or output before the welcome). The client closes with this and resumes from the
   * last byte it holds, so nothing is lost or doubled. 416: the range does not fit.
   */
  outputOutOfSequence: 4416,
  /** Internal error, sandbox failure. */
  internal: 4500,
  /** The Docker engine does not answer. */
  engineUnavailable: 4502,
  /** The runner holds its maximum number of sessions. */
  capacity: 4503,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * The errors the runner sends (an `error` message), each with the close code that follows it: the
 * one table of both. wire.ts builds its schema's enum from these keys.
 */
export const CLOSE_FOR_ERROR = {
  'bad-message': CloseCode.badMessage, // a frame that is not a valid message; see `detail`
  'handshake-required': CloseCode.badMessage, // the first message was not `hello`
  'session-unknown': CloseCode.sessionUnknown, // the session to resume does not exist (expired, or the runner restarted)
  capacity: CloseCode.capacity, // the runner holds its maximum number of sessions
  'engine-unavailable': CloseCode.engineUnavailable, // the Docker engine does not answer
  'sandbox-failed': CloseCode.internal, // the sandbox could not be started
  'terminal-limit': CloseCode.badMessage, // the session holds its maximum number of terminals
  'input-overflow': CloseCode.inputOverflow, // more input waits for the shell than MAX_PENDING_INPUT_BYTES; the frame was dropped
  internal: CloseCode.internal, // a bug; the runner logged it
  'workshop-ended': CloseCode.sessionEnded, // workshop mode: the workshop has ended; nothing new starts
  'not-found': CloseCode.sessionUnknown, // workshop mode: an id that is not there, or not the caller's (the same answer)
} as const satisfies Record<string, CloseCode>;
export type ErrorCode = keyof typeof CLOSE_FOR_ERROR;
export const ERROR_CODES = Object.keys(CLOSE_FOR_ERROR) as [ErrorCode, ...ErrorCode[]];

/** The close code that follows an error message of `code`. */
export function closeCodeFor(code: ErrorCode): CloseCode {
  return CLOSE_FOR_ERROR[code];
}
