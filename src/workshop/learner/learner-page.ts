/**
 * Workshop mode on a learner's page, a chunk of its own: the lab terminal (src/terminal/
 * lab-terminal.ts) loads it when the runner first says this is a workshop (a `learner` or `queued`
 * message, or the workshop's end), so a reader outside a workshop never downloads it.
 *
 * It shows the learner's progress in the sidebar ("3/7 ✓" beside each page with blocks), marks this
 * page's blocks that passed in an earlier sandbox, offers "Resume where I was" in a new sandbox,
 * words the room's queue in the dock, shows the facilitator's broadcasts and the workshop's end in
 * a banner above the content, and reports each block's outcome and where the learner reads.
 *
 * For tests: sidebar links get `[data-lab-progress]` with `data-passed` and `data-total`; the
 * banner is `[data-lab-workshop-banner]` holding `.lab-broadcast[data-broadcast-id]` (or
 * `[data-workshop-ended]`) with `[data-action="dismiss"]`; the resume offer is
 * `lab-terminal [data-part="resume"]` with `[data-action="resume"]`; the dock's `data-state` is
 * `queued` while waiting, its notice holding the place in the queue.
 */
import { DisposableStore, MutableDisposable, toDisposable, type Disposable } from '../../common/lifecycle.ts';
import type { BroadcastMessage, ConnectionState, LearnerMessage, LearnerReport } from '../../terminal/connection.ts';
import { listen, timeout } from '../../terminal/dom-lifecycle.ts';
import { readLearner } from '../../terminal/lab-storage.ts';
import { readLocal, writeLocal } from './learner-storage.ts';
import type { UiStrings } from '../../terminal/strings.ts';
import { reportedOutcome, type BlockEnd } from './outcome.ts';
import { linkSlug, sectionText } from './locations.ts';
import { LearnerProgress, type PageIndex } from './progress.ts';
import { LearnerStrings, type QueuePlace } from './strings.ts';

/** What the lab terminal hands this chunk. */
export interface LearnerDock {
  /** The `<lab-terminal>` element. */
  root: HTMLElement;
  /** The page's lab strings (`lab.workshop.*` among them). */
  strings: UiStrings;
  /** Sends on the main terminal's socket; false when no session is live to take it. */
  report(message: LearnerReport): boolean;
  state(): ConnectionState;
}

/** Outcomes that happened while the socket was down, sent after the next welcome; the oldest go first beyond this. */
const MAX_PENDING_OUTCOMES = 64;
/** `location` at most this often. */
const LOCATION_EVERY_MS = 1_000;
/** A heading counts as the one the learner reads once its top is this close to the top of the view (under Starlight's header). */
const READING_LINE_PX = 120;
/** Dismissed broadcasts remembered per learner, newest kept. */
const MAX_DISMISSED = 100;
const DISMISSED_KEY_PREFIX = 'docker-network-lab:dismissed-broadcasts:';

interface PageData {
  /** This page, without its locale. */
  page: string;
  /** The block index of this locale: each page's slug and block ids, in the sidebar's order. */
  pages: PageIndex;
}

function readPageData(): PageData {
  try {
    const raw = JSON.parse(document.querySelector('script[data-lab-workshop]')?.textContent ?? 'null') as { page?: unknown; pages?: unknown } | null;
    const pages = Array.isArray(raw?.pages) ? (raw.pages as unknown[]).filter((p): p is string[] => Array.isArray(p) && p.every((v) => typeof v === 'string')) : [];
    return { page: typeof raw?.page === 'string' ? raw.page : '', pages: pages.map(([slug = '', ...blocks]) => ({ slug, blocks })) };
  } catch {
    return { page: '', pages: [] }; // not written by this site's build: no progress to show
  }
}

function parseStrings(json: string | undefined | null): UiStrings {
  try {
    return JSON.parse(json ?? '{}') as UiStrings;
  } catch {
    return {}; // not written by this site's build: keys show as themselves
  }
}

export class LearnerPage implements Disposable {
  readonly #dock: LearnerDock;
  readonly #t: LearnerStrings;
  readonly #data = readPageData();
  readonly #progress = new LearnerProgress();
  readonly #pending: LearnerReport[] = [];
  readonly #store = new DisposableStore();
  readonly #locationTimer = this.#store.add(new MutableDisposable());
  /** While queued: blocks that start running are told why they wait. */
  readonly #queueWatch = this.#store.add(new MutableDisposable());
  /** The section last sent (undefined: nothing sent since the last welcome) and when. */
  #sentSection: string | null | undefined = undefined;
  #sentAt = 0;
  #live = false;
  #ended = false;
  /** This page's blocks, in page order. */
  readonly #blocks: string[];
  /** The blocks' controls' words (`lab.blocks.*`), as the page carries them. */
  readonly #blockStrings: UiStrings;

