/**
 * Twenty readers on one runner at once: ten run `yes` (nine read and acknowledge as the page's
 * xterm does, one stops reading its socket), ten type `echo q-N`, each again 200 ms after the last
 * came back. For thirty seconds the runner holds no more memory than its buffers account for,
 * every echo comes back in order, and the readers of `yes` keep getting output. The reader that
 * stopped reading is sent at most one flow-control window (and the frame that crossed it) before
 * its pty pauses; the runner may drop its socket, and once it reads again, reconnecting if it was
 * dropped, it resumes from the replay buffer with nothing lost. Then Ctrl-C gives every `yes` its
 * prompt back, every session closes, no shell is left, and the runner stops with exit status 0.
 *
 * The runner's resident memory is sampled every 250 ms and left in test-results/load-rss.csv. RSS
 * alone cannot tell a leak from garbage not collected yet (V8 lets its old generation grow to
 * several times the live heap before a full collection, so under load RSS climbs for tens of
 * seconds with the output pushed through, then levels off), so it is held to a ceiling, and the
 * live heap, read after a full collection by a probe preloaded into the runner, to the buffers.
 * Its six collections (before the first session, idle, at each third of the load, after the last
 * session) are all it changes in the runner.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { FlowControl } from '../../src/protocol/flow.ts';
import { ShellMarkReader, type ShellMark } from '../../src/protocol/shell-marks.ts';
import { CloseCode, decodeServerMessage, encode, MAIN_TERMINAL, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, type ClientMessage, type ServerMessage } from '../../src/protocol/wire.ts';
import { MAX_OUTPUT_FRAME, REPLAY_LIMIT } from '../../runner/terminal.ts';
import { artefactPath } from '../support/browser.ts';
import { heapProbeEnv, readLiveHeap, type HeapReading } from '../support/heap-probe.ts';
import { LabClient, withoutOsc } from '../support/lab-client.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';
import { childPids, median, quantile, readRssKib, RssSampler } from '../support/rss.ts';

const SESSIONS = 20;
/** `yes` with a reader that acknowledges as the page does. */
const YES_READERS = 9;
/** Plus one `yes` whose reader stops reading: ten busy terminals. The rest type echoes. */
const BUSY_TERMINALS = YES_READERS + 1;
const QUIET_READERS = SESSIONS - BUSY_TERMINALS;

const SAMPLE_EVERY_MS = 250;
/** Quiet readers echo this long before the load, for the echo times of an idle runner. */
const IDLE_MS = 5_000;
const LOAD_MS = 30_000;
const ECHO_EVERY_MS = 200;
/** Generous: an echo that has not come back by then is lost, not slow. */
const ECHO_TIMEOUT_MS = 5_000;
/** Generous: a prompt that has not come back by then after Ctrl-C is not coming. */
const PROMPT_TIMEOUT_MS = 15_000;
/** A reader that gets nothing for this long after it resumed reading has drained its socket. */
const DRAINED_AFTER_MS = 500;

const MIB = 1024 * 1024;
/** A pty read of `yes` output: 4095 bytes most of the time, seldom up to 16 KiB. */
const PTY_READ_CHARS = 4 * 1024;
/**
 * Chunks runner/replay-buffer.ts keeps referenced after dropping them: it compacts its array only
 * once more than 1024 were dropped, so until then they stay in memory.
 */
const DROPPED_CHUNKS_KEPT = 1024;
/**
 * Live heap one busy terminal may hold, at most: its replay buffer (REPLAY_LIMIT bytes) with the
 * dropped chunks not yet compacted away (1024 pty reads, about 4 MiB). The output is bytes now,
 * whose stores V8 mostly keeps outside its heap, so this is a loose bound. What is in flight on its
 * socket (the window plus one pty read, about 250 KB) is in Buffers and mostly in the kernel.
 */
