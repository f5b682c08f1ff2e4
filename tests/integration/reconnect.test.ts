/**
 * A dropped socket loses nothing: output is numbered, the runner keeps it in a bounded replay
 * buffer and pauses the shell while nobody acknowledges it, so a client that reconnects from the
 * offset it holds gets every line exactly once, in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectTo, withoutOsc } from '../support/lab-client.ts';
import { startRunner } from '../support/runner-process.ts';

const LINES = 200_000;

test('reconnecting after a dropped socket resumes the output with nothing lost or doubled', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'dind' });
  try {
    const first = await connectTo(runner);
    first.hello();
    const { sessionId } = await first.message('welcome');
    await first.run('stty -echo; PS1=; clear');
    first.send({ type: 'input', data: `seq 1 ${LINES}; echo seq-done\r` });
    await first.waitForOutput(/\n5000\r\n/);
    first.drop();

    // The page reconnects with the offset just past what it received.
    const second = await connectTo(runner);
    second.hello({ sessionId, lastSeq: first.offset });
    const welcome = await second.message('welcome');
    assert.equal(welcome.resumed, true);
    assert.equal(welcome.seq, first.offset, 'the replay starts exactly where the first socket stopped');
    assert.equal(welcome.truncated, false);
    await second.waitForOutput(/seq-done\r\n/, 120_000);

    const text = withoutOsc(first.output + second.output);
    const numbers = text.split(/\r?\n/).filter((line) => /^\d+$/.test(line)).map(Number);
    assert.equal(numbers.length, LINES, 'every line arrived once');
    assert.ok(numbers.every((n, i) => n === i + 1), 'in order, with no gap and no repeat');
    await second.close();
  } finally {
    await runner.stop();
  }
});

test('a reload (lastSeq 0) replays the scrollback of the same session', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'dind' });
  try {
    const first = await connectTo(runner);
    first.hello();
    const { sessionId } = await first.message('welcome');
    await first.run('echo before-the-reload');
    await first.close();

    const reloaded = await connectTo(runner);
    reloaded.hello({ sessionId, lastSeq: 0 });
    const welcome = await reloaded.message('welcome');
    assert.equal(welcome.resumed, true);
    assert.equal(welcome.seq, 0);
    await reloaded.waitForOutput(/before-the-reload\r\n/);
    const after = await reloaded.run('echo still-the-same-shell $((40 + 2))');
    assert.match(after.output, /still-the-same-shell 42/);
    await reloaded.close();
  } finally {
    await runner.stop();
  }
});
