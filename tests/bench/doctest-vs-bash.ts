/**
 * The whole tutorial, timed two ways on the same engine, interleaved, a few rounds:
 * - doc-tests: the runner, a session, every block typed into its terminal through the wire protocol
 *   and ended by its shell marks, prompts and `until` loops (runner/doctest/);
 * - plain bash: the same commands in one bash script, run with `docker exec` in a fresh sandbox
 *   (a dind container made as the runner makes them). Blocks typed into a program become that
 *   program's standard input; `until=` becomes the same `until …; do sleep 0.5; done` loop.
 * Writes tests/bench/results/doctest-vs-bash.md. Goal: doc-tests ÷ bash ≤ 1.15.
 * Run: node tests/bench/doctest-vs-bash.ts [rounds] [page]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ExtractedBlock } from '../../src/blocks/extract.ts';
import { parseConfig, readSettings } from '../../runner/config.ts';
import { connectEngine } from '../../runner/docker.ts';
import { DocTestRunner } from '../../runner/doctest/doctest.ts';
import { findPages, type DocPage } from '../../runner/doctest/pages.ts';
import { createLogger } from '../../runner/log.ts';
import { DindProvider, dindOptions } from '../../runner/sandbox/dind.ts';

const rounds = Number(process.argv[2] ?? 3);
const slug = process.argv[3] ?? 'docker-network';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const found = findPages(ROOT).find((p) => p.slug === slug);
if (!found) throw new Error(`no runnable page ${slug}`);
const page: DocPage = found;

// ---------------------------------------------------------------------------------------------
// The page as one bash script

const UNTIL_PAUSE = 0.5; // as runner/doctest/block-terminal.ts
const HEREDOC = 'LAB_BENCH_EOF';
/** The script's last line prints this: it ran through (blocks that are meant to fail do not stop it). */
const DONE = 'lab-bench: done';

interface Level {
  prompt: string;
  command: string;
  /** Lines typed into this program since it was last fed. */
  lines: string[];
}

/** `docker exec -it C PROG` -> `docker exec -i C PROG`: the program reads the heredoc, not a terminal. */
function nonInteractive(command: string): string {
  return command.replace(/^docker exec -it /, 'docker exec -i ');
}

/**
 * A stretch of the script, run by one `docker exec`: commands, or a wait: a block at the lab shell
 * with `until=`, whose time is the world's (a cluster electing a new master), not either harness's.
 */
export interface Segment {
  kind: 'commands' | 'wait';
  /** Indexes of the page's blocks it runs. */
  blocks: number[];
  script: string;
}

/**
 * The page as bash, in segments. Each terminal is the lab shell or a stack of programs started by
 * blocks with `prompt=`. A block whose prompt is that of the program on top is typed into it; one
 * whose prompt is an outer program's leaves the inner one (an `exit`); another prompt starts a
 * program inside. What a program was typed is fed to one invocation of it, run when the page moves
 * on to another terminal or leaves the program: the order of the page's commands is kept.
 */
