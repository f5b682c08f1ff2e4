/**
 * The browser's timers and event listeners as disposables (src/common/lifecycle.ts), so that the
 * page registers each with the store of the object that owns it and releases it with that object.
 */
import { toDisposable, type Disposable } from '../common/lifecycle.ts';

export function timeout(ms: number, action: () => void): Disposable {
  const timer = setTimeout(action, ms);
  return toDisposable(() => clearTimeout(timer));
}

export function interval(ms: number, action: () => void): Disposable {
  const timer = setInterval(action, ms);
  return toDisposable(() => clearInterval(timer));
}

export function animationFrame(action: () => void): Disposable {
  const frame = requestAnimationFrame(action);
  return toDisposable(() => cancelAnimationFrame(frame));
}

/** `target.addEventListener(type, listener)` until disposed. */
export function listen<K extends keyof HTMLElementEventMap>(target: HTMLElement | Document | Window, type: K, listener: (event: HTMLElementEventMap[K]) => void, options?: AddEventListenerOptions): Disposable;
export function listen(target: EventTarget, type: string, listener: (event: Event) => void, options?: AddEventListenerOptions): Disposable;
export function listen(target: EventTarget, type: string, listener: (event: Event) => void, options?: AddEventListenerOptions): Disposable {
  target.addEventListener(type, listener, options);
  return toDisposable(() => target.removeEventListener(type, listener, options));
}

/**
 * Adds a stylesheet to the document once, named by `name` (a `data-lab-style` attribute): a lazy
 * chunk's CSS as text, put in when its view first opens rather than in every page's stylesheet.
 */
export function addStylesheetOnce(name: string, css: string): void {
  if (document.querySelector(`style[data-lab-style="${name}"]`)) return;
  const style = document.createElement('style');
  style.dataset.labStyle = name;
  style.textContent = css;
  document.head.append(style);
}
