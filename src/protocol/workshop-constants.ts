/**
 * Workshop mode's constants, apart from its schemas (workshop.ts re-exports all of it): the paths,
 * the limits, the formats of ids and credentials, and the display-name check both sides apply.
 * No zod, no DOM, no Node: the join page's script imports this alone.
 */

/** HTTP: join the workshop (POST, JSON JoinRequest; answers JoinResponse or JoinRefusal). */
export const JOIN_PATH = '/lab/workshop/join';
/** HTTP: every block outcome as CSV (GET, facilitator token as a Bearer token). */
export const EXPORT_PATH = '/lab/workshop/export.csv';
/** WebSocket: the facilitator's board or one mirror per socket (facilitator token as `lab.token.<t>`). */
export const FACILITATOR_WS_PATH = '/lab/workshop/ws';
/** Site pages (under each locale's prefix: `/workshop/join/`, `/en/workshop/join/`). */
export const JOIN_PAGE = 'workshop/join/';
export const BOARD_PAGE = 'workshop/board/';
/** Fragment keys the printed links carry (the page keeps the value and drops it from the address bar). */
export const JOIN_FRAGMENT = 'join';
export const FACILITATOR_FRAGMENT = 'facilitator';

/** Largest join request body, in bytes. */
export const MAX_JOIN_BODY_BYTES = 4 * 1024;
/** A display name, after trimming: 1 to 40 characters, no control characters. Plain text everywhere. */
export const MAX_NAME_CHARS = 40;
/** A broadcast: 1 to 500 characters. */
export const MAX_BROADCAST_CHARS = 500;

/** Tokens and credentials are base64url. A learner id is 16 characters; a credential is the id then a 32-character secret. */
export const LEARNER_ID = /^[A-Za-z0-9_-]{16}$/;
export const CREDENTIAL = /^[A-Za-z0-9_-]{48}$/;
export const LEARNER_ID_CHARS = 16;

export type DisplayNameProblem = 'empty' | 'too-long' | 'control';

/**
 * Trims a display name and says whether it may be used. `reason` is English (for the runner's
 * refusal); `problem` names it, for a page that says it in its own language.
 */
export function checkDisplayName(raw: string): { ok: true; name: string } | { ok: false; problem: DisplayNameProblem; reason: string } {
  const name = raw.trim();
  if (name.length === 0) return { ok: false, problem: 'empty', reason: 'A display name is needed.' };
  if ([...name].length > MAX_NAME_CHARS) return { ok: false, problem: 'too-long', reason: `A display name is at most ${MAX_NAME_CHARS} characters.` };
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u.test(name)) return { ok: false, problem: 'control', reason: 'A display name cannot hold control characters or line breaks.' };
  return { ok: true, name };
}