export function toBashScript(blocks: ExtractedBlock[]): Segment[] {
  const segments: Segment[] = [];
  let current: Segment = { kind: 'commands', blocks: [], script: '' };
  const lines: string[] = [];
  const close = () => {
    current.script = ['set -u', ...lines, `echo ${DONE}`].join('\n') + '\n';
    if (current.blocks.length) segments.push(current);
    lines.length = 0;
  };
  const stacks = new Map<string, Level[]>();
  const feed = (stack: Level[]) => {
    const top = stack.at(-1);
    if (!top || top.lines.length === 0) return;
    const [outer, inner, ...deeper] = stack;
    if (!outer || deeper.length) throw new Error('programs nested more than two deep cannot be fed from a script');
    const invocation = inner ? `${nonInteractive(outer.command)} -c '${inner.command.replace(/'/g, `'\\''`)}'` : nonInteractive(outer.command);
    lines.push(`${invocation} <<'${HEREDOC}'`, ...top.lines, HEREDOC);
    top.lines = [];
  };
  const feedOthers = (terminal: string) => {
    for (const [name, stack] of stacks) if (name !== terminal) feed(stack);
  };
  blocks.forEach(({ data, block }, index) => {
    const stack = stacks.get(data.terminal) ?? [];
    stacks.set(data.terminal, stack);
    feedOthers(data.terminal);
    const until = block.until ? `until ${block.until}; do sleep ${UNTIL_PAUSE}; done` : null;
    if (stack.length === 0 && !block.prompt && until) {
      close();
      segments.push({ kind: 'wait', blocks: [index], script: ['set -u', data.command, until, `echo ${DONE}`].join('\n') + '\n' });
      current = { kind: 'commands', blocks: [], script: '' };
      return;
    }
    current.blocks.push(index);
    if (stack.length === 0) {
      if (block.prompt) stack.push({ prompt: block.prompt.source, command: data.command, lines: [] });
      else lines.push(data.command);
      return;
    }
    const prompt = block.prompt?.source;
    const top = stack.at(-1) as Level;
    const outer = stack.findIndex((level) => level.prompt === prompt);
    if (prompt === top.prompt) {
      top.lines.push(data.command, ...(until ? [until] : []));
    } else if (outer >= 0) {
      feed(stack);
      stack.length = outer + 1;
    } else {
      feed(stack);
      stack.push({ prompt: prompt ?? '', command: data.command, lines: [] });
    }
  });
  for (const stack of stacks.values()) feed(stack);
  close();
  return segments;
}

// ---------------------------------------------------------------------------------------------
// The two arms

interface Timing {
  /** From the first command to the last command's end. */
  commandsMs: number;
  /** Of which waiting for the blocks with `until=` at the lab shell. */
  waitsMs: number;
  /** From asking for a sandbox to the last command's end. */
  totalMs: number;
}

async function viaDocTests(doctests: DocTestRunner, waits: Set<number>): Promise<Timing> {
  const asked = performance.now();
  let first = 0;
  let last = 0;
  let waitsMs = 0;
  const result = await doctests.runPage(page, {
    onBlockStart: (i) => {
      if (i === 0) first = performance.now();
    },
    onBlockEnd: (outcome) => {
      last = performance.now();
      if (waits.has(outcome.index)) waitsMs += outcome.durationMs;
    },
  });
  const failed = result.outcomes.filter((o) => o.status !== 'passed');
  if (result.error || failed.length) throw new Error(`the doc-tests failed: ${result.error ?? failed.map((o) => o.failures.join('; ')).join(' | ')}`);
  return { commandsMs: last - first, waitsMs, totalMs: last - asked };
}

const config = parseConfig(readSettings({}, []), () => 'bench-token-0123456789abcdef');
const log = createLogger({ level: 'warn', write: (line) => process.stderr.write(`${line}\n`) });
const provider = new DindProvider(connectEngine(), dindOptions(config, 0), log);
const segments = toBashScript(page.blocks);
const waits = new Set(segments.filter((s) => s.kind === 'wait').flatMap((s) => s.blocks));
if (process.env.LAB_BENCH_SHOW_SCRIPT) {
  for (const segment of segments) process.stdout.write(`# ---- ${segment.kind}: blocks ${segment.blocks.map((b) => b + 1).join(' ')}\n${segment.script}`);
  process.exit(0);
}

function dockerExec(container: string, command: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // -t: the script's own `docker exec -it …` lines need a terminal, as in the lab shell.
    const child = spawn('docker', ['exec', '-t', '-e', 'TERM=xterm-256color', '-w', '/root', container, 'bash', '-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function viaBash(): Promise<Timing> {
  const asked = performance.now();
  const sandbox = await provider.create('bench', () => {});
  try {
    const started = performance.now();
    let waitsMs = 0;
    for (const segment of segments) {
      const from = performance.now();
      const { code, output } = await dockerExec(sandbox.name, segment.script);
      if (segment.kind === 'wait') waitsMs += performance.now() - from;
      // Blocks that are meant to fail do not stop the script: it must only reach its end.
      if (code !== 0 || !output.includes(DONE)) throw new Error(`the bash script stopped (exit ${code}):\n${output.slice(-2000)}`);
    }
    const ended = performance.now();
    return { commandsMs: ended - started, waitsMs, totalMs: ended - asked };
  } finally {
    await sandbox.dispose();
  }
}

// ---------------------------------------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const doctests = await DocTestRunner.start();
const doc: Timing[] = [];
const bash: Timing[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so a warmer engine or page cache favours neither.
    const order = round % 2 === 0 ? ['doc', 'bash'] : ['bash', 'doc'];
    for (const arm of order) {
      const timing = arm === 'doc' ? await viaDocTests(doctests, waits) : await viaBash();
      (arm === 'doc' ? doc : bash).push(timing);
      process.stderr.write(`round ${round + 1} ${arm}: commands ${sec(timing.commandsMs)} (waits ${sec(timing.waitsMs)}), with the sandbox ${sec(timing.totalMs)}\n`);
    }
  }
} finally {
  await doctests.stop();
  await provider.close();
}

const engine = (await connectEngine().version()).Version;
type Measure = (t: Timing) => number;
const measures: [string, Measure][] = [
  ['the whole tutorial (commands)', (t) => t.commandsMs],
  ['without the `until` waits', (t) => t.commandsMs - t.waitsMs],
  ['the `until` waits alone', (t) => t.waitsMs],
  ['with the sandbox start', (t) => t.totalMs],
];
const row = (name: string, xs: Timing[], measure: Measure) => {
  const values = xs.map(measure);
  return `| ${name} | ${sec(median(values))} | ${sec(Math.min(...values))} – ${sec(Math.max(...values))} | ${values.map(sec).join(', ')} |`;
};
const ratio = (measure: Measure) => (median(doc.map(measure)) / median(bash.map(measure))).toFixed(2);
const waitBlocks = [...waits].map((i) => `line ${page.blocks[i]?.line} (\`${page.blocks[i]?.data.command.split('\n')[0]}\`)`).join(', ');
const lines = [
  '# The tutorial through the doc-tests and as one bash script',
  '',
  `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}, Docker engine ${engine}.`,
  `Page \`${page.file}\`: ${page.blocks.length} runnable blocks. ${rounds} rounds, the two arms interleaved, the first arm alternating.`,
  '',
  '- **doc-tests**: the runner (a child process), a new session with its dind sandbox, every block typed into its terminal over',
  "  the page's wire protocol, each ended by the shell's OSC 133 marks, the program's prompt or its `until` loop, and checked.",
  '- **bash**: a dind sandbox made the same way (runner/sandbox/dind.ts), then the same commands with `docker exec -t SANDBOX bash -c`:',
  "  the blocks typed into `redis-1`'s shell and into `redis-cli -c` fed to those programs as standard input, each `until` as the",
  `  same \`until …; do sleep ${UNTIL_PAUSE}; done\` loop. The script runs in ${segments.length} \`docker exec\` calls, split around the waits.`,
  `- The waits: the blocks at the lab shell with \`until=\`: ${waitBlocks}. How long they take is up to the world (a Redis replica`,
  "  taking over after its master stops: a node timeout of 5 s, an election, `redis-cli -c` retrying the stopped master), not",
  '  up to either harness, and it varies from run to run in both.',
  '',
  '| doc-tests | median | range | rounds |',
  '| --- | --- | --- | --- |',
  ...measures.map(([name, m]) => row(name, doc, m)),
  '',
  '| bash | median | range | rounds |',
  '| --- | --- | --- | --- |',
  ...measures.map(([name, m]) => row(name, bash, m)),
  '',
  '| ratio of medians, doc-tests ÷ bash | |',
  '| --- | --- |',
  ...measures.map(([name, m]) => `| ${name} | ${ratio(m)} |`),
  '',
  'Goal: 1.15 or less for the whole tutorial.',
  '',
];
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/doctest-vs-bash.md', import.meta.url), lines.join('\n'));
console.log(lines.join('\n'));
