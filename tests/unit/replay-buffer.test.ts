import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplayBuffer } from '../../runner/replay-buffer.ts';

const text = (replay: { chunks: { data: string }[] }) => replay.chunks.map((c) => c.data).join('');

test('replays exactly what follows an offset, slicing inside a chunk', () => {
  const buffer = new ReplayBuffer(100);
  assert.equal(buffer.append('hello '), 0);
  assert.equal(buffer.append('world'), 6);
  assert.deepEqual(buffer.since(0), { from: 0, truncated: false, chunks: [{ seq: 0, data: 'hello ' }, { seq: 6, data: 'world' }] });
  const mid = buffer.since(8);
  assert.equal(text(mid), 'rld');
  assert.equal(mid.chunks[0]?.seq, 8);
  assert.deepEqual(buffer.since(11).chunks, [], 'nothing after the end');
  assert.equal(buffer.since(999).from, 11, 'an offset beyond the end is clamped');
});

test('stays bounded, drops the oldest chunks, and says when a replay was trimmed', () => {
  const buffer = new ReplayBuffer(10);
  for (const chunk of ['aaaa', 'bbbb', 'cccc', 'dddd']) buffer.append(chunk);
  assert.ok(buffer.size <= 10);
  assert.equal(buffer.start, 8);
  const replay = buffer.since(2);
  assert.equal(replay.truncated, true);
  assert.equal(replay.from, 8);
  assert.equal(text(replay), 'ccccdddd');
  assert.equal(buffer.since(9).truncated, false);
});

test('keeps the newest chunk even when it alone is over the limit', () => {
  const buffer = new ReplayBuffer(4);
  buffer.append('ab');
  buffer.append('0123456789');
  assert.equal(text(buffer.since(0)), '0123456789');
});

test('many small chunks keep offsets right after compaction', () => {
  const buffer = new ReplayBuffer(50);
  let all = '';
  for (let i = 0; i < 5000; i++) {
    const chunk = String(i % 10);
    all += chunk;
    buffer.append(chunk);
  }
  const replay = buffer.since(4990);
  assert.equal(text(replay), all.slice(4990));
});