  constructor(dock: LearnerDock) {
    this.#dock = dock;
    this.#t = new LearnerStrings(dock.strings, document.documentElement.lang);
    this.#blockStrings = parseStrings(document.querySelector('script[data-lab-block-strings]')?.textContent);
    this.#blocks = [...document.querySelectorAll<HTMLElement>('[data-lab-controls][data-block-id]')].map((row) => row.dataset.blockId ?? '');
    this.#store.add(listen(window, 'scroll', () => this.#scheduleLocation(), { passive: true }));
    this.#store.add(listen(window, 'resize', () => this.#scheduleLocation(), { passive: true }));
    this.#store.add(toDisposable(() => this.#resumeBox()?.remove()));
    // A new sandbox sets every block back to "not run" (block-controls.ts): say again which passed before.
    this.#store.add(listen(dock.root, 'lab-session', () => this.#markEarlier()));
  }

  /** After each welcome: who the learner is and what they did, in this sandbox and before. */
  learner(message: LearnerMessage, resumed: boolean): void {
    if (this.#ended) return;
    this.#live = true;
    // What this page ran while the runner's record was on its way counts too.
    const local = this.#pending.filter((m): m is Extract<LearnerReport, { type: 'outcome' }> => m.type === 'outcome');
    this.#progress.reset(message.outcomes);
    for (const outcome of local) this.#progress.record({ page: outcome.page, block: outcome.block, outcome: outcome.outcome, at: Date.now() });
    this.#flush();
    this.#showProgress();
    this.#showBroadcast(message.broadcasts.filter((b) => !this.#dismissed().includes(b.id)).at(-1) ?? null);
    if (!resumed) this.#offerResume();
    this.#sentSection = undefined;
    this.#reportLocation();
  }

  broadcast(message: BroadcastMessage): void {
    if (!this.#ended) this.#showBroadcast(message);
  }

  /** Every state of the main terminal's connection, once this chunk is there. */
  state(state: ConnectionState): void {
    if (state.kind !== 'live') this.#live = false;
    if (state.kind === 'queued') return this.#showQueued(state);
    this.#queueWatch.clear();
    if ((state.kind === 'ended' && state.reason === 'workshop-ended') || (state.kind === 'failed' && state.failure === 'workshop-ended')) this.#showEnded();
  }

  /** A block of this page ended: report it (now, or after the next welcome) and count it at once. */
  blockEnded(end: BlockEnd): void {
    const page = this.#data.page;
    if (!page || this.#ended) return;
    const { outcome, exitCode } = reportedOutcome(end);
    this.#resumeBox()?.remove();
    this.#progress.record({ page, block: end.block, outcome, at: Date.now() });
    this.#showProgress();
    const message: LearnerReport = { type: 'outcome', page, block: end.block, outcome, exitCode };
    if (!this.#pending.length && this.#dock.report(message)) return;
    this.#pending.push(message);
    if (this.#pending.length > MAX_PENDING_OUTCOMES) this.#pending.shift();
  }

  dispose(): void {
    this.#store.dispose();
  }

  #flush(): void {
    while (this.#pending.length) {
      const next = this.#pending[0];
      if (!next || !this.#dock.report(next)) return;
      this.#pending.shift();
    }
  }

  // ---- progress ----------------------------------------------------------------------------

  #showProgress(): void {
    const counts = this.#progress.count(this.#data.pages);
    for (const link of document.querySelectorAll<HTMLAnchorElement>('#starlight__sidebar a[href]')) {
      const count = counts.get(linkSlug(new URL(link.href, location.href).pathname));
      if (!count) continue;
      let badge = link.querySelector<HTMLElement>('[data-lab-progress]');
      if (!badge) {
        badge = document.createElement('span');
        badge.className = 'lab-sidebar-progress';
        badge.dataset.labProgress = '';
        const shown = document.createElement('span');
        shown.setAttribute('aria-hidden', 'true');
        const said = document.createElement('span');
        said.className = 'sr-only';
        badge.append(shown, said);
        link.append(badge);
      }
      const { shown, said } = this.#t.count(count.passed, count.total);
      badge.dataset.passed = String(count.passed);
      badge.dataset.total = String(count.total);
      badge.toggleAttribute('data-complete', count.total > 0 && count.passed === count.total);
      (badge.firstElementChild as HTMLElement).textContent = shown;
      (badge.lastElementChild as HTMLElement).textContent = ` (${said})`;
    }
    this.#markEarlier();
  }

  /**
   * A block that has not run in this sandbox (idle) but passed before says so: "Passed earlier"
   * (`data-earlier`). Its status text is block-controls.ts's; this only words an idle one.
   */
  #markEarlier(): void {
    const earlier = new Set(this.#progress.passed(this.#data.page, this.#blocks));
    const idle = this.#blockStrings['lab.blocks.status.idle'] ?? '';
    for (const row of document.querySelectorAll<HTMLElement>('[data-lab-controls][data-block-id]')) {
      const text = row.querySelector<HTMLElement>('[data-part="block-status"]');
      const was = row.hasAttribute('data-earlier');
      const now = row.dataset.status === 'idle' && earlier.has(row.dataset.blockId ?? '');
      row.toggleAttribute('data-earlier', now);
      if (text && now) text.textContent = this.#t.get('earlier');
      else if (text && was && row.dataset.status === 'idle') text.textContent = idle;
    }
  }

  /**
   * "Resume where I was": the page's own catch-up, up to and including the last block that passed.
   * That is "Run all above" on the block after it, or on it and then its Run when it is the last.
   */
  #resume(through: string): void {
    const at = this.#blocks.indexOf(through);
    const button = (id: string | undefined, action: string) => document.querySelector<HTMLButtonElement>(`[data-lab-controls][data-block-id="${CSS.escape(id ?? '')}"] [data-action="${action}"]`);
    const next = this.#blocks[at + 1];
    if (next) return button(next, 'run-above')?.click();
    button(through, 'run-above')?.click();
    button(through, 'run')?.click();
  }

  /** A new sandbox on a page where the learner passed blocks before: offer to run up to the last of them. */
  #offerResume(): void {
    this.#resumeBox()?.remove();
    const through = this.#progress.lastPassed(this.#data.page, this.#blocks);
    if (!through) return;
    const passed = this.#progress.passed(this.#data.page, this.#blocks).length;
    const box = document.createElement('div');
    box.className = 'lab-resume';
    box.dataset.part = 'resume';
    box.setAttribute('role', 'status');
    const text = document.createElement('p');
    text.textContent = this.#t.get('resume.text', { n: passed });
    const resume = document.createElement('button');
    resume.type = 'button';
    resume.dataset.action = 'resume';
    resume.textContent = this.#t.get('resume.action');
    resume.title = this.#t.get('resume.title');
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'lab-resume-close';
    close.dataset.action = 'resume-close';
    close.textContent = this.#t.get('resume.close');
    resume.addEventListener('click', () => {
      box.remove();
      this.#resume(through);
    });
    close.addEventListener('click', () => box.remove());
    // A press keeps focus where it was (as the dock's Network button does): the terminal's keys
    // hint, shown while it has focus, would vanish mid-click, move the box, and lose the click.
    box.addEventListener('mousedown', (event) => {
      if ((event.target as Element | null)?.closest('button')) event.preventDefault();
    });
    box.append(text, resume, close);
    const bar = this.#dock.root.querySelector('.bar');
    if (bar) bar.after(box);
    else this.#dock.root.prepend(box);
  }

  #resumeBox(): HTMLElement | null {
    return this.#dock.root.querySelector<HTMLElement>('[data-part="resume"]');
  }

  // ---- where the learner reads ------------------------------------------------------------

  /** The text of the heading under the top of the view (the last one scrolled past), null above the first. */
  #section(): string | null {
    let current: Element | null = null;
    for (const heading of document.querySelectorAll('.sl-markdown-content :is(h2, h3)')) {
      if (heading.getBoundingClientRect().top > READING_LINE_PX) break;
      current = heading;
    }
    return sectionText(current?.textContent);
  }

