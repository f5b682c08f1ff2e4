import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShellMarkReader } from '../../src/protocol/shell-marks.ts';

const prompt = '\x1b]133;A\x07[root@lab ~]# \x1b]133;B\x07';

test('reads prompt, command and exit marks with their offsets', () => {
  const reader = new ShellMarkReader();
  const text = `${prompt}false\r\n\x1b]133;C\x07\x1b]133;D;1\x07${prompt}`;
  const marks = reader.feed(text, 100);
  assert.deepEqual(
    marks.map((m) => m.kind),
    ['prompt-start', 'command-start', 'command-executed', 'command-finished', 'prompt-start', 'command-start'],
  );
  const finished = marks[3];
  assert.equal(finished?.kind === 'command-finished' && finished.exitCode, 1);
  assert.equal(finished?.at, 100 + text.indexOf('\x1b]133;D;1\x07') + '\x1b]133;D;1\x07'.length);
});

test('a mark split across chunks at every position is reported once', () => {
  const text = 'out\x1b]133;D;130\x07after';
  for (let cut = 1; cut < text.length; cut++) {
    const reader = new ShellMarkReader();
    const marks = [...reader.feed(text.slice(0, cut), 0), ...reader.feed(text.slice(cut), cut)];
    assert.deepEqual(marks, [{ kind: 'command-finished', at: text.indexOf('after'), exitCode: 130 }], `cut at ${cut}`);
  }
});

test('ST-terminated marks count; other OSC sequences and garbage do not', () => {
  const reader = new ShellMarkReader();
  const marks = reader.feed('\x1b]0;title\x07\x1b]133;C\x1b\\\x1b]133;Z\x07\x1b]133;D;x\x07', 0);
  assert.deepEqual(
    marks.map((m) => [m.kind, m.kind === 'command-finished' ? m.exitCode : undefined]),
    [
      ['command-executed', undefined],
      ['command-finished', null],
    ],
  );
});

test('on bytes: offsets are byte offsets, and Chinese text around a mark is not mistaken for one', () => {
  const text = `网络\x1b]133;D;0\x07你好${prompt}`;
  const bytes = new TextEncoder().encode(text);
  const marks = new ShellMarkReader().feed(bytes, 10);
  assert.deepEqual(marks.map((m) => m.kind), ['command-finished', 'prompt-start', 'command-start']);
  const markEnd = new TextEncoder().encode('网络\x1b]133;D;0\x07').length;
  assert.deepEqual(marks[0], { kind: 'command-finished', at: 10 + markEnd, exitCode: 0 });
  assert.equal(marks[2]?.at, 10 + bytes.length);
});

test('on bytes: a mark split across frames at every byte position is reported once', () => {
  const bytes = new TextEncoder().encode('中文\x1b]133;D;130\x07之后');
  const after = new TextEncoder().encode('中文\x1b]133;D;130\x07').length;
  for (let cut = 1; cut < bytes.length; cut++) {
    const reader = new ShellMarkReader();
    const marks = [...reader.feed(bytes.subarray(0, cut), 0), ...reader.feed(bytes.subarray(cut), cut)];
    assert.deepEqual(marks, [{ kind: 'command-finished', at: after, exitCode: 130 }], `cut at ${cut}`);
  }
});

test('on bytes: an OSC that is not ours, cut by a frame, is not kept', () => {
  const reader = new ShellMarkReader();
  assert.deepEqual(reader.feed(new TextEncoder().encode('\x1b]0;a title that goes on'), 0), []);
  assert.deepEqual(reader.feed(new TextEncoder().encode('\x07\x1b]133;B\x07'), 24), [{ kind: 'command-start', at: 24 + 9 }]);
});
