/**
 * The facilitator's token, as the board page keeps it: handed over once in the address
 * (`#facilitator=...`, the link the start command prints), then kept in localStorage under its own
 * key (never the lab token's: a facilitator who also tries the lab keeps both) and dropped from the
 * address bar, so it is neither bookmarked nor shared from there.
 */
import { FACILITATOR_FRAGMENT } from '../../protocol/workshop.ts';

const KEY = 'docker-network-lab:facilitator';
/** The token when storage is disabled: the page still works until it is closed. */
let memory: string | null = null;

export function captureFacilitatorToken(page: Location, history: History): void {
  const fragment = new URLSearchParams(page.hash.slice(1));
  const token = fragment.get(FACILITATOR_FRAGMENT);
  if (token === null) return;
  if (token) writeFacilitatorToken(token);
  fragment.delete(FACILITATOR_FRAGMENT);
  const rest = fragment.toString();
  history.replaceState(history.state, '', `${page.pathname}${page.search}${rest ? `#${rest}` : ''}`);
}

export function readFacilitatorToken(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: nothing was kept
  }
}

export function writeFacilitatorToken(token: string): void {
  try {
    localStorage.setItem(KEY, token);
  } catch {
    // Storage disabled: the token lives as long as the page (its memory below).
  }
  memory = token;
}

export function currentFacilitatorToken(): string | null {
  return readFacilitatorToken() ?? memory;
}
