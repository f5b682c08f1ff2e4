/**
 * `<workshop-board>`: the facilitator's board (Board.astro renders its frame). It keeps the
 * facilitator token, holds the board socket, and on each `board` message updates the table in
 * place: a row per learner, made once and then only its cells' text changed, so the focused button
 * and the scroll position stay where they are. Idle times and the time left tick each second from
 * the runner's clock. A learner's terminal opens in the mirror panel (mirror.ts, with xterm, a
 * chunk loaded on first use). Names and messages are set as text, never as markup.
 */
import { DisposableStore, MutableDisposable, toDisposable } from '../../common/lifecycle.ts';
import { interval, listen } from '../../terminal/dom-lifecycle.ts';
import { MAIN_TERMINAL } from '../../protocol/handshake.ts';
import { MAX_BROADCAST_CHARS, type BoardLearner, type BoardMessage, type FacilitatorServerMessage } from '../../protocol/workshop.ts';
import type { UiStrings } from '../../terminal/strings.ts';
import { BoardIndex, countsText, headerCounts, idleText, memoryText, pageLines, progressOf, stuckText, whereOf, type BoardPage } from './board-model.ts';
import { BoardSocket, facilitatorEndpoints, type BoardConnectionState } from './board-socket.ts';
import { boardStrings, type BoardStrings } from './board-strings.ts';
import { captureFacilitatorToken, currentFacilitatorToken, writeFacilitatorToken } from './facilitator-token.ts';
import type { Mirror, MirrorState } from './mirror.ts';

/** The cells of one learner's row, kept to update their text in place. */
interface Row {
  tr: HTMLTableRowElement;
  name: HTMLElement;
  page: HTMLElement;
  section: HTMLElement;
  summary: HTMLElement;
  pages: HTMLUListElement;
  activityTime: HTMLElement;
  idle: HTMLElement;
  sandbox: HTMLElement;
  memory: HTMLElement;
  stuck: HTMLElement;
  watch: HTMLButtonElement;
  lastActivity: number | null;
}

interface OpenMirror {
  learner: string;
  terminal: string;
  mirror: Mirror | null;
  host: HTMLElement | null;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  return element;
}

/** Sets text only when it changed: an unchanged cell is not touched (no layout, no screen reader chatter). */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

export class WorkshopBoardElement extends HTMLElement {
  readonly #store = new DisposableStore();
  readonly #socket = this.#store.add(new MutableDisposable<BoardSocket>());
  readonly #mirrorStore = this.#store.add(new MutableDisposable());
  #strings!: BoardStrings;
  #index!: BoardIndex;
  #time!: Intl.DateTimeFormat;
  #clock!: Intl.DateTimeFormat;
  #endpoints!: { ws: string; export: string };
  #board: BoardMessage | null = null;
  /** The runner's clock minus this page's, from the last board: idle times count from the runner's `now`. */
  #clockOffset = 0;
  readonly #rows = new Map<string, Row>();
  #mirror: OpenMirror | null = null;
  #confirmAction: (() => void) | null = null;
  #confirmOpener: HTMLElement | null = null;
  #broadcastCount = -1;

  connectedCallback(): void {
    if (this.#strings) return;
    captureFacilitatorToken(location, history);
    const strings = JSON.parse(this.querySelector('script[data-board-strings]')?.textContent ?? '{}') as UiStrings;
    const pages = JSON.parse(this.querySelector('script[data-board-pages]')?.textContent ?? '[]') as BoardPage[];
    this.#strings = boardStrings(strings);
    this.#index = new BoardIndex(pages);
    const lang = this.dataset.lang ?? document.documentElement.lang;
    this.#time = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' });
    this.#clock = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    this.#endpoints = facilitatorEndpoints(this.dataset.runner ?? '', location);
    this.#wire();
    this.#connect();
  }

  disconnectedCallback(): void {
    this.#store.dispose();
  }

  /** The mirrored terminal's text ('' when none is open), for tests. */
  mirrorText(): string {
    return this.#mirror?.mirror?.text() ?? '';
  }

  #part<T extends HTMLElement = HTMLElement>(name: string): T {
    const part = this.querySelector<T>(`[data-part="${name}"]`);
    if (!part) throw new Error(`the board has no ${name}`);
    return part;
  }

