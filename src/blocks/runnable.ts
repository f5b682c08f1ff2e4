/**
 * Runnable blocks: the fence metadata that makes a code block runnable, parsed in one place.
 * The site's build-time transform and the doc-test driver both call `parseRunnableMeta`, so the
 * page and the tests never disagree about what a block is. No DOM, no Node.
 *
 *   ```sh run terminal=redis prompt="/data # $" expect="cluster_state:ok" until="..." timeout=90
 *
 * See content/AUTHORING.md for the authors' guide.
 */

export interface RunnableBlock {
  /** The terminal of the session that runs it; `main` is the sandbox host's shell. */
  terminal: string;
  /** Expected exit status: a number, or `nonzero` for an expected failure. Null inside a program (no status). */
  exit: number | 'nonzero' | null;
  /** Output must match (ANSI and OSC sequences removed, multiline). */
  expect: RegExp | null;
  /** Re-run this command in the same terminal until it exits 0 (an eventually-true state). */
  until: string | null;
  /** Seconds to wait for the block (and its `until`) to finish. */
  timeout: number;
  /** The block is typed into an interactive program; this prompt coming back ends it. */
  prompt: RegExp | null;
  /** A setup step shown collapsed. */
  hidden: boolean;
}

export type FenceKind =
  | { kind: 'runnable'; block: RunnableBlock }
  | { kind: 'output' }
  | { kind: 'plain' };

export class RunnableMetaError extends Error {
  override name = 'RunnableMetaError';
}

export const DEFAULT_TIMEOUT_SECONDS = 60;
const TERMINAL_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const KNOWN = new Set(['run', 'output', 'terminal', 'exit', 'expect', 'until', 'timeout', 'prompt', 'hidden']);

/** Splits `a b=c d="e f"` into [key, value|null] pairs; quotes may hold \" and \\. */
export function tokenizeMeta(meta: string): [string, string | null][] {
  const tokens: [string, string | null][] = [];
  const pattern = /\s*([A-Za-z][\w-]*)(?:=(?:"((?:[^"\\]|\\.)*)"|([^\s"]\S*)))?/y;
  let at = 0;
  while (at < meta.length) {
    if (/^\s*$/.test(meta.slice(at))) break;
    pattern.lastIndex = at;
    const match = pattern.exec(meta);
    if (!match) throw new RunnableMetaError(`cannot read fence metadata at "${meta.slice(at, at + 20)}"`);
    const quoted = match[2] !== undefined ? match[2].replace(/\\(["\\])/g, '$1') : undefined;
    tokens.push([match[1] as string, quoted ?? match[3] ?? null]);
    at = pattern.lastIndex;
  }
  return tokens;
}

function regex(key: string, source: string): RegExp {
  try {
    return new RegExp(source, 'm');
  } catch (error) {
    throw new RunnableMetaError(`${key}: not a valid regular expression: ${(error as Error).message}`);
  }
}

/**
 * Reads a fence's language and meta. Keys other fence plugins use (title="…", frame=…) are left
 * alone unless the fence is `run` or `output`; in those, an unknown key is an error, so a typo
 * (`expct=`) cannot silently drop an expectation.
 */
export function parseFence(lang: string | null | undefined, meta: string | null | undefined): FenceKind {
  // Other plugins' meta ({1,3}, ins=…) need not tokenize: only fences that name run or output are ours.
  const bareWords = (meta ?? '').replace(/"(?:[^"\\]|\\.)*"/g, '""').split(/\s+/);
  if (!bareWords.includes('run') && !bareWords.includes('output')) return { kind: 'plain' };
  const tokens = tokenizeMeta(meta ?? '');
  const keys = new Map(tokens);
  if (keys.has('output') && !keys.has('run')) return { kind: 'output' };
  if (!keys.has('run')) return { kind: 'plain' };
  if (lang !== 'sh' && lang !== 'bash') throw new RunnableMetaError(`a runnable block is a sh fence, not ${lang ?? 'one without a language'}`);
  if (keys.has('output')) throw new RunnableMetaError('a block is either run or output, not both');
  for (const [key, value] of tokens) {
    if (!KNOWN.has(key)) throw new RunnableMetaError(`unknown key ${key}; runnable blocks take ${[...KNOWN].filter((k) => k !== 'output').join(', ')}`);
    if (['run', 'hidden'].includes(key) && value !== null) throw new RunnableMetaError(`${key} takes no value`);
    if (!['run', 'hidden'].includes(key) && (value === null || value === '')) throw new RunnableMetaError(`${key} needs a value`);
  }

  const terminal = keys.get('terminal') ?? 'main';
  if (!TERMINAL_NAME.test(terminal)) throw new RunnableMetaError(`terminal: "${terminal}" is not a terminal name (a-z, 0-9, -)`);
  const prompt = keys.has('prompt') ? regex('prompt', keys.get('prompt') as string) : null;
  const rawExit = keys.get('exit');
  let exit: RunnableBlock['exit'] = prompt ? null : 0;
  if (rawExit !== undefined) {
    if (prompt) throw new RunnableMetaError('exit: a block typed into a program (prompt=) has no exit status');
    if (rawExit === 'nonzero') exit = 'nonzero';
    else if (/^\d{1,3}$/.test(rawExit as string) && Number(rawExit) <= 255) exit = Number(rawExit);
    else throw new RunnableMetaError(`exit: "${rawExit}" is not 0-255 or nonzero`);
  }
  const rawTimeout = keys.get('timeout');
  const timeout = rawTimeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(rawTimeout);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600) throw new RunnableMetaError(`timeout: "${rawTimeout}" is not a whole number of seconds from 1 to 3600`);
  return {
    kind: 'runnable',
    block: {
      terminal,
      exit,
      expect: keys.has('expect') ? regex('expect', keys.get('expect') as string) : null,
      until: keys.get('until') ?? null,
      timeout,
      prompt,
      hidden: keys.has('hidden'),
    },
  };
}

/** A block's code as both the page and the doc-tests see it: no trailing blanks or newline. */
export function normalizeCode(code: string): string {
  return code
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');
}

/** FNV-1a, twice with different seeds: a short stable hash. Not for security. */
export function shortHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193 + 0x1000);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0').slice(0, 4);
}

/**
 * Names the runnable blocks of one page, in order. A block's id comes from its code, so a
 * recording follows its block when others are inserted around it; a repeated command gets -2, -3.
 */
export class BlockNamer {
  readonly #seen = new Map<string, number>();

  next(code: string): string {
    const base = shortHash(normalizeCode(code));
    const count = (this.#seen.get(base) ?? 0) + 1;
    this.#seen.set(base, count);
    return count === 1 ? base : `${base}-${count}`;
  }
}

/** What a recording is checked against: a block changes when its code or its metadata does. */
export function sourceHash(meta: string, code: string): string {
  return shortHash(`${meta.trim()}\n${normalizeCode(code)}`);
}

/** A runnable block as the page receives it (a data attribute): regular expressions as sources. */
export interface RunnableBlockData {
  id: string;
  terminal: string;
  exit: number | 'nonzero' | null;
  expect: string | null;
  until: string | null;
  timeout: number;
  prompt: string | null;
  hidden: boolean;
  command: string;
}

export function toBlockData(id: string, block: RunnableBlock, code: string): RunnableBlockData {
  return {
    id,
    terminal: block.terminal,
    exit: block.exit,
    expect: block.expect?.source ?? null,
    until: block.until,
    timeout: block.timeout,
    prompt: block.prompt?.source ?? null,
    hidden: block.hidden,
    command: normalizeCode(code),
  };
}
