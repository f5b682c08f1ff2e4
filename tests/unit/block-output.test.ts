/**
 * src/common/block-output.ts: where a block's output is in its terminal's stream, its text, and the
 * judgement, on streams as the lab's programs really print them (taken from recordings): bash with
 * a bracketed paste and its marks, busybox's line editor wrapping a long line and redrawing its
 * prompt, redis-cli's linenoise redrawing every key. The page's Run, the doc-tests' `expect` and
 * the static page's recorded output all read the output this way. The fixtures test
 * (block-output-fixtures.test.ts) replays whole captured runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeMismatch, endedAtPrompt, judge, outputLines, outputText, plainText } from '../../src/common/block-output.ts';
import { locatePage } from '../../src/blocks/recordings.ts';

const BUSYBOX = /\/data # $/m;
const REDIS = /[\d.]+:6379> $/m;

test('a block typed into the lab shell: the output lies between its command-executed and command-finished marks', () => {
  const stream =
    '\x1b[7mcat /tmp/c; bash --version | head -1\x1b[27m\r\x1b[C\x1b[Ccat /tmp/c; bash --version | head -1\r\n\x1b[?2004l\r\x1b]133;C\x07' +
    'port 2\r\n\x1b[32mGNU\x1b[0m bash\r\n\x1b]133;D;0\x07\x1b[?2004h\x1b]133;A\x07\x1b[1;32m[root@lab ~]#\x1b[0m \x1b]133;B\x07';
  const spec = { command: 'cat /tmp/c; bash --version | head -1', prompt: null };
  assert.equal(outputText(stream, spec), 'port 2\nGNU bash', 'neither the echo nor the next prompt');
  assert.deepEqual(outputLines(stream, spec), ['port 2', '\x1b[32mGNU\x1b[0m bash'], 'colours kept for the page');
});

test('a block that starts a program from the lab shell ends at the program prompt, which is not output', () => {
  const stream =
    '\x1b[7mdocker exec -it redis-1 /bin/sh\x1b[27m\r\x1b[Cdocker exec -it redis-1 /bin/sh\r\n\x1b[?2004l\r\x1b]133;C\x07\r\n\r\n' +
    "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) built-in shell (ash)\r\nEnter 'help' for a list of built-in commands.\r\n\r\n/data # \x1b[6n";
  const spec = { command: 'docker exec -it redis-1 /bin/sh', prompt: BUSYBOX };
  assert.equal(endedAtPrompt(stream, spec), true);
  assert.equal(outputText(stream, spec), "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) built-in shell (ash)\nEnter 'help' for a list of built-in commands.");
});

test("busybox's line editor: a prompt redrawn while the block is typed does not end it; its wrapped echo is not output", () => {
  const code = 'redis-cli --cluster create 172.38.0.11:6379 172.38.0.12:6379 172.38.0.13:6379 172.38.0.14:6379 172.38.0.15:6379 172.38.0.16:6379 --cluster-replicas 1 --cluster-yes';
  const spec = { command: code, prompt: BUSYBOX };
  const redrawn = '\r/data # \x1b[J';
  assert.equal(endedAtPrompt(redrawn, spec), false, 'the prompt redrawn before the echo');
  const echoed = `${redrawn}redis-cli --cluster create 172.38.0.11:6379 172.38.0.12:6379 172.38.0.13:6379 172.38.0.14:6379 172.38.0.15:6379 \r\r\n172.38.0.16:6379 --cluster-replicas 1 --cluster-yes\r\n`;
  assert.equal(endedAtPrompt(echoed, spec), false, 'the command runs');
  const done = `${echoed}\x1b[29;1m>>> Performing hash slots allocation on 6 nodes...\r\n\x1b[0m\x1b[32;1m[OK] All 16384 slots covered.\r\n\x1b[0m/data # \x1b[6n`;
  assert.equal(endedAtPrompt(done, spec), true);
  assert.equal(outputText(done, spec), '>>> Performing hash slots allocation on 6 nodes...\n[OK] All 16384 slots covered.');
});

test("redis-cli's linenoise redraws the line on every key: only what follows the Enter is output", () => {
  const typing = '\r\x1b[0K127.0.0.1:6379> g\r\x1b[17C\r\x1b[0K127.0.0.1:6379> get\x1b[0;90;49m key\x1b[0m\r\x1b[19C\r\x1b[0K127.0.0.1:6379> get name\r\x1b[24C';
  const spec = { command: 'get name', prompt: REDIS };
  assert.equal(endedAtPrompt(typing, spec), false);
  const done = `${typing}\r\n"zhiyuan"\r\n172.38.0.12:6379> `;
  assert.equal(endedAtPrompt(done, spec), true);
  assert.equal(outputText(done, spec), '"zhiyuan"');
});

test('plain text: escape sequences gone; carriage returns, backspaces and erases act on the line as on a screen', () => {
  assert.equal(plainText('\x1b]133;A\x07\x1b[1;32mok\x1b[0m\r\n50%\r100%\r\n\x1b[?2004hdone'), 'ok\n100%\ndone');
  assert.equal(plainText('\x1b[7mfalse\x1b[27m\b\b\b\b\bfalse'), 'false', "bash's highlighted paste, then the line redrawn over it");
  assert.equal(plainText('downloading 100%\r\x1b[Kdone'), 'done');
  assert.equal(plainText('ab\r\x1b[1Cx'), 'ax');
});

test('a page file names its slug and locale; translations share the slug', () => {
  assert.deepEqual(locatePage('content/docs/docker-network.mdx'), { root: '.', slug: 'docker-network', locale: null });
  assert.deepEqual(locatePage('/srv/lab/src/content/docs/en/docker-network.mdx'), { root: '/srv/lab', slug: 'docker-network', locale: 'en' });
  assert.deepEqual(locatePage('/srv/lab/content/docs/guides/en.mdx'), { root: '/srv/lab', slug: 'guides/en', locale: null });
  assert.equal(locatePage('/srv/lab/README.md'), null);
});

test('judge: exit statuses, expected failures and expected output, every claim that fails', () => {
  assert.deepEqual(judge({ exit: 0, expect: null }, { exitCode: 0, output: '' }), { kind: 'done' });
  assert.deepEqual(judge({ exit: 'nonzero', expect: null }, { exitCode: 2, output: '' }), { kind: 'expected-failure', exitCode: 2 });
  assert.deepEqual(judge({ exit: 'nonzero', expect: null }, { exitCode: 0, output: '' }), { kind: 'failed', mismatches: [{ reason: 'exit', exitCode: 0, expected: 'nonzero' }] });
  assert.deepEqual(judge({ exit: null, expect: '^x$' }, { exitCode: null, output: 'a\nx' }), { kind: 'done' }, 'expect is multiline');
  assert.deepEqual(judge({ exit: 2, expect: /^y$/m }, { exitCode: 1, output: 'x' }), {
    kind: 'failed',
    mismatches: [
      { reason: 'exit', exitCode: 1, expected: 2 },
      { reason: 'no-match', expect: '^y$' },
    ],
  });
  assert.deepEqual(
    [{ reason: 'exit', exitCode: 1, expected: 0 } as const, { reason: 'exit', exitCode: null, expected: 'nonzero' } as const, { reason: 'no-match', expect: 'ok' } as const].map(describeMismatch),
    ['exit status: expected 0, got 1', 'exit status: expected a failure (nonzero), got none', 'output: expected to match /ok/'],
  );
});
