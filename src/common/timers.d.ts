// The timers the browser and Node both have, for src/common's own tsconfig, which has neither's
// types (no DOM library, no @types/node). A handle is opaque here: only clearTimeout reads it.
// The root tsconfig leaves this file out, so the page and the runner see their platform's own.
declare function setTimeout(handler: () => void, ms?: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare function queueMicrotask(callback: () => void): void;