  #action<T extends HTMLElement = HTMLButtonElement>(name: string): T {
    const action = this.querySelector<T>(`[data-action="${name}"]`);
    if (!action) throw new Error(`the board has no ${name} button`);
    return action;
  }

  #connect(): void {
    const token = currentFacilitatorToken();
    this.#part('no-token').hidden = token !== null;
    if (token === null) {
      this.dataset.state = 'no-token';
      setText(this.#part('connection'), '');
      return;
    }
    const socket = new BoardSocket({
      ...this.#endpoints,
      token: currentFacilitatorToken,
      onState: (state) => this.#connectionChanged(state),
      onMessage: (message) => this.#message(message),
    });
    this.#socket.value = socket;
    socket.connect();
  }

  #wire(): void {
    const s = this.#strings.s;
    this.#store.add(interval(1000, () => this.#tick()));
    // A new facilitator link opened in another tab of this browser: use its token here too.
    this.#store.add(listen(window, 'storage', () => {
      if (this.dataset.state === 'refused' || this.dataset.state === 'no-token') this.#connect();
    }));
    this.#store.add(listen(window, 'hashchange', () => {
      captureFacilitatorToken(location, history);
      if (this.dataset.state === 'refused' || this.dataset.state === 'no-token') this.#connect();
    }));
    this.#store.add(listen(this.#part('rows'), 'click', (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>('[data-action="watch"]');
      const learner = button?.closest<HTMLElement>('tr')?.dataset.learner;
      if (learner) void this.#openMirror(learner, MAIN_TERMINAL);
    }));
    this.#store.add(listen(this.#action('mirror-close'), 'click', () => this.#closeMirror()));
    this.#store.add(listen(this.#part('mirror'), 'keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.#closeMirror();
      }
    }));
    this.#store.add(listen(this.#part('mirror-tabs'), 'click', (event) => {
      const terminal = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-terminal]')?.dataset.terminal;
      if (terminal && this.#mirror && terminal !== this.#mirror.terminal) void this.#openMirror(this.#mirror.learner, terminal);
    }));

    const text = this.#part<HTMLTextAreaElement>('broadcast-text');
    const count = () => setText(this.#part('broadcast-count'), s('broadcast.counter', { count: [...text.value].length, max: MAX_BROADCAST_CHARS }));
    this.#store.add(listen(text, 'input', count));
    this.#store.add(listen(this.#part<HTMLFormElement>('broadcast-form'), 'submit', (event) => {
      event.preventDefault();
      const message = text.value.trim();
      if (!message) return;
      if (!this.#send({ type: 'broadcast', text: message })) return;
      text.value = '';
      count();
      this.#say(s('broadcast.done'));
    }));

    this.#store.add(listen(this.#action('export'), 'click', () => void this.#export()));
    this.#store.add(listen(this.#action('end'), 'click', (event) => this.#confirm(event, 'end.confirmTitle', 'end.confirmText', 'end.confirm', () => this.#send({ type: 'end-workshop' }))));
    this.#store.add(listen(this.#action('rotate-join'), 'click', (event) => this.#confirm(event, 'rotate.joinTitle', 'rotate.joinConfirm', 'rotate.confirm', () => this.#send({ type: 'rotate-token', which: 'join' }))));
    this.#store.add(listen(this.#action('rotate-facilitator'), 'click', (event) => this.#confirm(event, 'rotate.facilitatorTitle', 'rotate.facilitatorConfirm', 'rotate.confirm', () => this.#send({ type: 'rotate-token', which: 'facilitator' }))));
    this.#store.add(listen(this.#action('copy'), 'click', () => void this.#copy()));
    const dialog = this.#part<HTMLDialogElement>('confirm');
    this.#store.add(listen(dialog, 'close', () => {
      const action = dialog.returnValue === 'confirm' ? this.#confirmAction : null;
      this.#confirmAction = null;
      this.#confirmOpener?.focus();
      this.#confirmOpener = null;
      action?.();
    }));
  }

  #send(message: Parameters<BoardSocket['send']>[0]): boolean {
    const sent = this.#socket.value?.send(message) ?? false;
    if (!sent) this.#say(this.#strings.s('notConnected'));
    return sent;
  }

  /** A short result of the facilitator's last action, in the polite status line under the buttons. */
  #say(text: string): void {
    setText(this.#part('action-status'), text);
  }

  #confirm(event: Event, title: string, text: string, ok: string, action: () => void): void {
    const s = this.#strings.s;
    const dialog = this.#part<HTMLDialogElement>('confirm');
    setText(this.#part('confirm-title'), s(title));
    setText(this.#part('confirm-text'), s(text));
    setText(this.#part('confirm-ok'), s(ok));
    this.#confirmAction = action;
    this.#confirmOpener = event.currentTarget as HTMLElement;
    dialog.returnValue = '';
    dialog.showModal();
  }

  #connectionChanged(state: BoardConnectionState): void {
    const s = this.#strings.s;
    this.dataset.state = state.kind;
    const connection = this.#part('connection');
    switch (state.kind) {
      case 'connecting':
        return setText(connection, s('state.connecting'));
      case 'live':
        return setText(connection, s('state.live'));
      case 'reconnecting':
        return setText(connection, s('state.reconnecting', { seconds: Math.ceil(state.delayMs / 1000) }));
      case 'refused':
        return setText(connection, s('state.refused', { status: state.status }));
    }
  }

  #message(message: FacilitatorServerMessage): void {
    const s = this.#strings.s;
    switch (message.type) {
      case 'board':
        return this.#render(message);
      case 'tokens': {
        const facilitator = message.which === 'facilitator';
        if (facilitator) writeFacilitatorToken(message.token);
        const link = `${location.origin}${facilitator ? this.dataset.boardLink : this.dataset.joinLink}${message.token}`;
        this.#part('new-link').hidden = false;
        setText(this.#part('new-link-label'), s(facilitator ? 'rotate.facilitatorLink' : 'rotate.joinLink'));
        this.#part<HTMLInputElement>('new-link-value').value = link;
        return;
      }
      case 'error':
        return this.#say(s('error', { message: message.message }));
      default:
        return; // mirror messages come on mirror sockets
    }
  }

  #now(): number {
    return Date.now() + this.#clockOffset;
  }

  #render(board: BoardMessage): void {
    const s = this.#strings.s;
    // Said once, when this board sees the end happen (not on opening a board of an ended workshop).
    const endsNow = this.#board !== null && this.#board.workshop.endedAt === null && board.workshop.endedAt !== null;
    this.#board = board;
    this.#clockOffset = board.now - Date.now();
    this.#part('room').hidden = false;
    setText(this.#part('workshop-name'), board.workshop.name);
    const ended = board.workshop.endedAt !== null;
    this.toggleAttribute('data-ended', ended);
    this.#part('ended').hidden = !ended;
    this.#part('time').hidden = ended;
    if (board.workshop.endedAt !== null) setText(this.#part('ended-text'), s('ended', { time: this.#time.format(board.workshop.endedAt) }));
    if (endsNow) this.#say(s('end.done'));
    for (const name of ['end', 'rotate-join', 'broadcast'] as const) this.#action(name).disabled = ended;
    this.#part<HTMLTextAreaElement>('broadcast-text').disabled = ended;

    const counts = headerCounts(board);
    for (const [key, value] of Object.entries(counts)) setText(this.#part(`counts`).querySelector<HTMLElement>(`[data-count="${key}"]`)!, String(value));
    this.#part('counts').querySelector<HTMLElement>('[data-count-box="stuck"]')!.toggleAttribute('data-nonzero', counts.stuck > 0);

    const body = this.#part('rows');
    const seen = new Set<string>();
    for (const learner of board.learners) {
      seen.add(learner.id);
      let row = this.#rows.get(learner.id);
      if (!row) {
        row = this.#makeRow(learner.id);
        this.#rows.set(learner.id, row);
        body.append(row.tr);
      }
      this.#fill(row, learner);
    }
    for (const [id, row] of this.#rows) {
      if (seen.has(id)) continue;
      row.tr.remove();
      this.#rows.delete(id);
    }
    this.#part('empty').hidden = board.learners.length > 0;

    const names = new Map(board.learners.map((l) => [l.id, l.name]));
    const queue = this.#part<HTMLOListElement>('queue');
    queue.replaceChildren(...board.queue.map((entry, i) => {
      const li = el('li');
      li.dataset.learner = entry.learner;
      li.textContent = s('queue.item', { position: i + 1, name: names.get(entry.learner) ?? entry.learner, reason: this.#strings.queueReason(entry.reason), time: this.#time.format(entry.since) });
      return li;
    }));
    this.#part('queue-empty').hidden = board.queue.length > 0;

    if (board.broadcasts.length !== this.#broadcastCount) {
      this.#broadcastCount = board.broadcasts.length;
      this.#part('broadcasts').replaceChildren(...[...board.broadcasts].reverse().map((b) => {
        const li = el('li');
        const time = el('time', 'board-time');
        time.dateTime = new Date(b.at).toISOString();
        time.textContent = this.#time.format(b.at);
        const text = el('span');
        text.textContent = b.text;
        li.append(time, text);
        return li;
      }));
      this.#part('broadcasts-empty').hidden = board.broadcasts.length > 0;
    }

    if (this.#mirror) this.#mirrorTabs();
    this.#tick();
  }

  #makeRow(id: string): Row {
    const tr = el('tr');
    tr.dataset.learner = id;
    const cell = (name: string) => {
      const td = el(name === 'name' ? 'th' : 'td');
      if (name === 'name') td.setAttribute('scope', 'row');
      td.dataset.cell = name;
      tr.append(td);
      return td;
    };
    const name = cell('name');
    const where = cell('where');
    const page = el('span');
    const section = el('span', 'board-sub');
    where.append(page, section);
    const progress = cell('progress');
    const summary = el('span');
    const pages = el('ul', 'board-pages');
    progress.append(summary, pages);
    const activity = cell('activity');
    const activityTime = el('span');
    const idle = el('span', 'board-sub');
    activity.append(activityTime, idle);
    const sandboxCell = cell('sandbox');
    const sandbox = el('span');
    const memory = el('span', 'board-sub');
    sandboxCell.append(sandbox, memory);
    const stuck = el('span');
    cell('stuck').append(stuck);
    const watch = el('button');
    watch.type = 'button';
    watch.dataset.action = 'watch';
    watch.textContent = this.#strings.s('watch');
    cell('actions').append(watch);
    return { tr, name, page, section, summary, pages, activityTime, idle, sandbox, memory, stuck, watch, lastActivity: null };
  }

  #fill(row: Row, learner: BoardLearner): void {
    const s = this.#strings.s;
    setText(row.name, learner.name);
    const where = whereOf(learner, this.#index, this.#strings);
    setText(row.page, where.page);
    setText(row.section, where.section ?? '');
    const progress = progressOf(learner, this.#index);
    setText(row.summary, countsText(progress.total, this.#strings));
    const lines = pageLines(progress, this.#strings);
    if ([...row.pages.children].map((li) => li.textContent).join('\n') !== lines.join('\n')) {
      row.pages.replaceChildren(...lines.map((line) => Object.assign(el('li'), { textContent: line })));
    }
    row.lastActivity = learner.lastActivity;
    setText(row.activityTime, learner.lastActivity === null ? '' : this.#clock.format(learner.lastActivity));
    setText(row.sandbox, this.#strings.sandbox(learner.sandbox));
    setText(row.memory, memoryText(learner.memoryBytes, this.#strings) ?? '');
    row.tr.toggleAttribute('data-stuck', learner.stuck !== null);
    row.stuck.className = learner.stuck ? 'board-stuck' : '';
    setText(row.stuck, learner.stuck ? `${s('stuck.flag')}: ${stuckText(learner.stuck, this.#index, this.#strings)}` : s('stuck.none'));
    const label = s('watchLabel', { name: learner.name });
    if (row.watch.getAttribute('aria-label') !== label) row.watch.setAttribute('aria-label', label);
    row.watch.disabled = learner.terminals.length === 0;
  }

  /** Each second: idle times and the time left, from the runner's clock. */
  #tick(): void {
    const board = this.#board;
    if (!board) return;
    const now = this.#now();
    for (const row of this.#rows.values()) setText(row.idle, idleText(row.lastActivity, now, this.#strings));
    if (board.workshop.endedAt === null) {
      const s = this.#strings.s;
      setText(this.#part('time'), `${s('endsAt', { time: this.#time.format(board.workshop.endsAt) })} · ${s('timeLeft', { duration: this.#strings.duration(board.workshop.endsAt - now) })}`);
    }
  }

  // ---- the mirror --------------------------------------------------------------------------

  async #openMirror(learner: string, terminal: string): Promise<void> {
    const s = this.#strings.s;
    const token = currentFacilitatorToken();
    const who = this.#board?.learners.find((l) => l.id === learner);
    if (!token || !who) return;
    this.#mirrorStore.clear();
    const open: OpenMirror = { learner, terminal, mirror: null, host: null };
    this.#mirror = open;
    const panel = this.#part('mirror');
    panel.hidden = false;
    setText(this.#part('mirror-title'), s('mirror.title', { name: who.name }));
    this.#mirrorTabs();
    this.#mirrorState({ kind: 'connecting' });
    if (!panel.contains(document.activeElement)) this.#action('mirror-close').focus();
    const { Mirror } = await import('./mirror.ts');
    if (this.#mirror !== open) return; // closed or switched while the chunk loaded
    const host = el('div', 'xterm-host');
    host.style.height = '100%';
    this.#part('mirror-screen').append(host);
    open.host = host;
    open.mirror = new Mirror(host, {
      url: this.#endpoints.ws,
      token,
      learner,
      terminal,
      label: s('mirror.screenLabel', { name: who.name, terminal }),
      onState: (state) => {
        if (this.#mirror === open) this.#mirrorState(state);
      },
    });
    this.#mirrorStore.value = toDisposable(() => {
      open.mirror?.dispose();
      host.remove();
    });
  }

  #mirrorTabs(): void {
    const open = this.#mirror;
    const tabs = this.#part('mirror-tabs');
    const terminals = this.#board?.learners.find((l) => l.id === open?.learner)?.terminals ?? [];
    const names = terminals.includes(open?.terminal ?? '') ? terminals : [...terminals, open?.terminal ?? MAIN_TERMINAL];
    tabs.hidden = names.length < 2;
    const current = [...tabs.querySelectorAll<HTMLButtonElement>('button')];
    if (current.map((b) => b.dataset.terminal).join() !== names.join()) {
      tabs.replaceChildren(...names.map((name) => {
        const button = el('button');
        button.type = 'button';
        button.dataset.terminal = name;
        button.textContent = name;
        return button;
      }));
    }
    for (const button of tabs.querySelectorAll<HTMLButtonElement>('button')) button.setAttribute('aria-pressed', String(button.dataset.terminal === open?.terminal));
  }

  #mirrorState(state: MirrorState): void {
    const s = this.#strings.s;
    this.#part('mirror').dataset.mirrorState = state.kind;
    const status = this.#part('mirror-status');
    switch (state.kind) {
      case 'connecting':
        return setText(status, s('mirror.connecting'));
      case 'live':
        return setText(status, s('mirror.live'));
      case 'ended':
        return setText(status, s('mirror.ended', { reason: state.reason }));
      case 'not-found':
        return setText(status, s('mirror.notFound'));
      case 'failed':
        return setText(status, s('mirror.failed', { detail: state.detail }));
    }
  }

  #closeMirror(): void {
    const open = this.#mirror;
    if (!open) return;
    this.#mirror = null;
    this.#mirrorStore.clear();
    const panel = this.#part('mirror');
    panel.hidden = true;
    panel.dataset.mirrorState = 'closed';
    // Back to the row it was opened from.
    const watch = this.#rows.get(open.learner)?.watch;
    if (watch && !watch.disabled) watch.focus();
    else this.querySelector<HTMLElement>('.table-wrap')?.focus();
  }

  // ---- export and links -------------------------------------------------------------------

  async #export(): Promise<void> {
    const s = this.#strings.s;
    const token = currentFacilitatorToken();
    if (!token) return;
    let response: Response;
    try {
      response = await fetch(this.#endpoints.export, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
    } catch (error) {
      return this.#say(s('exportFailed', { detail: (error as Error).message }));
    }
    if (!response.ok) return this.#say(s('exportFailed', { detail: `HTTP ${response.status}` }));
    const blob = await response.blob();
    const name = (this.#board?.workshop.name ?? '').replace(/[^\p{L}\p{N}_-]+/gu, '-').replace(/^-+|-+$/g, '') || 'workshop';
    const file = `${name}-${new Date(this.#now()).toISOString().slice(0, 10)}.csv`;
    const url = URL.createObjectURL(blob);
    const a = el('a');
    a.href = url;
    a.download = file;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    // The download has taken the blob by the next task; the URL is not needed after it.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    this.#say(s('exportDone', { file }));
  }

  async #copy(): Promise<void> {
    const input = this.#part<HTMLInputElement>('new-link-value');
    try {
      await navigator.clipboard.writeText(input.value);
      this.#say(this.#strings.s('copied'));
    } catch {
      // No clipboard permission (an http page that is not localhost): select it for Ctrl+C.
      input.select();
    }
  }
}

customElements.define('workshop-board', WorkshopBoardElement);