const LIVE_PER_BUSY_TERMINAL = Math.ceil((REPLAY_LIMIT + DROPPED_CHUNKS_KEPT * PTY_READ_CHARS) * 1.1);
/** A session's own objects: its terminal, socket, timers; a quiet replay buffer. */
const LIVE_PER_SESSION = MIB / 4;
/** The live heap under load is at most this above the idle runner's (about 53 MiB). */
const LIVE_ABOVE_IDLE = BUSY_TERMINALS * LIVE_PER_BUSY_TERMINAL + SESSIONS * LIVE_PER_SESSION;
/**
 * Once every session closed, the live heap is back to the runner's before any session opened,
 * give or take what V8 compiled and cached meanwhile.
 */
const LIVE_LEFT_AFTER_CLOSE = 8 * MIB;
/**
 * V8 lets the old generation reach up to 4 times its live size after a full collection (its
 * largest heap growing factor) before it collects again, and its young generation grows to
 * 3 x 16 MiB under a high allocation rate.
 */
const V8_GROWING_FACTOR = 4;
const YOUNG_GENERATION = 48 * MIB;
/**
 * Output a reader that stopped acknowledging may be sent before the pty pauses: the window, plus
 * the frame that crossed it (the runner sends up to MAX_OUTPUT_FRAME, and the pty read that made
 * it reach that, at most 64 KiB more), plus the prompt before.
 */
const STALLED_OUTPUT_LIMIT = FlowControl.highWatermark + MAX_OUTPUT_FRAME + 64 * 1024 + 4_096;

type Phase = 'start' | 'idle' | 'load' | 'wind-down';

/** A new session's main terminal, at its first prompt. */
async function openSession(runner: RunningRunner): Promise<LabClient> {
  const client = await LabClient.connect(runner.wsUrl, { token: runner.token, origin: runner.origin });
  client.hello();
  await client.message('welcome');
  await client.until(() => client.atShellPrompt, PROMPT_TIMEOUT_MS, 'the first prompt');
  return client;
}

/** A terminal's reader as far as Ctrl-C needs it. */
interface Interruptible {
  readonly marks: readonly ShellMark[];
  interrupt(): void;
  until(condition: () => boolean, what: string): Promise<void>;
}

/** Ctrl-C; once the prompt is back, resolves with the exit status of the command it ended. */
async function interruptAndAwaitPrompt(reader: Interruptible): Promise<number | null> {
  const from = reader.marks.length;
  const finished = () => reader.marks.slice(from).findIndex((m) => m.kind === 'command-finished');
  reader.interrupt();
  await reader.until(() => finished() >= 0, 'the end of yes after Ctrl-C');
  const at = from + finished();
  await reader.until(() => reader.marks.slice(at).some((m) => m.kind === 'command-start'), 'the prompt after Ctrl-C');
  return (reader.marks[at] as Extract<ShellMark, { kind: 'command-finished' }>).exitCode;
}

/** A reader in a quiet session: types `echo q-N` every 200 ms and times each until its line is back. */
class QuietReader {
  readonly client: LabClient;
  readonly timings: { phase: Phase; ms: number }[] = [];
  #sent = 0;
  #failure: string | null = null;
  #stopping = false;
  #loop: Promise<void> | null = null;

  constructor(client: LabClient) {
    this.client = client;
  }

  get sent(): number {
    return this.#sent;
  }

  get failure(): string | null {
    return this.#failure;
  }

  start(phase: () => Phase): void {
    this.#loop = this.#run(phase);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#loop;
  }

  /** The numbers of the `q-N` lines the terminal showed, in the order it showed them. */
  echoed(): number[] {
    return [...withoutOsc(this.client.output).matchAll(/^q-(\d+)\r?$/gm)].map((m) => Number(m[1]));
  }

  async #run(phase: () => Phase): Promise<void> {
    while (!this.#stopping) {
      const n = ++this.#sent;
      const during = phase();
      const typed = performance.now();
      try {
        const { exitCode, output } = await this.client.run(`echo q-${n}`, ECHO_TIMEOUT_MS);
        if (exitCode !== 0 || !new RegExp(`^q-${n}\\r?$`, 'm').test(output)) {
          this.#failure = `q-${n} came back as ${JSON.stringify(output)} (exit ${exitCode})`;
          return;
        }
      } catch (error) {
        this.#failure = `q-${n} (${during}): ${(error as Error).message}`;
        return;
      }
      this.timings.push({ phase: during, ms: performance.now() - typed });
      await sleep(ECHO_EVERY_MS);
    }
  }
}

