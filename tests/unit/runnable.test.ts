import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFence, RunnableMetaError, tokenizeMeta } from '../../src/blocks/runnable.ts';

test('a plain fence and an output fence are told apart from runnable ones', () => {
  assert.deepEqual(parseFence('sh', ''), { kind: 'plain' });
  assert.deepEqual(parseFence('sh', '{1,3} title="a run of commands"'), { kind: 'plain' });
  assert.deepEqual(parseFence('text', 'output'), { kind: 'output' });
});

test('a runnable fence gets defaults: main terminal, exit 0, 60 s', () => {
  assert.deepEqual(parseFence('sh', 'run'), {
    kind: 'runnable',
    block: { terminal: 'main', exit: 0, expect: null, until: null, timeout: 60, prompt: null, hidden: false },
  });
});

test('every key is read, quoted values keep spaces and escaped quotes', () => {
  const fence = parseFence('sh', 'run terminal=redis expect="cluster_state:ok" until="redis-cli -h 172.38.0.11 cluster info | grep -q \\"state:ok\\"" timeout=120 hidden');
  assert.equal(fence.kind, 'runnable');
  if (fence.kind !== 'runnable') return;
  assert.equal(fence.block.terminal, 'redis');
  assert.equal(fence.block.expect?.source, 'cluster_state:ok');
  assert.equal(fence.block.until, 'redis-cli -h 172.38.0.11 cluster info | grep -q "state:ok"');
  assert.equal(fence.block.timeout, 120);
  assert.equal(fence.block.hidden, true);
  const failing = parseFence('sh', 'run exit=nonzero expect="Name or service not known"');
  assert.equal(failing.kind === 'runnable' && failing.block.exit, 'nonzero');
  const program = parseFence('sh', 'run terminal=redis prompt="/data # $"');
  assert.equal(program.kind === 'runnable' && program.block.exit, null, 'no exit status inside a program');
  assert.ok(program.kind === 'runnable' && program.block.prompt?.test('foo\n/data # '));
});

test('bad metadata is an error that names the key', () => {
  const cases: [string | null, string, string][] = [
    ['sh', 'run expct="x"', 'unknown key expct; runnable blocks take run, terminal, exit, expect, until, timeout, prompt, hidden'],
    ['sh', 'run exit=maybe', 'exit: "maybe" is not 0-255 or nonzero'],
    ['sh', 'run exit=256', 'exit: "256" is not 0-255 or nonzero'],
    ['sh', 'run timeout=0', 'timeout: "0" is not a whole number of seconds from 1 to 3600'],
    ['sh', 'run expect="(unclosed"', 'expect: not a valid regular expression: Invalid regular expression: /(unclosed/m: Unterminated group'],
    ['sh', 'run terminal=../x', 'terminal: "../x" is not a terminal name (a-z, 0-9, -)'],
    ['sh', 'run until', 'until needs a value'],
    ['sh', 'run hidden=yes', 'hidden takes no value'],
    ['sh', 'run output', 'a block is either run or output, not both'],
    ['sh', 'run prompt="> $" exit=0', 'exit: a block typed into a program (prompt=) has no exit status'],
    ['python', 'run', 'a runnable block is a sh fence, not python'],
    [null, 'run', 'a runnable block is a sh fence, not one without a language'],
    ['sh', 'run expect="x', 'cannot read fence metadata at "="x"'],
  ];
  for (const [lang, meta, message] of cases) {
    assert.throws(() => parseFence(lang, meta), (error: unknown) => error instanceof RunnableMetaError && error.message === message, meta);
  }
});

test('the tokenizer keeps order and bare words', () => {
  assert.deepEqual(tokenizeMeta('run  a=1 b="x y" c'), [['run', null], ['a', '1'], ['b', 'x y'], ['c', null]]);
});
