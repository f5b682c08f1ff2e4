/**
 * The doc-tests' command line: `npm run doctest` checks, `npm run record` rewrites the recordings.
 *
 *   node runner/doctest/main.ts [--record [--stale]] [WORD …]
 *
 * WORDs keep the pages whose slug or file contains one of them; --stale keeps the pages with a
 * block whose recording is missing or stale (a page is always recorded whole, in one sandbox). Progress goes to stderr: the page,
 * block n of N and the time since the page started; the summary and failures go to stdout. Exits 1
 * when a block fails, a recording is missing or stale (check mode), or a sandbox is left behind.
 */
import { fileURLToPath } from 'node:url';
import { DocTestRunner, type PageResult } from './doctest.ts';
import { findPages } from './pages.ts';
import { currentProvenance, recordingProblems, writeRecordings } from './recording-store.ts';
import { elapsed, failureReport, progressLine } from './report.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const record = args.includes('--record');
const staleOnly = args.includes('--stale');
const only = args.filter((arg) => !arg.startsWith('--'));
const unknown = args.filter((arg) => arg.startsWith('--') && arg !== '--record' && arg !== '--stale');
if (unknown.length || (staleOnly && !record)) {
  process.stderr.write(`${unknown.length ? `unknown option ${unknown.join(' ')}` : '--stale goes with --record'}; usage: node runner/doctest/main.ts [--record [--stale]] [WORD …]\n`);
  process.exit(2);
}

// The sandbox recipe and the commit: recorded with new recordings, and what stored ones are checked against.
const provenance = await currentProvenance(ROOT).catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
});
const pages = findPages(ROOT, only).filter((page) => !staleOnly || recordingProblems(page, ROOT, provenance).length > 0);
if (staleOnly && pages.length === 0) {
  process.stderr.write('every recording is there and fresh\n');
  process.exit(0);
}
if (pages.length === 0) {
  process.stderr.write(only.length ? `no page with runnable blocks matches ${only.join(' ')}\n` : 'no page has runnable blocks\n');
  process.exit(only.length ? 2 : 0);
}

const tty = process.stderr.isTTY;
const progress = (line: string, final = false) => {
  if (tty) process.stderr.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
  else process.stderr.write(`${line}\n`);
};

const started = performance.now();
process.stderr.write(`${record ? 'Recording' : 'Checking'} ${pages.length} page(s): ${pages.map((p) => `${p.name} (${p.blocks.length} blocks)`).join(', ')}\n`);
const doctests = await DocTestRunner.start();
const results: PageResult[] = [];
let interrupted = false;
const onSignal = () => {
  interrupted = true;
  void doctests.stop().then(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

try {
  for (const page of pages) {
    const result = await doctests.runPage(page, {
      onBlockStart: (i, ms) => progress(progressLine(page, i, ms)),
      onBlockEnd: (outcome) => {
        if (outcome.status === 'failed') {
          progress(`${page.name}  block ${outcome.index + 1}/${page.blocks.length}  failed`, true);
          process.stdout.write(`${failureReport(outcome)}\n`);
        }
      },
    }, { topology: record }); // the network after each block is stored beside its recording
    results.push(result);
    const failed = result.outcomes.filter((o) => o.status !== 'passed').length;
    progress(`${page.name}  ${result.outcomes.length} blocks  ${elapsed(result.ms)}  ${result.error ? 'did not start' : failed ? `${failed} failed or skipped` : 'ok'}`, true);
    if (result.error) process.stdout.write(`✗ ${result.error}\n`);
    if (record && !result.error && failed === 0) writeRecordings(page, result.outcomes, result.engine, provenance);
    if (record && (result.error || failed)) process.stdout.write(`✗ ${page.name}: recordings not written, because the page did not pass\n`);
  }
} finally {
  const left = interrupted ? [] : await doctests.stop();
  if (left.length) process.stdout.write(`✗ left behind on the engine:\n${left.map((l) => `    ${l}`).join('\n')}\n`);
  process.exitCode = left.length ? 1 : 0;
}

const problems = record ? [] : pages.flatMap((page) => recordingProblems(page, ROOT, provenance));
if (problems.length) process.stdout.write(`✗ recordings:\n${problems.map((p) => `    ${p}`).join('\n')}\n`);

const blocks = results.flatMap((r) => r.outcomes);
const failedBlocks = blocks.filter((o) => o.status === 'failed').length;
const skipped = blocks.filter((o) => o.status === 'skipped').length;
const pageErrors = results.filter((r) => r.error).length;
process.stdout.write(
  `\n${results.map((r) => `  ${r.page.name}: ${r.outcomes.filter((o) => o.status === 'passed').length}/${r.page.blocks.length} blocks passed in ${elapsed(r.ms)}${r.engine ? ` (engine ${r.engine})` : ''}`).join('\n')}\n` +
    `${elapsed(performance.now() - started)} in all${problems.length ? '; recordings missing, stale or failing' : ''}${record ? '; recordings written for the pages that passed' : ''}\n` +
    `doctest: ${blocks.length - failedBlocks - skipped} passed, ${failedBlocks} failed, ${skipped} skipped\n`,
);
if (failedBlocks || skipped || pageErrors || problems.length) process.exitCode = 1;
