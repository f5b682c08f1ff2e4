/**
 * Where the time goes in one scenario of the benchmark, for one arm: the page's JavaScript (CDP
 * Profiler, 200 µs sampling) and the server's (node --cpu-prof), each summarised as the functions
 * with the most self time (with the source at that spot, since the bundles are minified), and the
 * page's main-thread split (script, layout, style) from Chromium's Performance metrics. For
 * `open`, the page's resource timings too. Profiles go to test-results/.
 *
 *   node tests/bench/browser/profile.ts bulk|echo|open ours-host|ours-dind|wetty|wetty-dom
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { artefactPath, launchChromium } from '../../support/browser.ts';
import { oursTarget, TerminalPage, wettyTargets, type Target } from './arms.ts';
import { runBulk } from './bulk.ts';
import { typeKeys } from './echo.ts';
import { pageMetrics } from './sampling.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const [scenario = 'bulk', armId = 'ours-host'] = process.argv.slice(2);
if (!['bulk', 'echo', 'open'].includes(scenario) || !['ours-host', 'ours-dind', 'wetty', 'wetty-dom'].includes(armId)) {
  process.stderr.write('usage: node tests/bench/browser/profile.ts bulk|echo|open ours-host|ours-dind|wetty|wetty-dom\n');
  process.exit(2);
}
const SITE_DIR = fileURLToPath(new URL('../../../dist/', import.meta.url));
const serverProfiles = artefactPath(`profile-${scenario}-${armId}-server/`);
rmSync(serverProfiles, { recursive: true, force: true }); // an earlier run's profiles
mkdirSync(serverProfiles, { recursive: true });
const nodeOptions = { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${serverProfiles} --cpu-prof-interval=500` };

/** Self time per function, in ms, from the samples and their time deltas. */
function selfTimes(profile: Profile): Map<ProfileNode, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const times = new Map<ProfileNode, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i] as number);
    // A sample's delta is the time since the previous one; it is charged to the sample after it.
    const ms = (deltas[i + 1] ?? 0) / 1000;
    if (node) times.set(node, (times.get(node) ?? 0) + ms);
  }
  return times;
}

async function sourceAt(url: string, line: number, column: number, cache: Map<string, string[]>): Promise<string> {
  if (!url) return '';
  if (!cache.has(url)) {
    let text: string;
    try {
      text = url.startsWith('file:') ? readFileSync(fileURLToPath(url), 'utf8') : url.startsWith('http') ? await (await fetch(url)).text() : '';
    } catch {
      text = ''; // a source we cannot read: the summary shows its name only
    }
    cache.set(url, text.split('\n'));
  }
  return (cache.get(url)?.[line] ?? '').slice(column, column + 70).replace(/\s+/g, ' ');
}