/**
 * A reader on a raw socket that starts `yes` and then stops reading its socket: it never
 * acknowledges, and the runner's frames pile up unread. Later it reads again, acknowledges as it
 * goes, and checks that the output is one unbroken run of offsets.
 */
class StalledReader {
  sessionId = '';
  /** Offset just past the last output received. */
  end = 0;
  /** Everything received, in order. */
  text = '';
  readonly marks: ShellMark[] = [];
  /** Output frames that did not start where the one before ended. */
  readonly gaps: string[] = [];
  readonly welcomes: Extract<ServerMessage, { type: 'welcome' }>[] = [];
  readonly messages: ServerMessage[] = [];
  lastFrameAt = 0;
  closeCode: number | null = null;
  #acked = 0;
  #acking = false;
  #marks = new ShellMarkReader();
  /** Output is bytes; the text is decoded as one stream. */
  readonly #decoder = new TextDecoder();
  #socket: WebSocket | null = null;
  #waiters = new Set<() => void>();

  get socket(): WebSocket {
    if (!this.#socket) throw new Error('not connected');
    return this.#socket;
  }

  async connect(runner: RunningRunner, hello: { sessionId?: string; lastSeq?: number } = {}): Promise<void> {
    const socket = new WebSocket(runner.wsUrl, [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + runner.token], { origin: runner.origin });
    this.#socket = socket;
    this.closeCode = null;
    socket.on('message', (data: Buffer, isBinary: boolean) => this.#receive(isBinary ? data : data.toString('utf8')));
    socket.on('close', (code) => {
      this.closeCode = code;
      this.#wake();
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const welcomes = this.welcomes.length;
    this.send({ type: 'hello', v: 1, terminal: MAIN_TERMINAL, cols: 120, rows: 30, ...hello });
    await this.until(() => this.welcomes.length > welcomes, 'a welcome');
    this.sessionId = (this.welcomes.at(-1) as { sessionId: string }).sessionId;
  }

  send(message: ClientMessage): void {
    this.socket.send(encode(message));
  }

  interrupt(): void {
    this.send({ type: 'input', data: '\x03' });
  }

  /** Stops reading the socket: frames stay in the kernel's buffers and the runner's. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Reads again and, from now on, acknowledges what it received. */
  resumeReading(): void {
    this.#acking = true;
    this.socket.resume();
    this.#ack();
  }

  /** Reads again but acknowledges nothing: what arrives is what the runner had sent already. */
  readWithoutAcking(): void {
    this.lastFrameAt = performance.now();
    this.socket.resume();
  }

  until(condition: () => boolean, what: string, timeoutMs = PROMPT_TIMEOUT_MS): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; close ${this.closeCode}; output tail: ${JSON.stringify(this.text.slice(-200))}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  #receive(frame: string | Buffer): void {
    this.lastFrameAt = performance.now();
    const decoded = decodeServerMessage(frame);
    if (!decoded.ok) throw new Error(`runner sent an invalid frame: ${decoded.code} ${decoded.detail}`);
    const message = decoded.message;
    if (message.type === 'welcome') {
      if (message.seq !== this.end) this.gaps.push(`welcome at ${message.seq}, held ${this.end}`);
      this.welcomes.push(message);
      this.#acked = message.seq;
    } else if (message.type === 'output') {
      if (message.seq !== this.end) this.gaps.push(`output at ${message.seq}, expected ${this.end}`);
      for (const mark of this.#marks.feed(message.data, message.seq)) this.marks.push(mark);
      this.text += this.#decoder.decode(message.data, { stream: true });
      this.end = message.seq + message.data.length;
      this.#ack();
    } else {
      this.messages.push(message);
    }
    this.#wake();
  }

  #ack(): void {
    if (!this.#acking || this.end - this.#acked < FlowControl.ackEvery) return;
    this.#acked = this.end;
    if (this.#socket?.readyState === WebSocket.OPEN) this.send({ type: 'ack', upTo: this.end });
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/** `yes` output is `y` lines and nothing else; a lost or doubled piece breaks a line. */
function onlyYesLines(text: string): boolean {
  const whole = text.slice(text.indexOf('y\r\n'), text.lastIndexOf('\r\n') + 2);
  return /^(?:y\r\n)+$/.test(whole);
}

function mib(bytes: number): string {
  return (bytes / MIB).toFixed(1);
}

function timingsOf(readers: QuietReader[], phase: Phase): number[] {
  return readers.flatMap((reader) => reader.timings.filter((t) => t.phase === phase).map((t) => t.ms));
}

let runner: RunningRunner;
let rss: RssSampler;
let phase: Phase = 'start';
let quiet: QuietReader[] = [];
let yes: LabClient[] = [];
const stalled = new StalledReader();
/** Offset each `yes` reader held at the start, each third and the end of the load. */
const progress: number[][] = [];
/** The live heap with no session, with every session idle, at each third of the load. */
let liveAtStart: HeapReading;
let liveIdle: HeapReading;
const liveUnderLoad: HeapReading[] = [];
/** Output the stalled reader got before it stopped reading, and once it read what was waiting. */
let stalledAtPause = 0;
let stalledDrained = 0;

function enter(next: Phase): void {
  phase = next;
  rss.phase = next;
}

/**
 * RSS the runner never goes above: the idle runner's, plus an old generation of up to 4 times the
 * largest live heap the buffers allow, plus a grown young generation (about 350 MiB above idle).
 */
function rssCeiling(): number {
  return median(rssDuring('idle')) + V8_GROWING_FACTOR * (liveIdle.live + LIVE_ABOVE_IDLE) + YOUNG_GENERATION;
}

/** RSS samples of `p`, in bytes. */
function rssDuring(p: Phase): number[] {
  return rss.during(p).map((kib) => kib * 1024);
}

before(async () => {
  runner = await startRunner({ LAB_PROVIDER: 'host', LAB_MAX_SESSIONS: String(SESSIONS + 4), ...heapProbeEnv() });
  rss = new RssSampler(runner.process.pid as number, SAMPLE_EVERY_MS, phase);
  await sleep(1_000); // the runner at rest, with no session, for the CSV
  liveAtStart = await readLiveHeap(runner.process);

  quiet = (await Promise.all(Array.from({ length: QUIET_READERS }, () => openSession(runner)))).map((client) => new QuietReader(client));
  yes = await Promise.all(Array.from({ length: YES_READERS }, () => openSession(runner)));
  await stalled.connect(runner);
  await stalled.until(() => stalled.marks.some((m) => m.kind === 'command-start'), 'the first prompt');

  enter('idle');
  for (const reader of quiet) reader.start(() => phase);
  await sleep(IDLE_MS);
  liveIdle = await readLiveHeap(runner.process);

  enter('load');
  for (const client of yes) client.type('yes\r');
  stalled.send({ type: 'input', data: 'yes\r' });
  await stalled.until(() => stalled.text.includes('y\r\ny\r\n'), 'yes to start');
  stalled.stopReading();
  stalledAtPause = stalled.end;
  progress.push(yes.map((client) => client.offset));
  for (let third = 1; third <= 3; third++) {
    await sleep(LOAD_MS / 3);
    progress.push(yes.map((client) => client.offset));
    liveUnderLoad.push(await readLiveHeap(runner.process));
  }
  enter('wind-down');
  await Promise.all(quiet.map((reader) => reader.stop()));
});

after(async () => {
  rss?.stop();
  if (rss) writeFileSync(artefactPath('load-rss.csv'), rss.toCsv());
  for (const client of [...quiet.map((reader) => reader.client), ...yes]) client.drop();
  if (stalled.welcomes.length > 0) stalled.socket.terminate();
  await runner?.stop();
});

test('under load the runner holds no more memory than its buffers account for', (t: TestContext) => {
  const idle = median(rssDuring('idle'));
  const load = rssDuring('load');
  const third = Math.floor(load.length / 3);
  const peak = Math.max(...load);
  t.diagnostic(
    `runner RSS: ${mib(median(rssDuring('start')))} MiB with no session, ${mib(idle)} MiB with ${SESSIONS} idle; under load ` +
      `${mib(median(load.slice(0, third)))}, ${mib(median(load.slice(third, -third)))}, ${mib(median(load.slice(-third)))} MiB ` +
      `(medians of each third), peak ${mib(peak)} MiB, ceiling ${mib(rssCeiling())} MiB; ${rss.samples.length} samples in test-results/load-rss.csv`,
  );
  t.diagnostic(
    `runner live heap after a full GC: ${mib(liveAtStart.live)} MiB with no session, ${mib(liveIdle.live)} MiB idle, ` +
      `${liveUnderLoad.map((r) => mib(r.live)).join(', ')} MiB at each third of the load`,
  );
  assert.ok(third >= 10, `enough samples under load: ${load.length}`);
  liveUnderLoad.forEach((reading, i) => {
    assert.ok(
      reading.live - liveIdle.live <= LIVE_ABOVE_IDLE,
      `live heap at third ${i + 1} of the load: ${mib(reading.live)} MiB, more than the idle ${mib(liveIdle.live)} MiB + ${mib(LIVE_ABOVE_IDLE)} MiB of buffers`,
    );
  });
  assert.ok(peak <= rssCeiling(), `RSS peaked at ${mib(peak)} MiB, above the ceiling of ${mib(rssCeiling())} MiB (idle ${mib(idle)} MiB)`);
});

test('every quiet echo came back, in order, before and under load', (t: TestContext) => {
  for (const p of ['idle', 'load'] as const) {
    const times = timingsOf(quiet, p);
    t.diagnostic(`quiet echo ${p}: ${times.length} echoes, p50 ${quantile(times, 0.5).toFixed(0)} ms, p99 ${quantile(times, 0.99).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`);
  }
  quiet.forEach((reader, i) => {
    assert.equal(reader.failure, null, `quiet session ${i} kept echoing`);
    assert.ok(reader.timings.some((timing) => timing.phase === 'load'), `quiet session ${i} echoed under load`);
    assert.deepEqual(reader.echoed(), Array.from({ length: reader.sent }, (_, k) => k + 1), `quiet session ${i}: every q-N line once, in order`);
  });
});

test('every reading `yes` session kept receiving output through the load', (t: TestContext) => {
  const [begin, , , end] = progress as [number[], number[], number[], number[]];
  const received = yes.map((_, i) => (end[i] as number) - (begin[i] as number));
  const frames = yes.reduce((sum, client) => sum + client.outputFrames, 0);
  const bytes = yes.reduce((sum, client) => sum + client.offset, 0);
  t.diagnostic(`each yes reader received ${Math.min(...received)} to ${Math.max(...received)} bytes in ${LOAD_MS / 1000} s; ${Math.round(bytes / frames)} bytes per output frame on average`);
  yes.forEach((client, i) => {
    for (let third = 1; third <= 3; third++) {
      const before = (progress[third - 1] as number[])[i] as number;
      const now = (progress[third] as number[])[i] as number;
      assert.ok(now > before, `yes session ${i} received output in third ${third} of the load (offset ${before} -> ${now})`);
    }
    assert.ok(onlyYesLines(client.output), `yes session ${i} shows y lines, unbroken`);
  });
});

test('a reader that stopped reading held the runner to one window; reading again resumes with nothing lost', async (t: TestContext) => {
  // Read what the runner had sent while the reader was not reading, acknowledging nothing yet.
  stalled.readWithoutAcking();
  while (stalled.closeCode === null && performance.now() - stalled.lastFrameAt < DRAINED_AFTER_MS) await sleep(100);
  stalledDrained = stalled.end;
  const dropped = stalled.closeCode !== null;
  t.diagnostic(
    `stalled reader: ${stalledAtPause} bytes before it stopped reading, ${stalledDrained} once it read what was waiting (window ${FlowControl.highWatermark}); ` +
      (dropped ? `the runner had dropped its socket (close ${stalled.closeCode})` : 'its socket was still open'),
  );
  assert.ok(stalledDrained <= STALLED_OUTPUT_LIMIT, `the pty paused: ${stalledDrained} bytes were sent unacknowledged, at most ${STALLED_OUTPUT_LIMIT}`);

  if (dropped) {
    // The page reconnects with the offset it holds and gets the rest from the replay buffer.
    await stalled.connect(runner, { sessionId: stalled.sessionId, lastSeq: stalled.end });
    const welcome = stalled.welcomes.at(-1);
    assert.equal(welcome?.resumed, true);
    assert.equal(welcome?.seq, stalledDrained, 'the replay starts where the reader stopped');
    assert.equal(welcome?.truncated, false, `nothing it missed had left the replay buffer (${REPLAY_LIMIT} bytes)`);
  }
  stalled.resumeReading();
  const target = stalledDrained + 10 * FlowControl.highWatermark;
  await stalled.until(() => stalled.end >= target, `output past ${target}`, 30_000);
  t.diagnostic(`stalled reader: output continued to ${stalled.end} after it acknowledged again`);
  assert.deepEqual(stalled.gaps, [], 'every frame started where the one before ended');
  assert.ok(onlyYesLines(stalled.text), 'y lines, unbroken');
});

test('Ctrl-C gives every `yes` its prompt back; every session closes and leaves nothing behind; the runner exits 0', async (t: TestContext) => {
  const readers = [
    ...yes.map((client) => ({ marks: client.marks, interrupt: () => client.interrupt(), until: (condition: () => boolean, what: string) => client.until(condition, PROMPT_TIMEOUT_MS, what) })),
    stalled,
  ];
  const exitCodes = await Promise.all(readers.map((reader) => interruptAndAwaitPrompt(reader)));
  assert.deepEqual(exitCodes, Array(BUSY_TERMINALS).fill(130), 'each yes ended by SIGINT (exit status 130), and the prompt came back');

  const clients = [...quiet.map((reader) => reader.client), ...yes];
  for (const client of clients) client.type('exit 0\r');
  stalled.send({ type: 'input', data: 'exit 0\r' });
  const closes = await Promise.all(clients.map((client) => client.closed));
  await stalled.until(() => stalled.closeCode !== null, 'the stalled session to close');
  assert.deepEqual([...closes.map((c) => c.code), stalled.closeCode], Array(SESSIONS).fill(CloseCode.sessionEnded), 'every socket closed with 4410 (session ended)');
  const ended = [...clients.map((client) => client.messages), stalled.messages].map((messages) => messages.filter((m) => m.type === 'ended'));
  assert.deepEqual(ended, Array(SESSIONS).fill([{ type: 'ended', reason: 'exit', exitCode: 0 }]), 'every session ended once, by its shell exiting 0');

  const health = (await (await fetch(`${runner.url}/lab/health`)).json()) as { sessions: number };
  assert.equal(health.sessions, 0, 'no session left');
  const pid = runner.process.pid as number;
  for (let i = 0; i < 50 && childPids(pid).length > 0; i++) await sleep(100);
  assert.deepEqual(childPids(pid), [], 'no shell (and no yes) left running under the runner');

  const liveAfter = await readLiveHeap(runner.process);
  const peak = Math.max(...rss.samples.map((sample) => sample.kib * 1024));
  t.diagnostic(`runner after every session closed: live heap ${mib(liveAfter.live)} MiB (${mib(liveAtStart.live)} MiB before the first session), RSS ${mib((readRssKib(pid) ?? 0) * 1024)} MiB; RSS peak over the whole run ${mib(peak)} MiB`);
  assert.ok(
    liveAfter.live - liveAtStart.live <= LIVE_LEFT_AFTER_CLOSE,
    `what the sessions held was released: live heap ${mib(liveAfter.live)} MiB, ${mib(liveAtStart.live)} MiB before the first session`,
  );
  assert.ok(peak <= rssCeiling(), `RSS through the wind-down stayed under the ceiling of ${mib(rssCeiling())} MiB (peak ${mib(peak)} MiB)`);
  assert.deepEqual(runner.logs().split('\n').filter((line) => line.includes('"level":"error"')), [], 'the runner logged no error');
  rss.stop();
  assert.equal(await runner.stop(), 0, 'the runner stopped cleanly');
});
