/**
 * What the page remembers about the lab, and where the runner is. Small and free of the protocol
 * module (and so of zod): the eager scripts import it, before any terminal code is loaded.
 *
 *   token    localStorage   the runner's shared secret, handed over once in `#lab-token=...`;
 *                           in a workshop, the learner's credential (the join page puts it there)
 *   learner  localStorage   in a workshop: who joined on this browser (id, name, workshop)
 *   page     sessionStorage this tab's session on a page: its id, the terminals open in it and how
 *                           each runnable block ended, so a reload resumes all of them
 *   dock     localStorage   the docked terminal's height and whether it is collapsed
 *   reader   localStorage   whether the terminal runs in xterm's screen reader mode
 */

/** Exported for src/workshop/learner/learner-storage.ts, which writes them (the join page). */
export const TOKEN_KEY = 'docker-network-lab:token';
export const LEARNER_KEY = 'docker-network-lab:learner';
const PAGE_KEY_PREFIX = 'docker-network-lab:page:';
const DOCK_KEY = 'docker-network-lab:dock';
const SCREEN_READER_KEY = 'docker-network-lab:screen-reader';
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
 * Takes `key` out of the URL fragment (a token a printed link carries) and out of the address bar,
 * so it is neither bookmarked nor shared; null when the fragment has no such key.
 */
export function takeFragment(page: Location, history: History, key: string): string | null {
  const fragment = new URLSearchParams(page.hash.slice(1));
  const value = fragment.get(key);
  if (value === null) return null;
  fragment.delete(key);
  const rest = fragment.toString();
  history.replaceState(history.state, '', `${page.pathname}${page.search}${rest ? `#${rest}` : ''}`);
  return value;
}

/**
 * Moves a token given in the URL fragment (`#lab-token=...`, the link `npm start` prints) into
 * localStorage. A runner's own token replaces a workshop learner's credential, and the learner with it.
 */
export function captureToken(page: Location, history: History): void {
  const token = takeFragment(page, history, TOKEN_FRAGMENT);
  if (!token) return;
  writeStorage('local', TOKEN_KEY, token);
  removeStorage('local', LEARNER_KEY);
}

export function readToken(): string | null {
  return readStorage('local', TOKEN_KEY);
}

/** Who joined a workshop on this browser (the join page writes it with the credential). */
export interface LearnerRecord {
  id: string;
  name: string;
  workshop: { name: string; endsAt: number };
}

/**
 * The learner this browser joined as, while the lab token is still that learner's credential (it
 * starts with the learner's id); null outside a workshop.
 */
export function readLearner(): LearnerRecord | null {
  try {
    const learner = JSON.parse(readStorage('local', LEARNER_KEY) ?? 'null') as LearnerRecord | null;
    return learner && typeof learner.id === 'string' && readToken()?.startsWith(learner.id) ? learner : null;
  } catch {
    return null; // not written by this site: no learner
  }
}

/** The session this tab holds on one terminal, remembered across reloads. */
export interface SessionMemory {
  get(): string | null;
  set(sessionId: string): void;
  forget(): void;
}

/** How a runnable block ended in this session (see src/blocks/page/block-controls.ts). */
export type RememberedOutcome = 'done' | 'expected-failure' | 'failed' | 'stopped';

interface PageRecord {
  session: string | null;
  /** Terminals opened in the session besides the main one, in the order they were opened. */
  terminals: string[];
  blocks: Record<string, RememberedOutcome>;
}

/**
 * Everything this tab remembers about one page's lab session. All terminals of a page belong to
 * one session (one sandbox); block outcomes belong to that session and are dropped with it.
 */
export class PageMemory {
  readonly #key: string;

  constructor(url: string, pathname: string) {
    this.#key = `${PAGE_KEY_PREFIX}${url}#${pathname}`;
  }

  get session(): string | null {
    return this.#read().session;
  }

  /** Terminals besides the main one that were open in the remembered session. */
  get terminals(): string[] {
    return this.#read().terminals;
  }

  get blocks(): Readonly<Record<string, RememberedOutcome>> {
    return this.#read().blocks;
  }

  /** Memory for the main terminal: a new session id starts afresh (no terminals, no outcomes). */
  main(): SessionMemory {
    return {
      get: () => this.session,
      set: (sessionId) => {
        if (sessionId !== this.session) this.#write({ session: sessionId, terminals: [], blocks: {} });
      },
      forget: () => this.#write({ session: null, terminals: [], blocks: {} }),
    };
  }

  /** Memory for another terminal, which joins the main terminal's session and never starts one. */
  joined(terminal: string): SessionMemory {
    return {
      get: () => this.session,
      set: (sessionId) => {
        const record = this.#read();
        if (record.session === sessionId && !record.terminals.includes(terminal)) this.#write({ ...record, terminals: [...record.terminals, terminal] });
      },
      // Its shell exited (or the session ended): a reload does not open it again.
      forget: () => {
        const record = this.#read();
        this.#write({ ...record, terminals: record.terminals.filter((name) => name !== terminal) });
      },
    };
  }

  setBlock(id: string, outcome: RememberedOutcome | null): void {
    const record = this.#read();
    if (record.session === null) return; // outcomes belong to a session
    const blocks = { ...record.blocks };
    if (outcome === null) delete blocks[id];
    else blocks[id] = outcome;
    this.#write({ ...record, blocks });
  }

  #read(): PageRecord {
    const empty: PageRecord = { session: null, terminals: [], blocks: {} };
    const raw = readStorage('session', this.#key);
    if (raw === null) return empty;
    try {
      const value = JSON.parse(raw) as Partial<PageRecord>;
      return {
        session: typeof value.session === 'string' ? value.session : null,
        terminals: Array.isArray(value.terminals) ? value.terminals.filter((name): name is string => typeof name === 'string') : [],
        blocks: typeof value.blocks === 'object' && value.blocks !== null ? value.blocks : {},
      };
    } catch {
      return empty; // written by another version of the page: start afresh
    }
  }

  #write(record: PageRecord): void {
    if (record.session === null) removeStorage('session', this.#key);
    else writeStorage('session', this.#key, JSON.stringify(record));
  }
}

/** The docked terminal's layout, kept across pages and visits. */
export interface DockLayout {
  /** Height of the terminal area in CSS pixels; null for the default. */
  height: number | null;
  collapsed: boolean | null;
}

export function readDockLayout(): DockLayout {
  const raw = readStorage('local', DOCK_KEY);
  const layout: DockLayout = { height: null, collapsed: null };
  if (raw === null) return layout;
  try {
    const value = JSON.parse(raw) as Partial<DockLayout>;
    if (typeof value.height === 'number' && Number.isFinite(value.height)) layout.height = value.height;
    if (typeof value.collapsed === 'boolean') layout.collapsed = value.collapsed;
  } catch {
    // Not ours, or from another version: the defaults apply.
  }
  return layout;
}

export function writeDockLayout(layout: DockLayout): void {
  writeStorage('local', DOCK_KEY, JSON.stringify(layout));
}

/** Whether the reader switched the terminal's screen reader mode on (for every page of the site). */
export function readScreenReaderMode(): boolean {
  return readStorage('local', SCREEN_READER_KEY) === 'on';
}

export function writeScreenReaderMode(on: boolean): void {
  if (on) writeStorage('local', SCREEN_READER_KEY, 'on');
  else removeStorage('local', SCREEN_READER_KEY);
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
