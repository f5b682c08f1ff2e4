import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplayBuffer, type Replay } from '../../runner/replay-buffer.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (replay: Replay) => Buffer.concat(replay.chunks.map((c) => c.data)).toString('utf8');

test('replays exactly what follows an offset, slicing inside a chunk', () => {
  const buffer = new ReplayBuffer(100);
  assert.equal(buffer.append(bytes('hello ')), 0);
  assert.equal(buffer.append(bytes('world')), 6);
  const all = buffer.since(0);
  assert.deepEqual({ ...all, chunks: all.chunks.map((c) => c.seq) }, { from: 0, truncated: false, chunks: [0, 6] });
  const mid = buffer.since(8);
  assert.equal(text(mid), 'rld');
  assert.equal(mid.chunks[0]?.seq, 8);
  assert.deepEqual(buffer.since(11).chunks, [], 'nothing after the end');
  assert.equal(buffer.since(999).from, 11, 'an offset beyond the end is clamped');
});

test('offsets count bytes: a resume inside a character gets exactly the bytes after it', () => {
  const buffer = new ReplayBuffer(100);
  buffer.append(bytes('网络')); // 6 bytes: e7 bd 91 e7 bb 9c
  buffer.append(bytes('ok'));
  assert.equal(buffer.end, 8);
  const replay = buffer.since(4); // after e7 bd 91 e7: the client's decoder holds e7
  assert.equal(replay.from, 4);
  assert.equal(replay.truncated, false);
  assert.deepEqual([...Buffer.concat(replay.chunks.map((c) => c.data))], [0xbb, 0x9c, 0x6f, 0x6b]);
});

test('stays bounded, drops the oldest chunks, and says when a replay was trimmed', () => {
  const buffer = new ReplayBuffer(10);
  for (const chunk of ['aaaa', 'bbbb', 'cccc', 'dddd']) buffer.append(bytes(chunk));
  assert.ok(buffer.size <= 10);
  assert.equal(buffer.start, 8);
  const replay = buffer.since(2);
  assert.equal(replay.truncated, true);
  assert.equal(replay.from, 8);
  assert.equal(text(replay), 'ccccdddd');
  assert.equal(buffer.since(9).truncated, false);
});

test('a trimmed replay starts at the first whole character kept, even in a later chunk', () => {
  // The oldest kept chunk starts with the last two bytes of 网 (the client holds nothing of it).
  const buffer = new ReplayBuffer(6);
  const net = bytes('网');
  buffer.append(bytes('ab'));
  buffer.append(net.subarray(0, 1));
  buffer.append(net.subarray(1, 2));
  buffer.append(net.subarray(2));
  buffer.append(bytes('好!'));
  assert.equal(buffer.start, 3, 'the buffer kept the character from its second byte on');
  const replay = buffer.since(0);
  assert.equal(replay.truncated, true);
  assert.equal(replay.from, 5, 'the first whole character kept');
  assert.equal(text(replay), '好!');
  assert.equal(buffer.since(2).from, 5, 'asking from inside the dropped part also starts at a character');
  assert.deepEqual({ from: buffer.since(4).from, truncated: buffer.since(4).truncated }, { from: 4, truncated: false }, 'a resume inside the kept part is byte-exact');
});

test('keeps the newest chunk even when it alone is over the limit', () => {
  const buffer = new ReplayBuffer(4);
  buffer.append(bytes('ab'));
  buffer.append(bytes('0123456789'));
  assert.equal(text(buffer.since(0)), '0123456789');
});

test('many small chunks keep offsets right after compaction', () => {
  const buffer = new ReplayBuffer(50);
  let all = '';
  for (let i = 0; i < 5000; i++) {
    const chunk = String(i % 10);
    all += chunk;
    buffer.append(bytes(chunk));
  }
  const replay = buffer.since(4990);
  assert.equal(text(replay), all.slice(4990));
});
