/**
 * `npm run bench`: this product's terminal side by side with WeTTY (the closest peer: xterm and
 * node-pty over socket.io) and a bare WebSocket floor, on this machine, in one run. Installs WeTTY
 * if missing, runs the browser suite (tests/bench/browser/), then the capacity suite
 * (tests/bench/capacity/) when it is there, and writes tests/bench/RESULTS.md (a quick run of some
 * measures only, test-results/bench-partial.md).
 *
 *   node tests/bench/bench.ts [--rounds N] [--only echo,bulk,inflight,open,js,capacity]
 *                             [--capacity-sandboxes 10,50] [--capacity-host 200]
 *
 * The site must be built (dist/); `npm run bench` through runner/setup/run.sh builds it.
 */
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { artefactPath } from '../support/browser.ts';
import { describeMachine, load } from './browser/machine.ts';
import { renderResults, type RunInfo } from './browser/report.ts';
import { MEASURES, runBrowserSuite, type MeasureName, type SuiteResults } from './browser/suite.ts';
import { ensureWetty } from './peers/wetty.ts';

const ALL = [...MEASURES, 'capacity'] as const;
type Part = (typeof ALL)[number];

function fail(message: string): never {
  process.stderr.write(`${message}\nusage: node tests/bench/bench.ts [--rounds N] [--only ${ALL.join(',')}] [--capacity-sandboxes 10,50] [--capacity-host 200]\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    only: { type: 'string' },
    // The capacity suite's own defaults (tests/bench/capacity/main.ts).
    'capacity-sandboxes': { type: 'string', default: '10,50' },
    'capacity-host': { type: 'string', default: '200' },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds must be a whole number from 1 up; got "${values.rounds}"`);
const only = new Set<Part>(values.only ? (values.only.split(',').map((s) => s.trim()) as Part[]) : ALL);
for (const part of only) if (!ALL.includes(part)) fail(`--only: unknown measure "${part}"`);
const capacitySandboxes = values['capacity-sandboxes'].split(',').filter(Boolean).map(Number);
const capacityHost = Number(values['capacity-host']);
if (!capacitySandboxes.every(Number.isInteger) || !Number.isInteger(capacityHost)) fail('--capacity-sandboxes and --capacity-host take whole numbers');

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
/**
 * The runners serve a copy of dist/ taken at the start: a rebuild of the site during the run
 * (other work on this tree) must not change the pages under the measures.
 */
const SITE_DIR = fileURLToPath(new URL('../../.lab/bench/site/', import.meta.url));
/** A run of every browser measure writes RESULTS.md; a quick run (--only some) writes its own file. */
const complete = MEASURES.every((measure) => only.has(measure));
const RESULTS = complete ? new URL('./RESULTS.md', import.meta.url) : pathToFileURL(artefactPath('bench-partial.md'));
const CAPACITY = new URL('./capacity/capacity.ts', import.meta.url);
if (!existsSync(`${DIST}lab/index.html`)) fail('dist/ has no built site: run `npx astro build` (npm run bench does it for you).');

const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

type RunCapacity = (options: { sandboxes: number[]; hostSessions: number; log: (line: string) => void }) => Promise<string>;

/** The capacity suite (another part of the benchmark, tests/bench/capacity/), or why it is not there. */
async function capacitySuite(): Promise<RunCapacity | string> {
  if (!existsSync(CAPACITY)) return 'tests/bench/capacity/capacity.ts does not exist';
  const module = (await import(CAPACITY.href)) as { runCapacity?: RunCapacity };
  return typeof module.runCapacity === 'function' ? module.runCapacity : 'tests/bench/capacity/capacity.ts exports no runCapacity';
}

const started = new Date();
const loadBefore = load();
log(`load: ${loadBefore}`);
const machine = await describeMachine();
const browserMeasures = new Set([...only].filter((p): p is MeasureName => p !== 'capacity'));
const needsWetty = [...browserMeasures].length > 0;
const wetty = needsWetty ? await ensureWetty(log) : null;

rmSync(SITE_DIR, { recursive: true, force: true });
cpSync(DIST, SITE_DIR, { recursive: true });

let results: SuiteResults = { browserVersion: '', labels: {}, terminals: {}, echo: {}, bulk: {}, inflight: {}, open: {}, js: {}, boots: {}, errors: [] };
if (browserMeasures.size > 0) {
  log(`browser suite: ${[...browserMeasures].join(', ')}, ${rounds} rounds`);
  results = await runBrowserSuite({ rounds, only: browserMeasures, siteDir: SITE_DIR, log });
  writeFileSync(artefactPath('bench-raw.json'), JSON.stringify(results, null, 1));
}

const info = (): RunInfo => ({
  started,
  finished: new Date(),
  rounds,
  measures: [...only],
  machine,
  browser: results.browserVersion ? `Chromium ${results.browserVersion}` : '',
  wetty,
  loadBefore,
  loadAfter: load(),
});
let markdown = browserMeasures.size > 0 ? renderResults(info(), results) : '';
if (markdown) writeFileSync(RESULTS, `${markdown}\n`); // kept if the capacity suite fails

if (only.has('capacity')) {
  const suite = await capacitySuite();
  let section: string;
  if (typeof suite === 'string') {
    section = `## Capacity\n\nNot run: ${suite}.\n`;
    log(`capacity suite skipped: ${suite}`);
  } else {
    log('capacity suite');
    try {
      section = await suite({ sandboxes: capacitySandboxes, hostSessions: capacityHost, log });
    } catch (error) {
      section = `## Capacity\n\nThe capacity suite failed: ${(error as Error).message}\n`;
      log(`capacity suite failed: ${(error as Error).stack ?? error}`);
    }
  }
  markdown = `${browserMeasures.size > 0 ? renderResults(info(), results) : `# Benchmark results\n\nWritten by \`npm run bench\` on ${started.toISOString()}; load before: \`${loadBefore}\`, after: \`${load()}\`.\n`}\n${section.trim()}\n`;
  writeFileSync(RESULTS, markdown);
}
log(`wrote ${fileURLToPath(RESULTS)}`);
process.stdout.write(markdown);