  #scheduleLocation(): void {
    if (!this.#live || this.#locationTimer.value) return;
    const wait = Math.max(200, this.#sentAt + LOCATION_EVERY_MS - Date.now());
    this.#locationTimer.value = timeout(wait, () => {
      this.#locationTimer.clear();
      this.#reportLocation();
    });
  }

  #reportLocation(): void {
    const page = this.#data.page;
    if (!page || !this.#live) return;
    const section = this.#section();
    if (section === this.#sentSection) return;
    if (this.#dock.report({ type: 'location', page, section })) {
      this.#sentSection = section;
      this.#sentAt = Date.now();
    }
  }

  // ---- the queue and the end ------------------------------------------------------------------

  #showQueued(place: QueuePlace): void {
    const root = this.#dock.root;
    const full = this.#t.queue(place);
    const part = (name: string) => root.querySelector<HTMLElement>(`[data-part="${name}"]`);
    const status = part('status');
    if (status) status.textContent = full;
    const short = part('status-short');
    if (short) short.textContent = this.#t.queueShort(place);
    const notice = part('notice');
    const noticeText = part('notice-text');
    const action = part('notice-action');
    if (noticeText) noticeText.textContent = full;
    if (action) action.hidden = true;
    if (notice) notice.hidden = false;
    // Run waits for a sandbox: each block says why (its recorded output stays there to read),
    // also one run while waiting (block-controls.ts words its status; this follows it).
    const why = this.#t.queueBlock(place);
    const sayWhy = () => {
      for (const row of document.querySelectorAll<HTMLElement>('[data-lab-controls]')) {
        const run = row.querySelector<HTMLButtonElement>('[data-action="run"]');
        if (run) run.title = why;
        const text = row.querySelector<HTMLElement>('[data-part="block-status"]');
        if (row.dataset.status === 'running' && text && text.textContent !== why) text.textContent = why;
      }
    };
    sayWhy();
    const observer = new MutationObserver(sayWhy);
    observer.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-status'] });
    this.#queueWatch.value = toDisposable(() => observer.disconnect());
  }

  #showEnded(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#live = false;
    this.#locationTimer.clear();
    this.#resumeBox()?.remove();
    const said = this.#t.get('ended');
    for (const button of document.querySelectorAll<HTMLButtonElement>('[data-lab-controls] :is([data-action="run"], [data-action="run-above"])')) {
      button.disabled = true;
      button.title = said;
    }
    const banner = this.#banner();
    if (!banner) return;
    const box = document.createElement('div');
    box.className = 'lab-broadcast';
    box.dataset.workshopEnded = '';
    const text = document.createElement('p');
    text.textContent = said;
    box.append(text);
    banner.replaceChildren(box);
  }

  // ---- broadcasts --------------------------------------------------------------------------

  #banner(): HTMLElement | null {
    return document.querySelector<HTMLElement>('[data-lab-workshop-banner]');
  }

  #dismissedKey(): string {
    return DISMISSED_KEY_PREFIX + (readLearner()?.id ?? '');
  }

  #dismissed(): number[] {
    try {
      const ids = JSON.parse(readLocal(this.#dismissedKey()) ?? '[]') as unknown;
      return Array.isArray(ids) ? ids.filter((id): id is number => typeof id === 'number') : [];
    } catch {
      return []; // not written by this page: nothing dismissed
    }
  }

  #dismiss(id: number): void {
    writeLocal(this.#dismissedKey(), JSON.stringify([...this.#dismissed().filter((known) => known !== id), id].slice(-MAX_DISMISSED)));
  }

  #showBroadcast(broadcast: { id: number; text: string; at: number } | null): void {
    const banner = this.#banner();
    if (!banner || !broadcast || this.#dismissed().includes(broadcast.id)) return;
    if (banner.querySelector(`[data-broadcast-id="${broadcast.id}"]`)) return;
    const box = document.createElement('div');
    box.className = 'lab-broadcast';
    box.dataset.broadcastId = String(broadcast.id);
    const head = document.createElement('p');
    head.className = 'lab-broadcast-head';
    const label = document.createElement('strong');
    label.textContent = this.#t.get('broadcast.label');
    const time = document.createElement('time');
    const at = new Date(broadcast.at);
    time.dateTime = at.toISOString();
    time.textContent = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { hour: '2-digit', minute: '2-digit' }).format(at);
    head.append(label, ' ', time);
    const text = document.createElement('p');
    text.className = 'lab-broadcast-text';
    text.textContent = broadcast.text; // the facilitator's words are text, never markup
    const dismiss = document.createElement('button');
    dismiss.type = 'button';
    dismiss.dataset.action = 'dismiss';
    dismiss.textContent = this.#t.get('broadcast.dismiss');
    dismiss.addEventListener('click', () => {
      this.#dismiss(broadcast.id);
      box.remove();
    });
    box.append(head, text, dismiss);
    banner.replaceChildren(box);
  }
}

export function mountLearner(dock: LearnerDock): LearnerPage {
  return new LearnerPage(dock);
}
