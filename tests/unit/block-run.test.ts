/**
 * How the page runs a block (src/blocks/page/block-run.ts): what it types, that it waits for the
 * end block-output finds, its timeout and Stop; on output captured from the lab's real programs: bash 5.2 with the lab's OSC 133 marks and bracketed
 * paste, busybox sh (which asks the terminal where its cursor is), redis-cli (which redraws its
 * line on every key). The terminal here replays that output as the page's terminal hands it on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBlock, type BlockOutcome } from '../../src/blocks/page/block-run.ts';
import { untilLoop } from '../../src/common/block-output.ts';
import { ShellMarkReader } from '../../src/protocol/shell-marks.ts';
import type { RunnableBlockData } from '../../src/blocks/runnable.ts';
import type { BlockTerminal, TerminalOutput } from '../../src/terminal/terminal-api.ts';

const PROMPT = '\x1b]133;A\x07\x1b[1;32m[root@lab ~]#\x1b[0m \x1b]133;B\x07';

/** A terminal that answers what is typed into it with recorded output, chunk by chunk. */
class ReplayTerminal implements BlockTerminal {
  readonly name = 'main';
  condition: BlockTerminal['condition'] = 'live';
  generation = 0;
  atShellPrompt = true;
  readonly typed: string[] = [];
  #seq = 0;
  readonly #marks = new ShellMarkReader();
  readonly #output = new Set<(output: TerminalOutput) => void>();
  readonly #change = new Set<() => void>();
  readonly #answers: string[][];

  /** `answers[i]`: the chunks the terminal prints after the i-th input. */
  constructor(answers: string[][]) {
    this.#answers = answers;
  }

  input(data: string): void {
    this.typed.push(data);
    const chunks = this.#answers.shift() ?? [];
    setTimeout(() => {
      for (const data of chunks) this.#print(data);
    }, 1);
  }

  onOutput(listener: (output: TerminalOutput) => void): () => void {
    this.#output.add(listener);
    return () => this.#output.delete(listener);
  }

  onChange(listener: () => void): () => void {
    this.#change.add(listener);
    return () => this.#change.delete(listener);
  }

