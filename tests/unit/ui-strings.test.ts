/**
 * The lab's UI strings are Starlight's i18n collection (src/content/i18n): both locales name the
 * same keys with the same placeholders, a string a locale lacks is the default locale's (zh-CN),
 * and the terminal's and the blocks' code read them in the shape they use.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zh from '../../src/content/i18n/zh-CN.json' with { type: 'json' };
import en from '../../src/content/i18n/en.json' with { type: 'json' };
import { pick, uiString } from '../../src/components/lab-strings.ts';
import { blockStrings } from '../../src/blocks/page/strings.ts';
import { format, terminalStrings } from '../../src/terminal/strings.ts';

const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

test('both locales have every key, and no string is empty', () => {
  assert.deepEqual(Object.keys(en).sort(), Object.keys(zh).sort());
  for (const [key, text] of [...Object.entries(zh), ...Object.entries(en)]) assert.ok(text.trim().length > 0, key);
});

test('each string has the same placeholders in both locales', () => {
  for (const [key, text] of Object.entries(zh)) {
    assert.deepEqual(placeholders((en as Record<string, string>)[key] ?? ''), placeholders(text), key);
  }
});

test('one fallback rule: a language without the string gets the default locale\'s (zh-CN)', () => {
  assert.equal(uiString('en', 'lab.code.output'), "The tutorial's output");
  assert.equal(uiString('zh-CN', 'lab.code.output'), '教程中的输出');
  assert.equal(uiString('fr', 'lab.code.output'), '教程中的输出');
  assert.equal(uiString(undefined, 'lab.code.hidden'), '准备步骤（点开查看）');
  assert.equal(uiString('en-GB', 'lab.recording.exit', { code: 3 }), 'exit status 3', 'a regional tag takes its language');
});

test('format fills {{name}} and leaves unknown names as they are', () => {
  assert.equal(format('{{n}} of {{total}}: {{command}}', { n: 2, total: 5 }), '2 of 5: {{command}}');
});

test('the terminal reads its strings in its shape, with values filled in', () => {
  const t = terminalStrings(pick((key) => (en as Record<string, string>)[key] ?? '', 'lab.terminal.'));
  assert.equal(t.title, 'Lab terminal');
  assert.equal(t.state.preparing('starting-engine'), 'Starting its Docker engine…');
  assert.equal(t.state.live('host'), 'Connected (host shell)');
  assert.equal(t.state.reconnecting(4), 'Connection lost, reconnecting in 4 s…');
  assert.equal(t.state.reconnecting(0), 'Connection lost, reconnecting…');
  assert.equal(t.ended('exit', 0), 'The shell exited and the sandbox was closed.');
  assert.equal(t.ended('exit', 3), 'The shell exited (status 3) and the sandbox was closed.');
  assert.equal(t.ended('max-age', null), 'The sandbox reached its time limit and was closed.');
  assert.equal(t.failure.capacity, 'The lab is full right now: every sandbox is in use. Try again in a few minutes.');
  assert.equal(t.note.trimmed, '[earlier output was trimmed]');

  const zhT = terminalStrings(pick((key) => (zh as Record<string, string>)[key] ?? '', 'lab.terminal.'));
  assert.equal(zhT.ended('exit', 3), 'shell 已退出（状态 3），沙箱已关闭。');
});

test('a key the page lacks shows as itself, not as nothing', () => {
  assert.equal(terminalStrings({}).title, 'lab.terminal.title');
});

test('the blocks read theirs nested, placeholders kept for the page to fill', () => {
  const s = blockStrings(pick((key) => (zh as Record<string, string>)[key] ?? '', 'lab.blocks.'));
  assert.equal(s.run, '运行');
  assert.equal(s.status.failedExitWanted, '失败：退出状态 {{code}}，应为 {{wanted}}');
  assert.equal(s.progress.running, '正在运行第 {{n}}/{{total}} 个：{{command}}');
  assert.equal(s.offline.retry, '重试');
});
