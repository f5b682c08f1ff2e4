/**
 * block-output on whole runs of the tutorial, captured for real (tests/unit/fixtures/capture-block-output.ts):
 * once by the doc-test driver, once by the page in Debian's Chromium (its Run all above, then Run),
 * each on the real runner, a dind sandbox and the real engine. Every terminal's transcript is
 * replayed chunk by chunk as it came: each block, from its input on, must end where the run saw
 * it end, with nothing after it but the next prompt, and pass its page's claims; and the outputs
 * below, read off the transcripts by hand, must come out the same on both paths. Among them:
 * busybox sh's wrapped echo of a long line, and blocks typed into redis-cli, whose line editor
 * redraws the line on every key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RunnableBlockData } from '../../src/blocks/runnable.ts';
import { BlockWatch, judge, PASTE_START, plainText, typedInput, untilLoop, type BlockEnd } from '../../src/common/block-output.ts';
import type { Fixture } from './fixtures/capture-block-output.ts';

interface Cut {
  block: RunnableBlockData;
  /** The block itself, or its `until` loop. */
  part: 'block' | 'until';
  atShell: boolean;
  end: BlockEnd | null;
  output: string;
  /** What the terminal printed after the end, before the next input, as text. */
  after: string;
}

/** Replays one terminal's transcript: each input that is a block (or its until loop) starts a watch. */
function cuts(fixture: Fixture, terminal: string, blocks: RunnableBlockData[]): Cut[] {
  const mine = blocks.filter((b) => b.terminal === terminal);
  const found: Cut[] = [];
  const open: { current: { cut: Cut; watch: BlockWatch } | null } = { current: null };
  const close = () => {
    if (!open.current) return;
    const { cut, watch: w } = open.current;
    cut.end = w.end;
    cut.output = w.output;
    cut.after = plainText(w.stream.slice(w.end?.at ?? w.stream.length)).trim();
    found.push(cut);
    open.current = null;
  };
  let next = 0;
  let pendingUntil: RunnableBlockData | null = null;
  for (const [kind, data] of fixture.terminals[terminal] ?? []) {
    if (kind === 'o') {
      open.current?.watch.feed(data);
      continue;
    }
    const atShell = data.startsWith(PASTE_START);
    const block = mine[next];
    const start = (b: RunnableBlockData, part: Cut['part'], command: string) => {
      close();
      const source = part === 'until' ? (found.at(-1)?.block.prompt ?? null) : b.prompt;
      const prompt = source === null ? null : new RegExp(source, 'm');
      open.current = { cut: { block: b, part, atShell, end: null, output: '', after: '' }, watch: new BlockWatch({ command, prompt }, atShell) };
    };
    if (pendingUntil?.until && data === typedInput(untilLoop(pendingUntil.until), atShell)) {
      start(pendingUntil, 'until', untilLoop(pendingUntil.until));
      pendingUntil = null;
    } else if (block && data === typedInput(block.command, atShell)) {
      start(block, 'block', block.command);
      pendingUntil = block.until ? block : null;
      next++;
    }
    // Anything else is the terminal answering a program (busybox asks where the cursor is).
  }
  close();
  assert.equal(next, mine.length, `${fixture.path}: every block of terminal ${terminal} was typed (${next} of ${mine.length})`);
  return found;
}

function load(path: 'doctest' | 'page'): { fixture: Fixture; all: Cut[] } {
  const fixture = JSON.parse(readFileSync(new URL(`./fixtures/docker-network.${path}.json`, import.meta.url), 'utf8')) as Fixture;
  const { blocks } = fixture;
  const all = Object.keys(fixture.terminals).flatMap((terminal) => cuts(fixture, terminal, blocks));
  assert.equal(all.filter((c) => c.part === 'block').length, blocks.length, `${path}: all ${blocks.length} blocks of the page`);
  return { fixture, all };
}

/** The output of the `nth` block whose command is `command`. */
function outputOf(all: Cut[], command: string, nth = 0): Cut {
  const cut = all.filter((c) => c.part === 'block' && c.block.command === command)[nth];
  assert.ok(cut, `a block ${command}`);
  return cut;
}

