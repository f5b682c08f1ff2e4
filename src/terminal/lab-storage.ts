/**
 * What the page remembers about the lab, and where the runner is. Small and free of the protocol
 * module (and so of zod): the eager scripts import it, before any terminal code is loaded.
 *
 *   token    localStorage   the runner's shared secret, handed over once in `#lab-token=...`
 *   session  sessionStorage the session of this tab, per runner and terminal, so a reload resumes it
 */

const TOKEN_KEY = 'docker-network-lab:token';
const SESSION_KEY_PREFIX = 'docker-network-lab:session:';
const TOKEN_FRAGMENT = 'lab-token';

/**
 * The runner's WebSocket URL: the one configured at build time, else the server the page came from
 * (the runner serves the site and the socket on one port). `wsPath` is the protocol's WS_PATH,
 * handed in so this module does not import the protocol.
 */
export function runnerUrl(configured: string, wsPath: string, page: Location): string {
  if (configured) return configured;
  return `${page.protocol === 'https:' ? 'wss:' : 'ws:'}//${page.host}${wsPath}`;
}

/**
 * Moves a token given in the URL fragment (`#lab-token=...`, the link `npm start` prints) into
 * localStorage and removes it from the address bar, so it is neither bookmarked nor shared.
 */
export function captureToken(page: Location, history: History): void {
  const fragment = new URLSearchParams(page.hash.slice(1));
  const token = fragment.get(TOKEN_FRAGMENT);
  if (token === null) return;
  if (token) writeStorage('local', TOKEN_KEY, token);
  fragment.delete(TOKEN_FRAGMENT);
  const rest = fragment.toString();
  history.replaceState(history.state, '', `${page.pathname}${page.search}${rest ? `#${rest}` : ''}`);
}

export function readToken(): string | null {
  return readStorage('local', TOKEN_KEY);
}

function sessionKey(url: string, terminal: string): string {
  return `${SESSION_KEY_PREFIX}${url}#${terminal}`;
}

/** The session this tab holds on a runner's terminal, remembered across reloads. */
export interface SessionMemory {
  get(): string | null;
  set(sessionId: string): void;
  forget(): void;
}

export function sessionMemory(url: string, terminal: string): SessionMemory {
  const key = sessionKey(url, terminal);
  return {
    get: () => readStorage('session', key),
    set: (sessionId) => writeStorage('session', key, sessionId),
    forget: () => removeStorage('session', key),
  };
}

// Storage throws when it is disabled (some privacy settings, sandboxed frames), even on access to
// `localStorage` itself. The lab then works for the life of the page only, the best it can do.
type Area = 'local' | 'session';

function storage(area: Area): Storage {
  return area === 'local' ? localStorage : sessionStorage;
}

function readStorage(area: Area, key: string): string | null {
  try {
    return storage(area).getItem(key);
  } catch {
    return null; // storage disabled: nothing was remembered
  }
}

function writeStorage(area: Area, key: string, value: string): void {
  try {
    storage(area).setItem(key, value);
  } catch {
    // Storage disabled or full: the value lives only as long as the page.
  }
}

function removeStorage(area: Area, key: string): void {
  try {
    storage(area).removeItem(key);
  } catch {
    // Storage disabled: there is nothing stored to remove.
  }
}
