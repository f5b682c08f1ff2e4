import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckTracker, FlowControl, SendWindow } from '../../src/protocol/flow.ts';
import { MAX_EARLY_BYTES } from '../../src/terminal/early-socket.ts';
import { MAX_OUTPUT_FRAME, REPLAY_LIMIT } from '../../runner/terminal.ts';

test('the watermarks are ordered and the ack step fits the window', () => {
  assert.ok(FlowControl.lowWatermark < FlowControl.highWatermark);
  assert.ok(FlowControl.ackEvery <= FlowControl.highWatermark - FlowControl.lowWatermark);
});

test('the send window pauses above the high watermark and resumes below the low one', () => {
  const window = new SendWindow(100, 10);
  assert.equal(window.sent(60), false);
  assert.equal(window.sent(100), false, 'exactly at the watermark is not above it');
  assert.equal(window.sent(101), true, 'pause once it is exceeded');
  assert.equal(window.paused, true);
  assert.equal(window.sent(150), false, 'already paused: no second pause');
  assert.equal(window.unacked, 150);
  assert.equal(window.acked(100), false, '50 still in flight: stay paused');
  assert.equal(window.acked(141), true, '9 in flight: resume');
  assert.equal(window.paused, false);
  assert.equal(window.unacked, 9);
});

test('acks are cumulative: stale, repeated or impossible ones change nothing', () => {
  const window = new SendWindow(100, 10);
  window.sent(200);
  assert.equal(window.acked(150), false);
  assert.equal(window.acked(120), false, 'older than the last ack');
  assert.equal(window.acked(150), false, 'repeated');
  assert.equal(window.acked(10_000), false, 'beyond what was sent');
  assert.equal(window.unacked, 50);
  assert.equal(window.acked(195), true);
});

test('a restart from a replay offset forgets what the old socket had in flight', () => {
  const window = new SendWindow(100, 10);
  window.sent(500);
  assert.equal(window.paused, true);
  assert.equal(window.restart(300), true, 'resume: the new socket starts empty');
  assert.equal(window.unacked, 0);
  assert.equal(window.sent(500), true, 'the replayed 200 count again');
});

test('the ack tracker acknowledges every step, cumulatively, and flushes the rest', () => {
  const tracker = new AckTracker(1000, 100);
  assert.equal(tracker.parsedUpTo(1050), null);
  assert.equal(tracker.parsedUpTo(1100), 1100);
  assert.equal(tracker.parsedUpTo(1150), null);
  assert.equal(tracker.parsedUpTo(1120), null, 'going backwards changes nothing');
  assert.equal(tracker.flush(), 1150);
  assert.equal(tracker.flush(), null, 'nothing new to flush');
});

test('end to end, a producer paced by the window never has more than high + one chunk in flight', () => {
  const window = new SendWindow();
  const tracker = new AckTracker();
  const chunk = 4096;
  let produced = 0;
  let parsed = 0;
  let paused = false;
  let maxInFlight = 0;
  for (let step = 0; step < 20_000; step++) {
    if (!paused) {
      produced += chunk;
      if (window.sent(produced)) paused = true;
    }
    maxInFlight = Math.max(maxInFlight, produced - parsed);
    // The consumer is slower than the producer: it parses 1000 units a step.
    parsed = Math.min(produced, parsed + 1000);
    const ack = tracker.parsedUpTo(parsed);
    if (ack !== null && window.acked(ack)) paused = false;
  }
  assert.ok(maxInFlight <= FlowControl.highWatermark + chunk, `in flight peaked at ${maxInFlight}`);
  assert.ok(produced > 10_000_000, 'the producer kept going');
});

test('the page holds, before its terminal exists, a whole replay and a window of output after it', () => {
  assert.ok(MAX_EARLY_BYTES >= REPLAY_LIMIT + FlowControl.highWatermark + MAX_OUTPUT_FRAME, `${MAX_EARLY_BYTES} bytes`);
});
