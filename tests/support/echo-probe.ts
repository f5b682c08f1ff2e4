/**
 * Another reader, typing all along: a session that types `echo ping-N` over and over and checks that
 * each line comes back, so a test can tell that what it does elsewhere costs this reader nothing.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSession, type LabClient } from './lab-client.ts';
import type { RunningRunner } from './runner-process.ts';

/** Generous: an echo that has not come back by then is lost, not slow. */
const DEFAULT_ECHO_TIMEOUT_MS = 5_000;
/** Pause between one echo's return and the next: a reader typing, not a flood. */
const PAUSE_MS = 20;

export interface EchoTally {
  sent: number;
  echoed: number;
  failure: string | null;
  /** Milliseconds from typing each echo to its command's end, in order. */
  latencies: number[];
}

export class EchoProbe {
  readonly client: LabClient;
  readonly #echoTimeoutMs: number;
  #sent = 0;
  #echoed = 0;
  #latencies: number[] = [];
  #failure: string | null = null;
  #stopping = false;
  #loop: Promise<void> | null = null;

  private constructor(client: LabClient, echoTimeoutMs: number) {
    this.client = client;
    this.#echoTimeoutMs = echoTimeoutMs;
  }

  /** A new session of `runner`, past its first prompt. */
  static async open(runner: RunningRunner, options: { echoTimeoutMs?: number } = {}): Promise<EchoProbe> {
    const client = await openSession(runner, { shell: false });
    assert.equal((await client.run('echo probe-ready')).exitCode, 0);
    return new EchoProbe(client, options.echoTimeoutMs ?? DEFAULT_ECHO_TIMEOUT_MS);
  }

  start(): void {
    this.#stopping = false;
    this.#loop = this.#run();
  }

  /** Waits for the echo in flight, then tells how many were typed, how many came back and how fast. */
  async stop(): Promise<EchoTally> {
    this.#stopping = true;
    await this.#loop;
    const tally = { sent: this.#sent, echoed: this.#echoed, failure: this.#failure, latencies: this.#latencies };
    this.#sent = this.#echoed = 0;
    this.#latencies = [];
    this.#failure = null;
    return tally;
  }

  close(): Promise<unknown> {
    return this.client.close();
  }

  async #run(): Promise<void> {
    do {
      const n = ++this.#sent;
      const typed = performance.now();
      try {
        const { exitCode, output } = await this.client.run(`echo ping-${n}`, this.#echoTimeoutMs);
        if (exitCode !== 0 || !new RegExp(`^ping-${n}\\r?$`, 'm').test(output)) {
          this.#failure = `ping-${n} came back as ${JSON.stringify(output)} (exit ${exitCode})`;
          return;
        }
        this.#latencies.push(performance.now() - typed);
        this.#echoed++;
      } catch (error) {
        this.#failure = `ping-${n}: ${(error as Error).message}`;
        return;
      }
      await sleep(PAUSE_MS);
    } while (!this.#stopping);
  }
}

/** Runs `body` while `probe` types; then every echo typed meanwhile must have come back. */
export async function whileEchoing(probe: EchoProbe, body: () => Promise<void>): Promise<void> {
  await echoesDuring(probe, body);
}

/** As `whileEchoing`, and tells how the echoes went (how many, how fast). */
export async function echoesDuring(probe: EchoProbe, body: () => Promise<void>): Promise<EchoTally> {
  probe.start();
  let tally;
  try {
    await body();
  } finally {
    tally = await probe.stop();
  }
  assert.equal(tally.failure, null, 'the other session kept echoing');
  assert.ok(tally.sent > 0);
  assert.equal(tally.echoed, tally.sent, `every echo came back (${tally.echoed} of ${tally.sent})`);
  return tally;
}