for (const path of ['doctest', 'page'] as const) {
  test(`${path} path: every block ends where the run saw it end, with only the next prompt after it, and passes`, () => {
    const { all } = load(path);
    for (const cut of all) {
      const what = `${path}: ${cut.part} of ${cut.block.command.split('\n')[0]}`;
      assert.ok(cut.end, `${what}: it ends`);
      assert.equal(cut.end.kind, cut.block.prompt ? 'prompt' : 'finished', `${what}: at its prompt, or bash's end mark`);
      if (cut.part === 'until') {
        assert.ok(cut.end.kind === 'prompt' || cut.end.exitCode === 0, `${what}: the loop ended as the condition held`);
        continue;
      }
      assert.ok(cut.after.split('\n').filter((line) => line.trim() !== '').length <= 1, `${what}: nothing but a prompt after its end, got ${JSON.stringify(cut.after)}`);
      const exitCode = cut.end.kind === 'finished' ? cut.end.exitCode : null;
      const judgement = judge(cut.block, { exitCode, output: cut.output });
      assert.notEqual(judgement.kind, 'failed', `${what}: ${JSON.stringify(judgement)}\n${cut.output}`);
    }
  });

  test(`${path} path: the outputs, without echoes and prompts (bash, busybox's wrapped echo, redis-cli)`, () => {
    const { all } = load(path);
    // Typed into bash: between its marks.
    assert.equal(outputOf(all, 'cat /mydata/redis/node-1/conf/redis.conf').output, 'port 6379\nbind 0.0.0.0\ncluster-enabled yes\ncluster-config-file nodes.conf\ncluster-node-timeout 5000\ncluster-announce-ip 172.38.0.11\ncluster-announce-port 6379\ncluster-announce-bus-port 16379\nappendonly yes');
    assert.equal(outputOf(all, 'docker exec -it tomcat02 ping tomcat01').output, 'ping: tomcat01: Name or service not known');
    // Starting busybox sh from bash: its banner, not its prompt.
    assert.equal(outputOf(all, 'docker exec -it redis-1 /bin/sh').output, "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) built-in shell (ash)\nEnter 'help' for a list of built-in commands.");
    // A line longer than the terminal, typed into busybox: its line editor wraps the echo.
    const create = outputOf(all, 'redis-cli --cluster create 172.38.0.11:6379 172.38.0.12:6379 172.38.0.13:6379 172.38.0.14:6379 172.38.0.15:6379 172.38.0.16:6379 --cluster-replicas 1 --cluster-yes');
    assert.match(create.output, /^>>> Performing hash slots allocation on 6 nodes\.\.\.\n/);
    assert.match(create.output, /\n\[OK\] All 16384 slots covered\.$/);
    assert.doesNotMatch(create.output, /--cluster-yes|\/data #/, 'neither the wrapped echo nor the prompt');
    // Typed into redis-cli: what follows the Enter, without the next prompt.
    assert.equal(outputOf(all, 'get name').output, '"zhiyuan"');
    assert.equal(outputOf(all, 'get name', 1).output, '-> Redirected to slot [5798] located at 172.38.0.16:6379\n"zhiyuan"');
    assert.equal(outputOf(all, 'cluster keyslot name').output, '(integer) 5798');
    assert.equal(outputOf(all, 'redis-cli -c').output, '', 'starting redis-cli prints nothing before its prompt');
  });
}

test('the page and the doc-tests cut the same output from their own runs of each block whose output does not change from run to run', () => {
  const page = load('page').all.filter((c) => c.part === 'block');
  const doctest = load('doctest').all.filter((c) => c.part === 'block');
  assert.deepEqual(
    page.map((c) => c.block.id),
    doctest.map((c) => c.block.id),
  );
  // Container ids, MAC addresses, timings and node ids differ between runs; these do not.
  const steady = ['cat /mydata/redis/node-1/conf/redis.conf', 'docker exec -it tomcat02 ping tomcat01', 'docker exec -it redis-1 /bin/sh', 'get name', 'cluster keyslot name', 'docker network --help'];
  for (const command of steady) {
    assert.deepEqual(
      page.filter((c) => c.block.command === command).map((c) => c.output),
      doctest.filter((c) => c.block.command === command).map((c) => c.output),
      command,
    );
  }
});