async function summarize(title: string, profile: Profile, top = 18): Promise<string[]> {
  const times = selfTimes(profile);
  const total = [...times.values()].reduce((a, b) => a + b, 0);
  const merged = new Map<string, { ms: number; node: ProfileNode }>();
  for (const [node, ms] of times) {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const key = `${functionName}|${url}|${lineNumber}|${columnNumber}`;
    const entry = merged.get(key) ?? { ms: 0, node };
    entry.ms += ms;
    merged.set(key, entry);
  }
  const byScript = new Map<string, number>();
  for (const [node, ms] of times) {
    const name = node.callFrame.url ? node.callFrame.url.replace(/^.*\//, '') : node.callFrame.functionName || '(native)';
    byScript.set(name, (byScript.get(name) ?? 0) + ms);
  }
  const cache = new Map<string, string[]>();
  const lines = [`## ${title}: ${Math.round(total)} ms sampled`, '', 'By script (self time):'];
  for (const [name, ms] of [...byScript].sort((a, b) => b[1] - a[1]).slice(0, 8)) lines.push(`  ${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${name}`);
  lines.push('', 'Functions with the most self time:');
  for (const { ms, node } of [...merged.values()].sort((a, b) => b.ms - a.ms).slice(0, top)) {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const where = url ? `${url.replace(/^.*\//, '')}:${lineNumber + 1}:${columnNumber + 1}` : '';
    lines.push(`  ${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${functionName || '(anonymous)'} ${where}  ${await sourceAt(url, lineNumber, columnNumber, cache)}`);
  }
  return [...lines, ''];
}

const browser = await launchChromium();
let target: Target;
if (armId.startsWith('ours')) {
  target = await oursTarget(armId, armId, SITE_DIR, { LAB_PROVIDER: armId === 'ours-host' ? 'host' : 'dind', LAB_WARM_SANDBOXES: '1', ...nodeOptions });
} else {
  const [wetty, wettyDom] = await wettyTargets(nodeOptions);
  target = armId === 'wetty' ? wetty : { ...wettyDom, stop: wetty.stop };
}
await target.settle();
const out: string[] = [`# Profile of ${scenario} on ${armId}`, ''];
const startProfiler = async (cdp: import('playwright-core').CDPSession) => {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Performance.enable');
};
const tp = await TerminalPage.open(browser, target, async (cdp) => {
  await startProfiler(cdp);
  if (scenario === 'open') await cdp.send('Profiler.start');
});
const prompt = await tp.prompt();
if (scenario !== 'open') {
  await new Promise((r) => setTimeout(r, 1_000));
  await tp.cdp.send('Profiler.start');
}
const before = await pageMetrics(tp.cdp);
let what = '';
if (scenario === 'bulk') what = `bulk output parsed after ${Math.round(await runBulk(tp))} ms`;
if (scenario === 'echo') {
  const echo = await typeKeys(tp, 200);
  what = `echo p50 ${echo.p50.toFixed(1)} ms, p99 ${echo.p99.toFixed(1)} ms`;
}
if (scenario === 'open') {
  what = `prompt ${Math.round(prompt)} ms after navigation start`;
  const timings = await tp.page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const resources = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((r) => ({
      name: r.name.replace(/^.*\//, '').slice(0, 60),
      start: Math.round(r.startTime),
      end: Math.round(r.responseEnd),
      bytes: r.transferSize,
    }));
    const paints = performance.getEntriesByType('paint').map((p) => `${p.name} ${Math.round(p.startTime)}`);
    return { responseEnd: Math.round(nav.responseEnd), domContentLoaded: Math.round(nav.domContentLoadedEventEnd), load: Math.round(nav.loadEventEnd), resources, paints };
  });
  out.push(`Document response end ${timings.responseEnd} ms, DOMContentLoaded ${timings.domContentLoaded} ms, load ${timings.load} ms; ${timings.paints.join(', ')}.`, '', 'Resources (start → end ms, bytes transferred):');
  for (const r of timings.resources) out.push(`  ${String(r.start).padStart(6)} → ${String(r.end).padStart(6)}  ${String(r.bytes).padStart(8)}  ${r.name}`);
  out.push('');
}
const after = await pageMetrics(tp.cdp);
const { profile } = (await tp.cdp.send('Profiler.stop')) as { profile: Profile };
writeFileSync(artefactPath(`profile-${scenario}-${armId}-page.cpuprofile`), JSON.stringify(profile));
const delta = (name: string) => `${Math.round(((after[name] ?? 0) - (before[name] ?? 0)) * 1000)} ms`;
out.push(
  `${what}; ${await tp.describe()}.`,
  `Page main thread during it: tasks ${delta('TaskDuration')}, script ${delta('ScriptDuration')}, layout ${delta('LayoutDuration')}, style ${delta('RecalcStyleDuration')}.`,
  '',
  ...(await summarize('Page', profile)),
);
await tp.close();
await browser.close();
await target.stop();
// The server writes its profile as it exits.
for (const file of existsSync(serverProfiles) ? readdirSync(serverProfiles).filter((f) => f.endsWith('.cpuprofile')) : []) {
  const server = JSON.parse(readFileSync(serverProfiles + file, 'utf8')) as Profile;
  if ((server.samples?.length ?? 0) < 100) continue; // a child process (npm, env), not the server
  out.push(...(await summarize(`Server process (${file})`, server)));
}
const report = out.join('\n');
writeFileSync(artefactPath(`profile-${scenario}-${armId}.md`), report);
process.stdout.write(`${report}\n`);