  /** As the page's terminal reports it: the text, with the frame's byte offsets. */
  #print(data: string): void {
    const bytes = new TextEncoder().encode(data);
    const seq = this.#seq;
    this.#seq += bytes.length;
    const marks = this.#marks.feed(bytes, seq);
    for (const mark of marks) this.atShellPrompt = mark.kind === 'command-start';
    for (const listener of this.#output) listener({ data, seq, end: this.#seq, marks });
    for (const listener of this.#change) listener();
  }
}

function block(fields: Partial<RunnableBlockData>): RunnableBlockData {
  return { id: 'b', terminal: 'main', exit: 0, expect: null, until: null, timeout: 5, prompt: null, hidden: false, command: 'true', ...fields };
}

const run = (data: RunnableBlockData, terminal: BlockTerminal): Promise<BlockOutcome> =>
  runBlock(data, terminal, { signal: new AbortController().signal, onPhase: () => {} });

test('a bash block is pasted whole and ends at its command-finished mark; expect sees its output only', async () => {
  // bash 5.2 echoing a bracketed paste: reverse video, then a redraw with the prompt's marks again.
  const terminal = new ReplayTerminal([
    [
      '\x1b[7mdocker exec -it tomcat02 ping tomcat01\x1b[27m\r\x1b[C\x1b[C',
      `docker exec -it tomcat02 ping tomcat01\r\n\x1b[?2004l\r\x1b]133;C\x07ping: tomcat01: Name or service not known\r\n\x1b]133;D;2\x07\x1b[?2004h${PROMPT}`,
    ],
  ]);
  const outcome = await run(block({ command: 'docker exec -it tomcat02 ping tomcat01', exit: 'nonzero', expect: '^ping: tomcat01: Name or service not known$' }), terminal);
  assert.deepEqual(outcome, { kind: 'expected-failure', exitCode: 2 });
  assert.deepEqual(terminal.typed, ['\x1b[200~docker exec -it tomcat02 ping tomcat01\x1b[201~\r']);
});

test('a multi-line loop is one paste; a mismatch says so, a wrong exit status says which', async () => {
  const loop = 'for port in $(seq 1 2); \\\ndo \\\necho node-${port}\ndone';
  const finished = (status: number, output: string) => [[`${loop.replace(/\n/g, '\r\n\r')}\r\n\x1b]133;C\x07${output}\x1b]133;D;${status}\x07${PROMPT}`]];
  let terminal = new ReplayTerminal(finished(0, 'node-1\r\nnode-2\r\n'));
  assert.deepEqual(await run(block({ command: loop, expect: '^node-2$' }), terminal), { kind: 'done' });
  assert.deepEqual(terminal.typed, [`\x1b[200~${loop}\x1b[201~\r`]);
  terminal = new ReplayTerminal(finished(0, 'node-1\r\nnode-2\r\n'));
  assert.deepEqual(await run(block({ command: loop, expect: '^node-3$' }), terminal), { kind: 'failed', reason: 'no-match', expect: '^node-3$' });
  terminal = new ReplayTerminal(finished(1, ''));
  assert.deepEqual(await run(block({ command: loop }), terminal), { kind: 'failed', reason: 'exit', exitCode: 1, expected: 0 });
});

test('a block typed into a program ends at its prompt, after the typed line; `until` runs in the same program', async () => {
  // The terminal is in busybox sh (its last mark is bash's command-executed): keys, not a paste.
  const terminal = new ReplayTerminal([
    ['redis-cli -c\r\n', '127.0.0.1:6379> '],
    [
      '\r\x1b[0K127.0.0.1:6379> c\r\x1b[17C\r\x1b[0K127.0.0.1:6379> cluster info\x1b[0;90;49m [section]\x1b[0m\r\x1b[29C',
      '\r\x1b[0K127.0.0.1:6379> cluster info\r\x1b[29C\r\ncluster_state:ok\r\ncluster_slots_assigned:16384\r\n127.0.0.1:6379> ',
    ],
  ]);
  terminal.atShellPrompt = false;
  assert.deepEqual(await run(block({ command: 'redis-cli -c', exit: null, prompt: '[\\d.]+:6379> $' }), terminal), { kind: 'done' });
  assert.deepEqual(await run(block({ command: 'cluster info', exit: null, prompt: '[\\d.]+:6379> $', expect: '^cluster_state:ok$' }), terminal), { kind: 'done' });
  assert.deepEqual(terminal.typed, ['redis-cli -c\r', 'cluster info\r']);

  const sh = new ReplayTerminal([
    ['redis-cli --cluster create …\r\n', '[OK] All 16384 slots covered.\r\n/data # \x1b[6n', '\r/data # \x1b[J'],
    ['until { redis-cli cluster info | grep -q cluster_state:ok; } >/dev/null \r\r\n2>&1; do sleep 1; done\r\n', '/data # \x1b[6n'],
  ]);
  sh.atShellPrompt = false;
  const waited = await run(block({ command: 'redis-cli --cluster create …', exit: null, prompt: '/data # $', expect: 'All 16384 slots covered', until: 'redis-cli cluster info | grep -q cluster_state:ok' }), sh);
  assert.deepEqual(waited, { kind: 'done' });
  assert.equal(sh.typed[1], `${untilLoop('redis-cli cluster info | grep -q cluster_state:ok')}\r`);
});

test('a line meant for a program that bash runs instead ends with bash\'s exit status, not a timeout', async () => {
  const terminal = new ReplayTerminal([[`cluster info\r\n\x1b]133;C\x07bash: cluster: command not found\r\n\x1b]133;D;127\x07${PROMPT}`]]);
  assert.deepEqual(await run(block({ command: 'cluster info', exit: null, prompt: '[\\d.]+:6379> $' }), terminal), { kind: 'failed', reason: 'exit', exitCode: 127, expected: 0 });
});

test('a block that outlives its timeout is interrupted; Stop interrupts it at once', async () => {
  const slow = new ReplayTerminal([[`sleep 9\r\n\x1b]133;C\x07`]]);
  const outcome = await run(block({ command: 'sleep 9', timeout: 1 }), slow);
  assert.deepEqual(outcome, { kind: 'failed', reason: 'timeout', seconds: 1, phase: 'run' });
  assert.equal(slow.typed.at(-1), '\x03');

  const stopped = new ReplayTerminal([[`sleep 9\r\n\x1b]133;C\x07`]]);
  const abort = new AbortController();
  const running = runBlock(block({ command: 'sleep 9', timeout: 60 }), stopped, { signal: abort.signal, onPhase: () => {} });
  setTimeout(() => abort.abort(), 20);
  assert.deepEqual(await running, { kind: 'stopped' });
  assert.equal(stopped.typed.at(-1), '\x03');
});
