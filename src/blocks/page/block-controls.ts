/**
 * The runnable blocks' controls: a Run button (Stop while it runs), "Run all above" and a status
 * under every block the build marked runnable (`figure[data-lab-block]`, see
 * src/blocks/expressive-code-runnable.ts). Eager and small: it loads no terminal code until the
 * reader runs something; then `<lab-terminal>` loads xterm and this loads ./block-run.ts.
 *
 * Blocks run one at a time, in the order they were asked for. How each ended is remembered with
 * the page's session (PageMemory), so a reload shows it again and "Run all above" knows where to
 * start; a new session (a reset, an expired sandbox) clears it.
 *
 * For tests: each block's controls are `[data-lab-controls]` right after its code, with
 * `data-block-id` (the block's id), `data-status` = idle | queued | running | waiting | done |
 * expected-failure | failed | stopped, buttons `[data-action="run"]`, `[data-action="stop"]`,
 * `[data-action="run-above"]` and the status text `[data-part="block-status"]`. The catch-up
 * progress is `lab-terminal [data-part="progress"]` with `data-state` = running | done | failed |
 * stopped. The offline banner is `[data-lab-offline]`.
 *
 * Each block's end goes out as a `lab-block-end` event on the dock (workshop mode reports it).
 */
import { DisposableStore, MutableDisposable, toDisposable, type Disposable } from '../../common/lifecycle.ts';
import { interval, listen, timeout } from '../../terminal/dom-lifecycle.ts';
import type { RunnableBlockData } from '../runnable.ts';
import type { RememberedOutcome } from '../../terminal/lab-storage.ts';
// Defines <lab-terminal> (eager and small), whichever of the two scripts the page runs first.
import type { LabTerminalEventMap } from '../../terminal/lab-terminal.ts';
import type { LabTerminalElement } from '../../terminal/lab-terminal-element.ts';
import '../../terminal/lab-terminal-element.ts';
import type { BlockOutcome, RunPhase } from './block-run.ts';
import { format, type UiStrings } from '../../terminal/strings.ts';
import { blockStrings, type BlockStrings } from './strings.ts';
import { focusableWhileScrolling } from './scrollable-output.ts';

type Status = 'idle' | 'queued' | 'running' | 'waiting' | RememberedOutcome;

interface PageBlock {
  data: RunnableBlockData;
  /** Position among the page's runnable blocks. */
  index: number;
  row: HTMLElement;
  status: Status;
  run: HTMLButtonElement;
  stop: HTMLButtonElement;
  above: HTMLButtonElement | null;
  text: HTMLElement;
  /** For screen readers: how the last run ended and what it printed, said once (a polite live region). */
  result: HTMLElement;
}

interface Job {
  kind: 'one' | 'catch-up';
  /** The block to run, or the block whose "Run all above" was pressed. */
  block: PageBlock;
  abort: AbortController;
  /** The block running now. */
  current: PageBlock | null;
}

/** A running status gains its elapsed time after this long. */
const SHOW_ELAPSED_AFTER_S = 3;
/** A catch-up that went well (or had nothing to do) clears its message after this long. */
const PROGRESS_LINGER_MS = 6_000;

class BlockControls {
  readonly #dock: LabTerminalElement;
  readonly #t: BlockStrings;
  readonly #blocks: PageBlock[] = [];
  readonly #byRow = new Map<HTMLElement, PageBlock>();
  readonly #jobs: Job[] = [];
  #active: Job | null = null;
  /** The page's listeners and the controls' timers. The controls live as long as the page. */
  readonly #store = new DisposableStore();
  /** The block whose running time is shown, and the ticking that shows it. */
  #elapsed: { block: PageBlock; ticking: Disposable } | null = null;
  readonly #linger = this.#store.add(new MutableDisposable());
  /**
   * The row the reader last ran, kept above the dock while the dock changes size (it opens, its
   * bar wraps as its status changes, a progress line comes): until the reader scrolls or types.
   */
  #kept: HTMLElement | null = null;

