/**
 * What a client needs to open a socket and say hello, and nothing more: the subprotocols, the
 * version, the main terminal's name, the size limits, and the text-frame encoder. The page's eager
 * script (src/terminal/early-socket.ts) imports only this module of the protocol, so the error
 * tables and the flow-control classes, which the lazy terminal chunk shares, stay in that chunk.
 * constants.ts and wire.ts re-export all of it. No DOM, no Node.
 */
import type { ClientMessage, ServerMessage } from './wire.ts';
import type { FacilitatorClientMessage, FacilitatorServerMessage } from './workshop.ts';

export const PROTOCOL_VERSION = 1;
/** Subprotocol the runner selects; a client also offers `lab.token.<token>` to authenticate. */
export const SUBPROTOCOL = 'lab.v1';
export const TOKEN_SUBPROTOCOL_PREFIX = 'lab.token.';

/** The terminal every session opens first: the sandbox host's shell. Its exit ends the session. */
export const MAIN_TERMINAL = 'main';

/** Limits of the terminal size a client may ask for. */
export const MAX_COLS = 1000;
export const MAX_ROWS = 500;

/** A control message as its JSON text frame. */
export function encode(message: ClientMessage | ServerMessage | FacilitatorClientMessage | FacilitatorServerMessage): string {
  return JSON.stringify(message);
}
