/**
 * The driver on a page made to fail, through the real runner and a dind sandbox: each kind of
 * failure is reported as what was expected and what came, a block that hangs gets Ctrl-C and the
 * page goes on, a block typed into a program ends at the program's prompt, and a block with no
 * prompt= typed into a program is refused rather than waited for.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocTestRunner } from '../../runner/doctest/doctest.ts';
import type { BlockOutcome } from '../../runner/doctest/page-run.ts';
import { findPages } from '../../runner/doctest/pages.ts';
import { failureReport } from '../../runner/doctest/report.ts';

const PAGE = `---
title: made to fail
---

\`\`\`sh run expect="^hello$"
echo hello
\`\`\`

\`\`\`sh run
false
\`\`\`

\`\`\`sh run exit=nonzero expect="No such file"
ls /nowhere
\`\`\`

\`\`\`sh run expect="nothing like this"
echo something
\`\`\`

\`\`\`sh run timeout=3
sleep 30
\`\`\`

\`\`\`sh run until="test -f /tmp/never" timeout=3
echo waiting
\`\`\`

\`\`\`sh run terminal=other prompt="/data # $"
docker run -it --rm redis:5.0.9-alpine3.11 sh
\`\`\`

\`\`\`sh run terminal=other prompt="/data # $" expect="^inside$"
echo inside
\`\`\`

\`\`\`sh run terminal=other
echo typed into a program without a prompt
\`\`\`

\`\`\`sh run expect="^still going$"
echo still going
\`\`\`
`;

let root: string;
let doctests: DocTestRunner;
let outcomes: BlockOutcome[];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'lab-driver-'));
  mkdirSync(join(root, 'content/docs'), { recursive: true });
  writeFileSync(join(root, 'content/docs/fail.mdx'), PAGE);
  doctests = await DocTestRunner.start();
  const [page] = findPages(root);
  assert.ok(page);
  outcomes = (await doctests.runPage(page)).outcomes;
});

after(async () => {
  await doctests?.stop(); // again, if a test failed before the last one stopped it: stopping twice is harmless
  rmSync(root, { recursive: true, force: true });
});

const outcome = (n: number) => outcomes[n - 1] as BlockOutcome;

test('blocks that hold pass; an expected failure is a pass', () => {
  assert.deepEqual([1, 3, 7, 8, 10].map((n) => [n, outcome(n).status]), [1, 3, 7, 8, 10].map((n) => [n, 'passed']));
  assert.equal(outcome(3).exitCode, 2);
  assert.equal(outcome(8).output, 'inside', 'a block typed into a program: its output without the echo and the prompt');
});

test('a wrong exit status and an unmatched output are reported as expected and got', () => {
  assert.deepEqual(outcome(2).failures, ['exit status: expected 0, got 1']);
  assert.deepEqual(outcome(4).failures, ['output: expected to match /nothing like this/']);
  const report = failureReport(outcome(4));
  assert.match(report, /^✗ fail, block 4 of 10: content\/docs\/fail\.mdx:17 \[\w+\] \(terminal main\)\n {4}\$ echo something\n {2}expected: exit status 0; output matching \/nothing like this\/; within 60 s\n {2}got: {6}output: expected to match \/nothing like this\/\n {2}output:\n {4}\| something$/);
});

test('a block past its timeout gets Ctrl-C, and so does an until that never holds; the page goes on', () => {
  assert.deepEqual(outcome(5).failures, ['the end of the command did not come within 3 s; sent Ctrl-C']);
  // Block 6 ran in the same terminal, so Ctrl-C ended block 5's `sleep 30` and bash came back to
  // its prompt (a terminal that does not come back leaves the rest of the page skipped). How soon
  // is a timing: tests/unit/block-terminal.test.ts pins Ctrl-C at the timeout on fake timers.
  assert.equal(outcome(6).status, 'failed');
  assert.deepEqual(outcome(6).failures, ['until: the condition `test -f /tmp/never` did not exit 0 in time']);
});

test('a block without prompt= is not typed into a program', () => {
  assert.deepEqual(outcome(9).failures, ['terminal other runs a program (an earlier block ended at its prompt), and this block has no prompt= to say when it ends']);
});

test('the failing page leaves nothing behind', async () => {
  assert.deepEqual(await doctests.stop(), []);
});