  constructor(dock: LabTerminalElement, strings: BlockStrings, template: HTMLTemplateElement) {
    this.#dock = dock;
    this.#t = strings;
    const figures = document.querySelectorAll<HTMLElement>('figure[data-lab-block]');
    for (const figure of figures) {
      const data = parseBlock(figure.dataset.labBlock);
      if (data) this.#add(figure, data, template);
    }
    this.#restore();
    this.#store.add(listen(document, 'click', (event) => this.#clicked(event)));
    const onState = () => this.#showOffline();
    dock.addEventListener('lab-state', onState);
    this.#store.add(toDisposable(() => dock.removeEventListener('lab-state', onState)));
    const onSession = (event: LabTerminalEventMap['lab-session']) => {
      if (event.detail.fresh) this.#newSession();
    };
    dock.addEventListener('lab-session', onSession);
    this.#store.add(toDisposable(() => dock.removeEventListener('lab-session', onSession)));
    const stop = this.#part('progress-stop');
    if (stop) this.#store.add(listen(stop, 'click', () => this.#active?.abort.abort()));
    const close = this.#part('progress-close');
    if (close) this.#store.add(listen(close, 'click', () => this.#hideProgress()));
    const retry = document.querySelector<HTMLElement>('[data-lab-offline] [data-action="retry"]');
    if (retry) this.#store.add(listen(retry, 'click', () => dock.recheck()));
    this.#showOffline();
    const resized = new ResizeObserver(() => {
      if (this.#kept) keepAbove(this.#kept, dock, false);
    });
    resized.observe(dock);
    this.#store.add(toDisposable(() => resized.disconnect()));
    for (const kind of ['wheel', 'touchstart', 'keydown'] as const) {
      this.#store.add(listen(window, kind, () => (this.#kept = null), { passive: true }));
    }
  }


  #add(figure: HTMLElement, data: RunnableBlockData, template: HTMLTemplateElement): void {
    const row = (template.content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
    const index = this.#blocks.length;
    row.dataset.blockId = data.id;
    row.id = `lab-controls-${data.id}`;
    const run = row.querySelector<HTMLButtonElement>('[data-action="run"]') as HTMLButtonElement;
    const firstLine = data.command.split('\n')[0] ?? '';
    run.setAttribute('aria-label', format(this.#t.runLabel, { command: firstLine.length > 60 ? `${firstLine.slice(0, 60)}…` : firstLine }));
    let above = row.querySelector<HTMLButtonElement>('[data-action="run-above"]');
    if (index === 0) {
      above?.remove(); // nothing above the first block
      above = null;
    }
    const block: PageBlock = {
      data,
      index,
      row,
      status: 'idle',
      run,
      stop: row.querySelector<HTMLButtonElement>('[data-action="stop"]') as HTMLButtonElement,
      above,
      text: row.querySelector<HTMLElement>('[data-part="block-status"]') as HTMLElement,
      result: row.querySelector<HTMLElement>('[data-part="block-result"]') as HTMLElement,
    };
    // Right under the block's frame (a hidden block's <details>), above its recorded output.
    (figure.closest('details.lab-hidden-block') ?? figure).after(row);
    this.#blocks.push(block);
    this.#byRow.set(row, block);
    this.#show(block, 'idle');
  }

  #clicked(event: MouseEvent): void {
    const button = (event.target as Element | null)?.closest<HTMLButtonElement>('[data-lab-controls] button[data-action]');
    const row = button?.closest<HTMLElement>('[data-lab-controls]');
    const block = row ? this.#byRow.get(row) : undefined;
    if (!button || !block || button.disabled) return;
    switch (button.dataset.action) {
      case 'run':
        return this.#enqueue({ kind: 'one', block, abort: new AbortController(), current: null });
      case 'run-above':
        return this.#enqueue({ kind: 'catch-up', block, abort: new AbortController(), current: null });
      case 'stop':
        return this.#stop(block);
    }
  }

  #enqueue(job: Job): void {
    // The reader asked for the lab: open the dock now, keeping the block they clicked in sight.
    this.#dock.reveal();
    keepAbove(job.block.row, this.#dock);
    this.#kept = job.block.row;
    if (job.kind === 'one') {
      if (this.#busy(job.block)) return;
      this.#show(job.block, 'queued');
    }
    this.#jobs.push(job);
    void this.#pump();
  }

  /** Queued or running, alone or as part of a catch-up. */
  #busy(block: PageBlock): boolean {
    return block.status === 'queued' || block.status === 'running' || block.status === 'waiting';
  }

  /** Stop: the running block gets Ctrl-C; a queued one leaves the queue (and a catch-up stops). */
  #stop(block: PageBlock): void {
    const active = this.#active;
    if (active && (active.current === block || (active.kind === 'catch-up' && block.status === 'queued'))) return active.abort.abort();
    const at = this.#jobs.findIndex((job) => job.kind === 'one' && job.block === block);
    if (at >= 0) {
      this.#jobs.splice(at, 1);
      this.#show(block, this.#remembered(block));
    }
  }

  async #pump(): Promise<void> {
    if (this.#active) return;
    const job = this.#jobs.shift();
    if (!job) return;
    this.#active = job;
    try {
      if (job.kind === 'one') await this.#runOne(job, job.block);
      else await this.#catchUp(job);
    } finally {
      this.#active = null;
      void this.#pump();
    }
  }

  /** Runs one block and shows how it ended. */
  async #runOne(job: Job, block: PageBlock): Promise<BlockOutcome> {
    job.current = block;
    block.result.replaceChildren(); // nothing said while it runs: its status changes are not announced
    this.#show(block, 'running', this.#t.status.connecting);
    let outcome: BlockOutcome;
    let output: string | null = null;
    try {
      const [{ runBlock }, terminal] = await Promise.all([import('./block-run.ts'), this.#dock.terminal(block.data.terminal)]);
      outcome = job.abort.signal.aborted
        ? { kind: 'stopped' }
        : await runBlock(block.data, terminal, { signal: job.abort.signal, onPhase: (phase) => this.#phase(block, phase), onOutput: (text) => (output = text) });
    } catch {
      // The terminal's code could not be loaded; the dock says so, the block says it did not run.
      outcome = { kind: 'failed', reason: 'disconnected' };
    }
    job.current = null;
    this.#finish(block, outcome);
    this.#showResult(block, output);
    return outcome;
  }

  /**
   * The block's status and output as plain text, beside it, in its live region: said once when
   * it ended (not while it streamed), and there to read again with a screen reader's cursor.
   */
  #showResult(block: PageBlock, output: string | null): void {
    const command = block.data.command.split('\n')[0] ?? '';
    const said = document.createElement('p');
    said.textContent = format(this.#t.result, { command, status: block.text.textContent ?? '' });
    const parts: Node[] = [said];
    if (output !== null) {
      const label = document.createElement('p');
      label.textContent = output.trim() === '' ? this.#t.resultNoOutput : this.#t.resultOutput;
      parts.push(label);
      if (output.trim() !== '') {
        // Not a <pre>: in a visually hidden box, one would be a region that scrolls but takes no focus.
        const text = document.createElement('div');
        text.style.whiteSpace = 'pre-wrap';
        text.textContent = output;
        parts.push(text);
      }
    }
    block.result.replaceChildren(...parts);
  }

  /**
   * "Run all above": every block before the target that has not run well in this session, from
   * the first such block on, in page order; it stops at the first that fails.
   */
  async #catchUp(job: Job): Promise<void> {
    const todo = this.#blocks.slice(0, job.block.index).filter((block) => !succeeded(block.status) && !this.#busy(block));
    if (todo.length === 0) return this.#progress('done', this.#t.progress.nothing, 1, 1);
    // The progress line speaks for the catch-up; dozens of rows announcing each step would drown it.
    for (const block of todo) block.result.setAttribute('aria-live', 'off');
    try {
      await this.#runInOrder(job, todo);
    } finally {
      for (const block of todo) block.result.setAttribute('aria-live', 'polite');
    }
  }

  async #runInOrder(job: Job, todo: PageBlock[]): Promise<void> {
    for (const block of todo) this.#show(block, 'queued');
    let n = 0;
    for (const block of todo) {
      n += 1;
      this.#progress('running', this.#t.progress.running, n - 1, todo.length, { n: String(n), total: String(todo.length), command: block.data.command.split('\n')[0] ?? '' });
      // Stopped between two blocks: this one never ran, and keeps what it showed before.
      const outcome: BlockOutcome = job.abort.signal.aborted ? { kind: 'stopped' } : await this.#runOne(job, block);
      if (outcome.kind === 'failed' || outcome.kind === 'stopped') {
        for (const rest of todo.slice(block.status === 'queued' ? n - 1 : n)) this.#show(rest, this.#remembered(rest));
        const values = { n: String(n), total: String(todo.length), reason: this.#outcomeText(outcome).text };
        this.#progress(outcome.kind, outcome.kind === 'failed' ? this.#t.progress.failed : this.#t.progress.stopped, n - 1, todo.length, values, block);
        return;
      }
    }
    this.#progress('done', this.#t.progress.done, todo.length, todo.length, { total: String(todo.length) });
  }

  #phase(block: PageBlock, phase: RunPhase): void {
    const s = this.#t.status;
    const text = { connecting: s.connecting, busy: s.busy, running: s.running, waiting: s.waiting }[phase];
    this.#show(block, phase === 'waiting' ? 'waiting' : 'running', text);
  }

  #finish(block: PageBlock, outcome: BlockOutcome): void {
    const { text, title } = this.#outcomeText(outcome);
    const status: RememberedOutcome = outcome.kind;
    this.#show(block, status, text, title);
    this.#dock.memory.setBlock(block.data.id, status);
    this.#dock.dispatchEvent(new CustomEvent('lab-block-end', { detail: { block: block.data.id, outcome, expectedExit: block.data.exit } }));
  }

  #outcomeText(outcome: BlockOutcome): { text: string; title: string } {
    const s = this.#t.status;
    switch (outcome.kind) {
      case 'done':
        return { text: s.done, title: '' };
      case 'expected-failure':
        return { text: outcome.exitCode === null ? s.expectedFailure : format(s.expectedFailureCode, { code: String(outcome.exitCode) }), title: '' };
      case 'stopped':
        return { text: s.stopped, title: '' };
      case 'failed':
        switch (outcome.reason) {
          case 'exit': {
            if (outcome.exitCode === null) return { text: s.failedNoStatus, title: '' };
            if (outcome.expected === 'nonzero') return { text: s.failedSucceeded, title: '' };
            const code = String(outcome.exitCode);
            return { text: outcome.expected === 0 ? format(s.failedExit, { code }) : format(s.failedExitWanted, { code, wanted: String(outcome.expected) }), title: '' };
          }
          case 'no-match':
            return { text: s.failedNoMatch, title: format(s.expectTitle, { expect: outcome.expect }) };
          case 'timeout': {
            const template = { busy: s.timedOutBusy, run: s.timedOutRun, until: s.timedOutUntil }[outcome.phase];
            return { text: format(template, { seconds: String(outcome.seconds) }), title: '' };
          }
          case 'disconnected':
            return { text: s.disconnected, title: '' };
        }
    }
  }

