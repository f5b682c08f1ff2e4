/** The disposable store every timer and listener of the runner and the page is registered with. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DisposableStore, MutableDisposable, disposeAll, toDisposable } from '../../src/common/lifecycle.ts';

function recorder(log: string[], name: string) {
  return toDisposable(() => log.push(name));
}

test('toDisposable releases once, however often it is disposed', () => {
  let released = 0;
  const d = toDisposable(() => released++);
  d.dispose();
  d.dispose();
  assert.equal(released, 1);
});

test('a store disposes what it holds, newest first, and only once', () => {
  const log: string[] = [];
  const store = new DisposableStore();
  store.add(recorder(log, 'socket'));
  store.add(recorder(log, 'terminal'));
  store.add(recorder(log, 'timer'));
  store.dispose();
  store.dispose();
  assert.deepEqual(log, ['timer', 'terminal', 'socket']);
  assert.equal(store.isDisposed, true);
});

test('what is added after the store was disposed is disposed at once', () => {
  const log: string[] = [];
  const store = new DisposableStore();
  store.dispose();
  const late = store.add(recorder(log, 'late timer'));
  assert.deepEqual(log, ['late timer']);
  assert.ok(late, 'add returns what it was given');
});

test('delete disposes one item and forgets it; forget only forgets', () => {
  const log: string[] = [];
  const store = new DisposableStore();
  const a = store.add(recorder(log, 'a'));
  const b = store.add(recorder(log, 'b'));
  store.add(recorder(log, 'c'));
  store.delete(a);
  assert.deepEqual(log, ['a']);
  store.forget(b);
  store.dispose();
  assert.deepEqual(log, ['a', 'c'], 'b was forgotten, not disposed; a not twice');
});

test('clear disposes what is held and the store takes more afterwards', () => {
  const log: string[] = [];
  const store = new DisposableStore();
  store.add(recorder(log, 'first'));
  store.clear();
  store.add(recorder(log, 'second'));
  assert.deepEqual(log, ['first'], 'after clear, a new item is held, not disposed');
  store.dispose();
  assert.deepEqual(log, ['first', 'second']);
});

test('one disposable that throws does not keep the others from being released', () => {
  const log: string[] = [];
  const store = new DisposableStore();
  store.add(recorder(log, 'a'));
  store.add(toDisposable(() => {
    throw new Error('boom');
  }));
  store.add(recorder(log, 'c'));
  assert.throws(() => store.dispose(), { message: 'boom' });
  assert.deepEqual(log, ['c', 'a']);
});

test('disposeAll reports every failure together', () => {
  const fail = (message: string) => toDisposable(() => {
    throw new Error(message);
  });
  assert.throws(() => disposeAll([fail('one'), fail('two')]), (error: unknown) => {
    assert.ok(error instanceof AggregateError);
    assert.deepEqual(error.errors.map((e: Error) => e.message), ['one', 'two']);
    return true;
  });
});

test('a mutable disposable disposes the value it held when given another, and on dispose', () => {
  const log: string[] = [];
  const slot = new MutableDisposable();
  slot.value = recorder(log, 'first');
  slot.value = recorder(log, 'second');
  assert.deepEqual(log, ['first']);
  slot.clear();
  assert.deepEqual(log, ['first', 'second']);
  assert.equal(slot.value, undefined);
  slot.value = recorder(log, 'third');
  slot.dispose();
  slot.value = recorder(log, 'after');
  assert.deepEqual(log, ['first', 'second', 'third', 'after'], 'a value set after dispose is disposed at once');
});

test('a store holds timers as callers register them, and cancels them on dispose', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const store = new DisposableStore();
  let fired = 0;
  const timer = setTimeout(() => fired++, 1000);
  store.add(toDisposable(() => clearTimeout(timer)));
  t.mock.timers.tick(500);
  store.dispose();
  t.mock.timers.tick(1000);
  assert.equal(fired, 0);
});
