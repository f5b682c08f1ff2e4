/**
 * The doc-test driver's timeout (runner/doctest/block-terminal.ts), on fake timers: a block that
 * outlives its `timeout` gets Ctrl-C exactly then, not before, and the terminal is usable again once
 * bash shows its prompt. The terminal answers with what the lab's bash prints (marks included).
 * The driver test (tests/doctest/driver.test.ts) runs the same against a real sandbox, without a
 * clock in its assertions.
 */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { BlockTerminal } from '../../runner/doctest/block-terminal.ts';
import type { LabClient, OutputChunk } from '../../runner/client/lab-client.ts';
import { INTERRUPT, typedInput } from '../../src/common/block-output.ts';
import { parseFence, type RunnableBlock } from '../../src/blocks/runnable.ts';
import { ShellMarkReader, type ShellMark } from '../../src/protocol/shell-marks.ts';

const PROMPT = '\x1b[?2004h\x1b]133;A\x07\x1b[1;32m[root@lab ~]#\x1b[0m \x1b]133;B\x07';

/** What BlockTerminal uses of a LabClient, answering each input with the output `answer` gives. */
class ScriptedClient {
  readonly socket = { readyState: 1, OPEN: 1, CLOSED: 3 };
  readonly marks: ShellMark[] = [];
  readonly typed: string[] = [];
  output = '';
  offset = 0;
  readonly #reader = new ShellMarkReader();
  readonly #listeners = new Set<(chunk: OutputChunk) => void>();
  readonly #waiters = new Set<() => void>();
  readonly #answer: (input: string) => string[];

  constructor(answer: (input: string) => string[]) {
    this.#answer = answer;
    this.print(PROMPT);
  }

  get lastMark(): ShellMark | null {
    return this.marks.at(-1) ?? null;
  }

  get atShellPrompt(): boolean {
    return this.lastMark?.kind === 'command-start';
  }

  parsed(): Promise<void> {
    return Promise.resolve();
  }

  outputSince(from: number): string {
    return this.output.slice(from);
  }

  onOutput(listener: (chunk: OutputChunk) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  type(data: string): void {
    this.typed.push(data);
    const chunks = this.#answer(data);
    void Promise.resolve().then(() => chunks.forEach((chunk) => this.print(chunk)));
  }

  interrupt(): void {
    this.type(INTERRUPT);
  }

  /** As LabClient.until: resolves when `condition` holds after some output, rejects after `timeoutMs` (a fake timer here). */
  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const wake = () => condition() && (this.#waiters.delete(wake), clearTimeout(timer), resolve());
      const timer = setTimeout(() => (this.#waiters.delete(wake), reject(new Error(`timed out waiting for ${what}`))), timeoutMs);
      this.#waiters.add(wake);
      wake();
    });
  }

  /** As the runner sends it: bytes, numbered in bytes, with their text. */
  print(data: string): void {
    const bytes = new TextEncoder().encode(data);
    const chunk = { at: 0, offset: this.offset, bytes, data };
    this.marks.push(...this.#reader.feed(bytes, this.offset));
    this.output += data;
    this.offset += bytes.length;
    for (const listener of this.#listeners) listener(chunk);
    for (const waiter of [...this.#waiters]) waiter();
  }
}

function block(meta: string): RunnableBlock {
  const fence = parseFence('sh', meta);
  assert.equal(fence.kind, 'runnable');
  return fence.block;
}

/** Lets the promise callbacks queued so far run. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

test('a block past its timeout gets Ctrl-C at the timeout, not before, and the terminal comes back', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const client = new ScriptedClient((input) => {
    if (input === typedInput('sleep 30', true)) return ['sleep 30\r\n\x1b[?2004l\r\x1b]133;C\x07'];
    if (input === INTERRUPT) return [`^C\r\n\x1b]133;D;130\x07${PROMPT}`];
    return [];
  });
  const terminal = new BlockTerminal('main', client as unknown as LabClient);
  let done = false;
  const typed = terminal.type('sleep 30', block('run timeout=3')).finally(() => (done = true));
  await settle();
  assert.deepEqual(client.typed, [typedInput('sleep 30', true)], 'pasted as one command line');

  // The deadline is taken a moment before the timer is set (real time): a margin of 100 ms.
  mock.timers.tick(2_900);
  await settle();
  assert.equal(done, false);
  assert.ok(!client.typed.includes(INTERRUPT), 'no Ctrl-C before the timeout');

  mock.timers.tick(100);
  await settle();
  assert.equal(client.typed.at(-1), INTERRUPT, 'Ctrl-C at the timeout');
  const result = await typed;
  assert.equal(result.problem, 'the end of the command did not come within 3 s; sent Ctrl-C');
  assert.equal(result.usable, true, "bash's prompt came back: later blocks can run");
});

test('a terminal that does not come back after Ctrl-C is given up 10 s later', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const client = new ScriptedClient((input) => (input === INTERRUPT ? [] : ['sleep 30\r\n\x1b[?2004l\r\x1b]133;C\x07']));
  const terminal = new BlockTerminal('main', client as unknown as LabClient);
  let done = false;
  const typed = terminal.type('sleep 30', block('run timeout=3')).finally(() => (done = true));
  await settle();
  mock.timers.tick(3_000);
  await settle();
  assert.equal(client.typed.at(-1), INTERRUPT);
  mock.timers.tick(9_900);
  await settle();
  assert.equal(done, false, 'still waiting for a prompt');
  mock.timers.tick(100);
  const result = await typed;
  assert.equal(result.usable, false, 'the rest of the page is skipped');
});