  /** Shows a block's status: the row's state, its text, and Run or Stop. */
  #show(block: PageBlock, status: Status, text?: string, title = ''): void {
    const s = this.#t.status;
    block.status = status;
    const { row, run, stop } = block;
    row.dataset.status = status;
    const fallback: Record<Status, string> = {
      idle: s.idle,
      queued: s.queued,
      running: s.running,
      waiting: s.waiting,
      done: s.done,
      'expected-failure': s.expectedFailure,
      failed: s.failed,
      stopped: s.stopped,
    };
    block.text.textContent = text ?? fallback[status];
    if (title) block.text.title = title;
    else block.text.removeAttribute('title');
    const busy = this.#busy(block);
    const hadFocus = row.contains(document.activeElement) && (document.activeElement === run || document.activeElement === stop);
    run.hidden = busy;
    stop.hidden = !busy;
    // The button under the reader's focus was swapped for the other one: keep focus on the row.
    if (hadFocus) (busy ? stop : run).focus();
    this.#tickElapsed(block, status === 'running' || status === 'waiting');
  }

  /** A long run (an `until` of minutes) shows how long it has been going. */
  #tickElapsed(block: PageBlock, running: boolean): void {
    if (running && this.#elapsed?.block === block) return;
    if (this.#elapsed && (this.#elapsed.block === block || running)) {
      this.#store.delete(this.#elapsed.ticking);
      this.#elapsed.block.row.querySelector('[data-part="elapsed"]')?.replaceChildren();
      this.#elapsed = null;
    }
    if (!running) return;
    const since = Date.now();
    const elapsed = block.row.querySelector('[data-part="elapsed"]');
    const ticking = this.#store.add(interval(1000, () => {
      const seconds = Math.floor((Date.now() - since) / 1000);
      if (elapsed && seconds >= SHOW_ELAPSED_AFTER_S) elapsed.textContent = format(this.#t.status.elapsed, { seconds: String(seconds) });
    }));
    this.#elapsed = { block, ticking };
  }

  #progress(state: 'running' | 'done' | 'failed' | 'stopped', template: string, done: number, total: number, values: Record<string, string> = {}, at?: PageBlock): void {
    const progress = this.#part('progress');
    if (!progress) return;
    this.#linger.clear();
    progress.hidden = false;
    progress.dataset.state = state;
    const bar = this.#part('progress-bar');
    bar?.setAttribute('aria-valuenow', String(done));
    bar?.setAttribute('aria-valuemax', String(total));
    this.#part('progress-fill')?.style.setProperty('width', `${Math.round((100 * done) / Math.max(1, total))}%`);
    const text = this.#part('progress-text');
    if (text) setTemplate(text, template, values);
    const link = this.#part('progress-link') as HTMLAnchorElement | null;
    if (link) {
      link.hidden = !at;
      if (at) link.href = `#block-${at.data.id}`;
    }
    const stop = this.#part('progress-stop');
    if (stop) stop.hidden = state !== 'running';
    const close = this.#part('progress-close');
    if (close) close.hidden = state === 'running';
    if (state === 'done') this.#linger.value = timeout(PROGRESS_LINGER_MS, () => this.#hideProgress());
  }

  #hideProgress(): void {
    const progress = this.#part('progress');
    if (progress && progress.dataset.state !== 'running') progress.hidden = true;
  }

  /** Statuses from earlier in this session (a reload); the terminal resumes the same session. */
  #restore(): void {
    const memory = this.#dock.memory;
    if (!memory.session) return;
    for (const block of this.#blocks) {
      const outcome = memory.blocks[block.data.id];
      if (outcome) this.#show(block, outcome);
    }
  }

  #remembered(block: PageBlock): Status {
    return this.#dock.memory.blocks[block.data.id] ?? 'idle';
  }

  /** A fresh sandbox: nothing has run in it yet. */
  #newSession(): void {
    for (const block of this.#blocks) if (!this.#busy(block)) this.#show(block, 'idle');
    this.#hideProgress();
  }

  #showOffline(): void {
    const offline = this.#dock.offline;
    const banner = document.querySelector<HTMLElement>('[data-lab-offline]');
    if (banner) banner.hidden = !offline;
    for (const block of this.#blocks) {
      for (const button of [block.run, block.above]) {
        if (!button) continue;
        button.disabled = offline;
        if (offline) button.title = this.#t.offlineTitle;
        else if (button === block.above) button.title = this.#t.runAboveTitle;
        else button.removeAttribute('title');
      }
      if (offline) block.row.dataset.offline = '';
      else delete block.row.dataset.offline;
    }
  }

  #part(name: string): HTMLElement | null {
    return this.#dock.querySelector<HTMLElement>(`[data-part="${name}"], [data-action="${name}"]`);
  }
}

