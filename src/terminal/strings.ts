/**
 * Everything the lab terminal says to the reader. The words are Starlight's i18n strings
 * (`lab.terminal.*` in src/content/i18n/<lang>.json); LabTerminal.astro renders them into the page
 * (with Starlight's fallback to the default locale already applied), and this shapes them for the
 * terminal's code in the browser.
 */
import type { EndReason, PrepareStage } from '../protocol/wire.ts';

/** UI strings by key (`lab.terminal.title`), as the page carries them. */
export type UiStrings = Readonly<Record<string, string>>;

/** Fills `{{name}}` placeholders (i18next's form, so one string serves Astro.locals.t and the browser). */
export function format(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/** Why the terminal stopped without being able to go on by itself. */
export type FailureKind =
  | 'unreachable' // the first socket failed: no token, a wrong one, or no runner
  | 'lost' // a live connection dropped and every retry failed
  | 'replaced' // another tab took over this terminal
  | 'session-gone' // a joining terminal's session has ended
  | 'capacity'
  | 'engine-unavailable'
  | 'sandbox-failed'
  | 'load-failed' // the terminal's own code could not be loaded
  | 'incompatible' // the runner sent something this page does not understand
  | 'workshop-ended' // workshop mode: the workshop has ended, nothing new starts
  | 'internal';

export interface TerminalStrings {
  title: string;
  /** The main terminal's tab (the sandbox host's shell); other tabs are named by their terminal. */
  mainTab: string;
  tabsLabel: string;
  collapse: string;
  expand: string;
  resize: string;
  resetConfirm: string;
  start: string;
  startHint: string;
  screenLabel: string;
  /** How the keyboard leaves the terminal (Ctrl+M, then Tab), for its description and the hint. */
  keysHint: string;
  /** Announced when Ctrl+M makes Tab leave the terminal, and when it types Tab again. */
  tabLeaves: string;
  tabTypes: string;
  screenReader: string;
  screenReaderTitle: string;
  reset: string;
  resetTitle: string;
  newSandbox: string;
  retry: string;
  useHere: string;
  state: {
    idle: string;
    offline: string;
    loading: string;
    connecting: string;
    preparing: (stage: PrepareStage) => string;
    live: (provider: 'dind' | 'host') => string;
    /** Seconds until the next attempt; 0 while an attempt is under way. */
    reconnecting: (seconds: number) => string;
    resetting: string;
    /** Short labels for the bar; the notice below the terminal says what happened. */
    ended: string;
    error: string;
  };
  ended: (reason: EndReason, exitCode: number | null) => string;
  failure: Record<FailureKind, string>;
  /** The page cannot reach a runner: how to go live (a page of blocks explains more above them). */
  offline: string;
  note: {
    trimmed: string;
    sessionGone: string;
    reset: string;
    /** The runner dropped input the shell was not reading (the session goes on). */
    inputDropped: string;
    /** In a second terminal whose shell exited (the session goes on). */
    shellExited: string;
  };
}

/** The terminal's strings from the page's `lab.terminal.*` strings. A key the page lacks shows as itself. */
export function terminalStrings(strings: UiStrings): TerminalStrings {
  const s = (key: string, values?: Record<string, string | number>) => format(strings[`lab.terminal.${key}`] ?? `lab.terminal.${key}`, values);
  const failures: FailureKind[] = ['unreachable', 'lost', 'replaced', 'session-gone', 'capacity', 'engine-unavailable', 'sandbox-failed', 'load-failed', 'incompatible', 'internal'];
  // `workshop-ended` says what the session's end for that reason says.
  const failure = Object.fromEntries([...failures.map((kind) => [kind, s(`failure.${kind}`)]), ['workshop-ended', s('ended.workshop-ended')]]) as Record<FailureKind, string>;
  return {
    title: s('title'),
    mainTab: s('mainTab'),
    tabsLabel: s('tabsLabel'),
    collapse: s('collapse'),
    expand: s('expand'),
    resize: s('resize'),
    resetConfirm: s('resetConfirm'),
    start: s('start'),
    startHint: s('startHint'),
    screenLabel: s('screenLabel'),
    keysHint: s('keysHint'),
    tabLeaves: s('tabLeaves'),
    tabTypes: s('tabTypes'),
    screenReader: s('screenReader'),
    screenReaderTitle: s('screenReaderTitle'),
    reset: s('reset'),
    resetTitle: s('resetTitle'),
    newSandbox: s('newSandbox'),
    retry: s('retry'),
    useHere: s('useHere'),
    state: {
      idle: s('state.idle'),
      offline: s('state.offline'),
      loading: s('state.loading'),
      connecting: s('state.connecting'),
      preparing: (stage) => s(`state.preparing.${stage}`),
      live: (provider) => s(provider === 'host' ? 'state.liveHost' : 'state.live'),
      reconnecting: (seconds) => (seconds > 0 ? s('state.reconnecting', { seconds }) : s('state.reconnectingNow')),
      resetting: s('state.resetting'),
      ended: s('state.ended'),
      error: s('state.error'),
    },
    ended: (reason, exitCode) => {
      if (reason !== 'exit') return s(`ended.${reason}`);
      return exitCode === null || exitCode === 0 ? s('ended.exit') : s('ended.exitStatus', { code: exitCode });
    },
    failure,
    offline: s('offline'),
    note: {
      trimmed: s('note.trimmed'),
      sessionGone: s('note.sessionGone'),
      reset: s('note.reset'),
      inputDropped: s('note.inputDropped'),
      shellExited: s('note.shellExited'),
    },
  };
}
