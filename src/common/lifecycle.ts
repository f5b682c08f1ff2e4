/**
 * One lifecycle convention for the runner and the page (after xterm.js src/common/Lifecycle.ts):
 * whatever must be released later (a timer, a listener, a socket, a child object) is registered
 * with a DisposableStore when it is made, and the owner's dispose() releases all of it, newest
 * first. Platform-neutral: no DOM, no Node. Timers are the caller's: register
 * `toDisposable(() => clearTimeout(timer))`.
 */

export interface Disposable {
  dispose(): void;
}

/** A Disposable that runs `release` once, on its first dispose(). */
export function toDisposable(release: () => void): Disposable {
  let released = false;
  return {
    dispose() {
      if (released) return;
      released = true;
      release();
    },
  };
}

/** Disposes each of `disposables`, all of them even when one throws; then throws what they threw. */
export function disposeAll(disposables: Iterable<Disposable>): void {
  const errors: unknown[] = [];
  for (const disposable of disposables) {
    try {
      disposable.dispose();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed to dispose');
}

/**
 * Disposables released together. Once the store is disposed, anything added to it is disposed at
 * once: a timer armed by a callback that runs after its owner ended never fires.
 */
export class DisposableStore implements Disposable {
  readonly #items = new Set<Disposable>();
  #disposed = false;

  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Registers `item`, or disposes it at once when this store is already disposed. */
  add<T extends Disposable>(item: T): T {
    if (this.#disposed) {
      item.dispose();
      return item;
    }
    this.#items.add(item);
    return item;
  }

  /** Disposes `item` and forgets it (a timer cancelled before it fired). */
  delete(item: Disposable): void {
    if (!this.#items.delete(item)) return;
    item.dispose();
  }

  /** Forgets `item` without disposing it (a timer that fired and released itself). */
  forget(item: Disposable): void {
    this.#items.delete(item);
  }

  /** Disposes what is registered, newest first, and keeps the store usable. */
  clear(): void {
    const items = [...this.#items].reverse();
    this.#items.clear();
    disposeAll(items);
  }

  /** Disposes what is registered, newest first; whatever is added later is disposed on arrival. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.clear();
  }
}

/** Holds at most one disposable; setting another disposes the one held (a re-armed timer). */
export class MutableDisposable<T extends Disposable = Disposable> implements Disposable {
  #value: T | undefined;
  #disposed = false;

  get value(): T | undefined {
    return this.#value;
  }

  set value(value: T | undefined) {
    if (this.#disposed) {
      value?.dispose();
      return;
    }
    if (value === this.#value) return;
    const previous = this.#value;
    this.#value = value;
    previous?.dispose();
  }

  /** Disposes the value held, if any, and holds none. */
  clear(): void {
    this.value = undefined;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const previous = this.#value;
    this.#value = undefined;
    previous?.dispose();
  }
}
