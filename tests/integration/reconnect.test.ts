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

/** 网络实验室 as octal escapes: printf makes the bytes in the sandbox, whatever the shell's locale. */
const CHINESE = String.raw`\347\275\221\347\273\234\345\256\236\351\252\214\345\256\244`;
const CHINESE_TEXT = '网络实验室';
const CHINESE_LINES = 40_000;

/** The numbered lines `N 网络实验室网络实验室` of `text`, checked to be whole, once each, in order. */
function chineseLines(text: string): number[] {
  const lines = withoutOsc(text).split(/\r?\n/).filter((line) => /^\d+ /.test(line));
  for (const line of lines) assert.match(line, new RegExp(`^\\d+ ${CHINESE_TEXT}${CHINESE_TEXT}$`), 'every character whole');
  return lines.map((line) => Number(line.split(' ')[0]));
}

test('a resume inside a multi-byte character: the replay is byte-exact, and a client that keeps its decoder reads every Chinese line whole', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'dind' });
  try {
    const first = await connectTo(runner);
    first.hello();
    const { sessionId } = await first.message('welcome');
    await first.run('stty -echo; PS1=; clear');
    const bytes: Uint8Array[] = [];
    first.onOutput((chunk) => bytes.push(chunk.bytes));
    first.send({ type: 'input', data: `Z=$(printf '${CHINESE}'); seq -f "%g $Z$Z" 1 ${CHINESE_LINES}; echo zh-done\r` });
    await first.waitForOutput(/\n2000 /);
    first.drop();

    // A client asks from inside a character (the second byte of one): it gets exactly the bytes
    // from there. Its own fresh decoder cannot know the character's first byte, so its text starts
    // with U+FFFD; joined to the bytes before the offset, the stream is whole.
    const held = Buffer.concat(bytes);
    const inside = held.lastIndexOf(0xe7, held.length - 8) + 1;
    const probe = await connectTo(runner);
    const probeBytes: Uint8Array[] = [];
    probe.onOutput((chunk) => probeBytes.push(chunk.bytes));
    probe.hello({ sessionId, lastSeq: first.offset - held.length + inside });
    const welcome = await probe.message('welcome');
    assert.equal(welcome.seq, first.offset - held.length + inside, 'the replay starts at the byte asked for');
    assert.equal(welcome.truncated, false);
    await probe.until(() => probe.offset >= first.offset, 30_000, 'the replay up to where the first socket stopped');
    const replayed = Buffer.concat(probeBytes);
    assert.deepEqual(replayed.subarray(0, held.length - inside), held.subarray(inside), 'the same bytes as the first socket had from there');
    assert.ok(probe.output.startsWith('\uFFFD'), 'a fresh decoder shows the character it got only the end of as U+FFFD');
    await probe.close();

    // The first client resumes on a new socket from the byte it holds, with its decoder: whole.
    await first.reconnect();
    await first.waitForOutput(/zh-done\r\n/, 120_000);
    const numbers = chineseLines(first.output);
    assert.equal(numbers.length, CHINESE_LINES, 'every line arrived once');
    assert.ok(numbers.every((n, i) => n === i + 1), 'in order, with no gap and no repeat');
    assert.ok(!first.output.includes('\uFFFD'), 'no character was cut');
    assert.equal(first.outOfSequence, 0);
    await first.close();
  } finally {
    await runner.stop();
  }
});
