/**
 * The join page's decisions, apart from its DOM (join-page.ts) so the unit tests call them: what a
 * display name's problem is called in the page's language (the same check the runner makes,
 * checkDisplayName), what a refused join says, and what a 201 must hold before the page keeps it.
 */
import { checkDisplayName, CREDENTIAL, LEARNER_ID, MAX_NAME_CHARS } from '../../protocol/workshop-constants.ts';
import { format, type UiStrings } from '../../terminal/strings.ts';

export type JoinStrings = UiStrings;

function say(strings: JoinStrings, key: string, values: Record<string, string | number> = {}): string {
  return format(strings[`lab.workshop.join.${key}`] ?? `lab.workshop.join.${key}`, values);
}

/** The name to send, or what is wrong with it, in words. */
export function checkName(strings: JoinStrings, raw: string): { ok: true; name: string } | { ok: false; error: string } {
  const checked = checkDisplayName(raw);
  if (checked.ok) return checked;
  return { ok: false, error: say(strings, `problem.${checked.problem}`, { max: MAX_NAME_CHARS }) };
}

/** A 201's body, checked: the learner, the credential the page presents from now on, the workshop. */
export interface Joined {
  learner: string;
  credential: string;
  workshop: { name: string; endsAt: number };
}

export function readJoined(body: unknown): Joined | null {
  if (typeof body !== 'object' || body === null) return null;
  const { learner, credential, workshop } = body as Record<string, unknown>;
  if (typeof learner !== 'string' || !LEARNER_ID.test(learner)) return null;
  if (typeof credential !== 'string' || !CREDENTIAL.test(credential) || !credential.startsWith(learner)) return null;
  if (typeof workshop !== 'object' || workshop === null) return null;
  const { name, endsAt } = workshop as Record<string, unknown>;
  if (typeof name !== 'string' || typeof endsAt !== 'number') return null;
  return { learner, credential, workshop: { name, endsAt } };
}

/**
 * What a refused join says. `field`: the name was refused (said under the field); else the whole
 * join was (said above the form). `retryAfter`: the Retry-After header, when the page can read it.
 */
export function refusal(strings: JoinStrings, status: number | 'unreachable', body: unknown, retryAfter: string | null): { field: boolean; text: string } {
  const message = typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string' ? (body as { message: string }).message : '';
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (status === 'unreachable') return { field: false, text: say(strings, 'refused.unreachable') };
  if (status === 400 && error === 'bad-name') return { field: true, text: message || say(strings, 'problem.empty') };
  if (status === 403) return { field: false, text: say(strings, 'refused.forbidden') };
  if (status === 410) return { field: false, text: say(strings, 'refused.ended') };
  if (status === 429) {
    const seconds = retryAfter !== null && /^\d{1,5}$/.test(retryAfter.trim()) ? Number(retryAfter) : null;
    return { field: false, text: seconds === null ? say(strings, 'refused.tooManyNoTime') : say(strings, 'refused.tooMany', { seconds: Math.max(1, seconds) }) };
  }
  return { field: false, text: say(strings, 'refused.other', { message: message || `HTTP ${status}` }) };
}