/**
 * Scrolls the page so that `row` is not hidden behind the docked terminal. Measured where the page
 * is now, so an instant scroll that cuts a smooth one short still lands where it should.
 */
function keepAbove(row: HTMLElement, dock: HTMLElement, smoothly = true): void {
  const bottom = row.getBoundingClientRect().bottom;
  const top = dock.getBoundingClientRect().top;
  if (bottom <= top - 8 || top <= 0) return;
  const smooth = smoothly && !matchMedia('(prefers-reduced-motion: reduce)').matches;
  scrollBy({ top: bottom - top + 24, behavior: smooth ? 'smooth' : 'auto' });
}

function succeeded(status: Status): boolean {
  return status === 'done' || status === 'expected-failure';
}

/** The block's metadata as the build wrote it; a block with none the page can use is left alone. */
function parseBlock(json: string | undefined): RunnableBlockData | null {
  if (!json) return null;
  try {
    const data = JSON.parse(json) as RunnableBlockData;
    return typeof data.id === 'string' && typeof data.command === 'string' && typeof data.terminal === 'string' ? data : null;
  } catch {
    return null; // not written by this site's build: the block stays a plain code block
  }
}

/** Fills a template into an element; `{{command}}` becomes code. */
function setTemplate(element: HTMLElement, template: string, values: Record<string, string>): void {
  const [before, after] = template.split('{{command}}');
  const nodes: Node[] = [document.createTextNode(format(before ?? '', values))];
  if (after !== undefined) {
    const code = document.createElement('code');
    code.textContent = values.command ?? '';
    nodes.push(code, document.createTextNode(format(after, values)));
  }
  element.replaceChildren(...nodes);
}

function mount(): void {
  focusableWhileScrolling();
  const dock = document.querySelector('lab-terminal');
  const template = document.querySelector<HTMLTemplateElement>('template[data-lab-controls-template]');
  const strings = document.querySelector('script[data-lab-block-strings]')?.textContent;
  if (!dock || !template || !strings) return;
  new BlockControls(dock, blockStrings(JSON.parse(strings) as UiStrings), template);
}

// Module scripts run once the document is parsed: the blocks and the dock are all there.
mount();
