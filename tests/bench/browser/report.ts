/**
 * RESULTS.md from one run: per measure a table of medians over the rounds with their spread
 * (min–max), ratios against WeTTY and the floor, and each goal the project set, met or missed.
 * Every number here comes from the results it is given; nothing is filled in.
 */
import type { BulkRound } from './bulk.ts';
import type { EchoRound } from './echo.ts';
import type { Machine } from './machine.ts';
import type { PageJs } from './page-js.ts';
import { median, percentile, summarize, type Summary } from './stats.ts';
import { ARMS, JS_PAGES, type SuiteResults } from './suite.ts';

export interface RunInfo {
  started: Date;
  finished: Date;
  rounds: number;
  measures: string[];
  machine: Machine;
  browser: string;
  wetty: { version: string; xtermVersion: string; socketIoVersion: string } | null;
  loadBefore: string;
  loadAfter: string;
}

const MIB = 1024 * 1024;
/** The goals, as the project set them (issue 5; echo, bulk, Ctrl-C and page open as issue 12 raised them). */
export const GOALS = {
  echoP50VsWetty: 0.6,
  echoP99VsP50: 3,
  bulkVsWetty: 0.5,
  inFlightBytes: 500 * 1000,
  /**
   * "RSS flat": the runner's peak RSS does not grow from one bulk run to the next by more than
   * this (17 MB stream each run). The first run's one-time growth (heap and JIT warming up) is shown.
   */
  rssFlatBytes: 8 * MIB,
  /** Ctrl-C to prompt, in a dind sandbox (issue 12; issue 5 asked 200 ms of the host shell). */
  ctrlCMs: 150,
  /** A dind sandbox's figure (echo p50, bulk time, Ctrl-C) at most this times the host shell's. */
  dindVsHost: 1.15,
  /** Page open to prompt, fresh sandbox (no warm pool) and from the warm pool, against WeTTY's. */
  freshOpenVsWetty: 1.2,
  warmOpenVsWetty: 0.8,
  pageJsBytes: 15 * 1000,
} as const;

const ms = (x: number) => (Number.isFinite(x) ? (x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(1)} ms`) : '–');
const kb = (x: number) => (Number.isFinite(x) ? `${(x / 1000).toFixed(1)} KB` : '–');
const mib = (x: number) => (Number.isFinite(x) ? `${(x / MIB).toFixed(1)} MiB` : '–');
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–');
const spread = (s: Summary, unit: (x: number) => string) => (s.n === 0 ? '–' : `${unit(s.median)} (${unit(s.min)}–${unit(s.max)})`);
const status = (met: boolean | null) => (met === null ? 'not measured' : met ? '**met**' : '**missed**');

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

interface Goal {
  goal: string;
  figure: string;
  met: boolean | null;
}

export function renderResults(info: RunInfo, r: SuiteResults): string {
  const label = (id: string) => r.labels[id] ?? id;
  const goals: Goal[] = [];
  const head: string[] = [
    '# Benchmark results: this product\'s terminal vs WeTTY vs a bare WebSocket floor',
    '',
    `Written by \`npm run bench\` (tests/bench/bench.ts) on ${info.started.toISOString()}; ran ${Math.round((info.finished.getTime() - info.started.getTime()) / 60_000)} min, ${info.rounds} rounds, measures: ${info.measures.join(', ')}.`,
    '',
    `- Machine: ${info.machine.cores} × ${info.machine.cpu}, ${info.machine.ramGiB} GiB RAM, Linux ${info.machine.kernel}`,
    `- Load (\`uptime\`) before: \`${info.loadBefore}\`; after: \`${info.loadAfter}\`. Other work shared the machine; arms are interleaved within each round so it hits all of them alike.`,
    `- Versions: Node ${info.machine.node}; ${info.browser || 'Chromium'} (Debian, headless, no GPU; playwright-core ${info.machine.playwright}); ours: @xterm/xterm ${info.machine.xterm}; WeTTY ${info.wetty ? `${info.wetty.version} (@xterm/xterm ${info.wetty.xtermVersion}, socket.io ${info.wetty.socketIoVersion})` : 'not installed'}; Docker engine ${info.machine.dockerEngine}.`,
    '- Arms: **ours** = the lab page against the runner (host provider: bash on this machine, like WeTTY; dind: a sandbox container); **WeTTY** as shipped (it draws with xterm\'s WebGL addon, which here runs on Chromium\'s software rasteriser) and **WeTTY, DOM renderer** (the same server, the page without WebGL2: the renderer ours uses without a GPU); **floor** = a page and a loopback `ws` server, no pty, no terminal emulator.',
    '- Spread: each cell is the median over the rounds, (min–max) over the rounds. Ratios divide medians. Every round\'s raw figures: test-results/bench-raw.json. Where the time goes in one scenario: `node tests/bench/browser/profile.ts bulk|echo|open ours-host|ours-dind|wetty|wetty-dom` (page and server CPU profiles).',
    '',
  ];
  const lines: string[] = [];

  // (a) Key to echo
  if (Object.keys(r.echo).length > 0) {
    const p50 = (id: string) => median((r.echo[id] ?? []).map((x) => x.p50));
    const p99 = (id: string) => median((r.echo[id] ?? []).map((x) => x.p99));
    lines.push(
      '## (a) Key to echo',
      '',
      'A real key press (CDP input) at a shell prompt, from the keydown event\'s timestamp to the echoed character parsed by xterm (the floor: the echo received), both in the page. 200 keys a round, 25 ms apart, in lines of 40 cleared with Ctrl-U; p50 and p99 per round.',
      '',
      ...table(
        ['arm', 'terminal', 'p50', 'p99', 'p99 ÷ p50', 'all keys pooled p50 / p99', 'missed', 'p50 ÷ WeTTY', 'p50 ÷ WeTTY DOM', 'p50 ÷ floor'],
        ARMS.echo.filter((id) => r.echo[id]).map((id) => {
          const rounds = r.echo[id] as EchoRound[];
          const pooled = rounds.flatMap((x) => x.latencies);
          return [
            label(id),
            r.terminals[id] ?? '',
            spread(summarize(rounds.map((x) => x.p50)), ms),
            spread(summarize(rounds.map((x) => x.p99)), ms),
            ratio(p99(id), p50(id)),
            `${ms(percentile(pooled, 50))} / ${ms(percentile(pooled, 99))}`,
            String(rounds.reduce((n, x) => n + x.missed, 0)),
            ratio(p50(id), p50('wetty')),
            ratio(p50(id), p50('wetty-dom')),
            ratio(p50(id), p50('floor')),
          ];
        }),
      ),
      '',
    );
    for (const id of ['ours-host', 'ours-dind']) {
      if (!r.echo[id]) continue;
      const where = id === 'ours-host' ? 'host' : 'dind';
      if (r.echo.wetty) {
        goals.push({ goal: `echo p50 ≤ ${GOALS.echoP50VsWetty}× WeTTY's (${where})`, figure: `${ratio(p50(id), p50('wetty'))} (${ms(p50(id))} vs ${ms(p50('wetty'))}); vs WeTTY DOM ${ratio(p50(id), p50('wetty-dom'))}`, met: p50(id) / p50('wetty') <= GOALS.echoP50VsWetty });
      }
      goals.push({ goal: `echo p99 ≤ ${GOALS.echoP99VsP50}× p50 (${where})`, figure: `${ratio(p99(id), p50(id))} (${ms(p99(id))} / ${ms(p50(id))})`, met: p99(id) <= GOALS.echoP99VsP50 * p50(id) });
    }
    if (r.echo['ours-host'] && r.echo['ours-dind']) {
      goals.push({ goal: `echo p50: dind ≤ ${GOALS.dindVsHost}× host`, figure: `${ratio(p50('ours-dind'), p50('ours-host'))} (${ms(p50('ours-dind'))} vs ${ms(p50('ours-host'))})`, met: p50('ours-dind') <= GOALS.dindVsHost * p50('ours-host') });
    }
  }

  // (b) Bulk output
  if (Object.keys(r.bulk).length > 0) {
    const time = (id: string) => median((r.bulk[id] ?? []).map((x) => x.ms));
    const growth = (x: BulkRound) => x.rssPeak - x.rssBefore;
    lines.push(
      '## (b) Bulk output: `seq 1 2000000`',
      '',
      'From Enter (the command line sent) to `DONE-2`, printed after the output by `echo DONE-$((1+1))`, parsed by the terminal (the floor: received; its server sends the same 17 MB in 64 KiB frames). Server RSS sampled every 50 ms (/proc VmRSS of the runner\'s, WeTTY\'s or the floor\'s node process); page heap is Chromium\'s JSHeapUsedSize, polled every 250 ms; page main-thread time is the growth of Chromium\'s TaskDuration metric during the run.',
      '',
      ...table(
        ['arm', 'terminal', 'time', '÷ WeTTY', '÷ WeTTY DOM', '÷ floor', 'server RSS before → peak', 'RSS growth in run', 'server CPU', 'page heap peak', 'page main thread busy'],
        ARMS.bulk.filter((id) => r.bulk[id]).map((id) => {
          const rounds = r.bulk[id] as BulkRound[];
          return [
            label(id),
            r.terminals[id] ?? '',
            spread(summarize(rounds.map((x) => x.ms)), ms),
            ratio(time(id), time('wetty')),
            ratio(time(id), time('wetty-dom')),
            ratio(time(id), time('floor')),
            `${mib(median(rounds.map((x) => x.rssBefore)))} → ${mib(median(rounds.map((x) => x.rssPeak)))}`,
            spread(summarize(rounds.map(growth)), mib),
            spread(summarize(rounds.map((x) => x.serverCpuMs)), ms),
            spread(summarize(rounds.map((x) => x.heapPeak)), mib),
            spread(summarize(rounds.map((x) => x.taskMs)), ms),
          ];
        }),
      ),
      '',
    );
    const ctrlC = (id: string) => median((r.bulk[id] ?? []).map((x) => x.ctrlC ?? NaN).filter(Number.isFinite));
    lines.push(
      '### Ctrl-C during `yes`',
      '',
      '`yes` runs for a second, then a real Ctrl+C: from its keydown to the next prompt parsed, and how much output the terminal parsed in between (output already on its way: in flight to the page, or buffered between the shell and the server).',
      '',
      ...table(
        ['arm', 'Ctrl-C → prompt', 'output parsed in between', '÷ WeTTY', '÷ WeTTY DOM'],
        ARMS.bulk.filter((id) => r.bulk[id] && id !== 'floor').map((id) => [
          label(id),
          spread(summarize((r.bulk[id] ?? []).map((x) => x.ctrlC ?? NaN)), ms),
          spread(summarize((r.bulk[id] ?? []).map((x) => x.ctrlCChars ?? NaN)), kb),
          ratio(ctrlC(id), ctrlC('wetty')),
          ratio(ctrlC(id), ctrlC('wetty-dom')),
        ]),
      ),
      '',
    );
    for (const id of ['ours-host', 'ours-dind']) {
      if (!r.bulk[id] || !r.bulk.wetty) continue;
      goals.push({ goal: `bulk ≤ ${GOALS.bulkVsWetty}× WeTTY's time (${id === 'ours-host' ? 'host' : 'dind'})`, figure: `${ratio(time(id), time('wetty'))} (${ms(time(id))} vs ${ms(time('wetty'))}); vs WeTTY DOM ${ratio(time(id), time('wetty-dom'))}`, met: time(id) <= GOALS.bulkVsWetty * time('wetty') });
    }
    const host = r.bulk['ours-host'];
    if (host && host.length > 0) {
      const drift = (host.at(-1)?.rssPeak ?? 0) - (host[0]?.rssPeak ?? 0);
      goals.push({
        goal: `runner RSS flat (peak grows ≤ ${mib(GOALS.rssFlatBytes)} from the first bulk round to the last)`,
        figure: `peaks ${host.map((x) => (x.rssPeak / MIB).toFixed(0)).join(', ')} MiB: ${mib(drift)}; first run grew ${mib(host[0] ? growth(host[0]) : NaN)} once (WeTTY peaks ${(r.bulk.wetty ?? []).map((x) => (x.rssPeak / MIB).toFixed(0)).join(', ')} MiB)`,
        met: drift <= GOALS.rssFlatBytes,
      });
    }
    if (r.bulk['ours-dind']) {
      goals.push({ goal: `Ctrl-C → prompt ≤ ${GOALS.ctrlCMs} ms (dind sandbox)`, figure: `${ms(ctrlC('ours-dind'))} (host ${ms(ctrlC('ours-host'))}, WeTTY ${ms(ctrlC('wetty'))}, WeTTY DOM ${ms(ctrlC('wetty-dom'))})`, met: ctrlC('ours-dind') <= GOALS.ctrlCMs });
      if (host) {
        goals.push({ goal: `bulk: dind ≤ ${GOALS.dindVsHost}× host`, figure: `${ratio(time('ours-dind'), time('ours-host'))} (${ms(time('ours-dind'))} vs ${ms(time('ours-host'))})`, met: time('ours-dind') <= GOALS.dindVsHost * time('ours-host') });
        goals.push({ goal: `Ctrl-C → prompt: dind ≤ ${GOALS.dindVsHost}× host`, figure: `${ratio(ctrlC('ours-dind'), ctrlC('ours-host'))} (${ms(ctrlC('ours-dind'))} vs ${ms(ctrlC('ours-host'))})`, met: ctrlC('ours-dind') <= GOALS.dindVsHost * ctrlC('ours-host') });
      }
    }
  }

  // In flight
  if (Object.keys(r.inflight).length > 0) {
    lines.push(
      '### Output in flight during the bulk run',
      '',
      'One more bulk run per arm, untimed, with every WebSocket frame reported through CDP: the most output the page had received but not yet acknowledged (ours: output offset received − last `ack.upTo` sent; WeTTY: characters of `data` received − `commit`s sent), in characters (= bytes here, all ASCII).',
      '',
      ...table(
        ['arm', 'max in flight', 'output frames', 'mean frame', 'acks sent'],
        ARMS.inflight.filter((id) => r.inflight[id]).map((id) => {
          const x = r.inflight[id];
          return x ? [label(id), kb(x.maxInFlight), String(x.frames), kb(x.chars / Math.max(1, x.frames)), String(x.acks)] : [];
        }),
      ),
      '',
    );
    for (const id of ['ours-host', 'ours-dind']) {
      const ours = r.inflight[id];
      if (ours) goals.push({ goal: `≤ ${kb(GOALS.inFlightBytes)} in flight (${id === 'ours-host' ? 'host' : 'dind'})`, figure: `${kb(ours.maxInFlight)} (WeTTY ${kb(r.inflight.wetty?.maxInFlight ?? NaN)})`, met: ours.maxInFlight <= GOALS.inFlightBytes });
    }
  }

  // (c) Page open to prompt
  if (Object.keys(r.open).length > 0) {
    const open = (id: string) => median(r.open[id] ?? []);
    lines.push(
      '## (c) Page open to prompt',
      '',
      'From navigation start (a new browser context: cold cache) to the first prompt parsed by the terminal. Ours: Start is clicked as soon as the page has loaded; WeTTY and the floor connect on their own.',
      '',
      ...table(
        ['arm', 'page open → prompt', '÷ WeTTY', '÷ floor'],
        ARMS.open.filter((id) => r.open[id]).map((id) => [
          id === 'ours-dind' ? 'ours, dind sandbox from the warm pool (LAB_WARM_SANDBOXES=1)' : id === 'ours-dind-fresh' ? 'ours, fresh dind sandbox (LAB_WARM_SANDBOXES=0)' : label(id),
          spread(summarize(r.open[id] ?? []), ms),
          ratio(open(id), open('wetty')),
          ratio(open(id), open('floor')),
        ]),
      ),
      '',
    );
    for (const [id, name] of [['ours-dind-fresh', 'booted on demand'], ['ours-dind', 'warm pool']] as const) {
      const boots = r.boots[id];
      if (boots?.length) lines.push(`Sandbox boots of the ${name} runner (its log's \`sandbox ready\`, container create to engine up): ${spread(summarize(boots), ms)}, ${boots.length} boots.`, '');
    }
    if (r.open.wetty) {
      for (const [id, name, bar] of [['ours-dind-fresh', 'fresh sandbox, no warm pool', GOALS.freshOpenVsWetty], ['ours-dind', 'sandbox from the warm pool', GOALS.warmOpenVsWetty]] as const) {
        if (!r.open[id]) continue;
        goals.push({ goal: `page open → prompt ≤ ${bar}× WeTTY's (${name})`, figure: `${ratio(open(id), open('wetty'))} (${ms(open(id))} vs ${ms(open('wetty'))}; host ${ms(open('ours-host'))})`, met: open(id) <= bar * open('wetty') });
      }
    }
  }

  // (d) Page JS
  if (Object.keys(r.js).length > 0) {
    const total = (x: PageJs) => x.toLoadGz + x.afterLoadGz + x.inlineGz;
    lines.push(
      '## (d) Page JavaScript before a terminal is used',
      '',
      'Each script the page fetched up to its load event and then until the network was quiet for 3 s, gzipped one file at a time here (zlib default level; the runner serves them uncompressed), plus the page\'s inline scripts. Starlight\'s search loads Pagefind\'s UI when the browser is idle; it is its own column.',
      '',
      ...table(
        ['page', 'scripts to load', 'scripts after load', 'inline', '**total before a terminal is used**', 'Pagefind UI (on idle)', 'files'],
        JS_PAGES.filter(({ id }) => r.js[id]).map(({ id, label: name }) => {
          const rounds = r.js[id] as PageJs[];
          const last = rounds.at(-1);
          return [
            name,
            spread(summarize(rounds.map((x) => x.toLoadGz)), kb),
            spread(summarize(rounds.map((x) => x.afterLoadGz)), kb),
            spread(summarize(rounds.map((x) => x.inlineGz)), kb),
            spread(summarize(rounds.map(total)), kb),
            spread(summarize(rounds.map((x) => x.pagefindJsGz + x.pagefindOtherGz)), kb),
            (last?.files ?? []).map((f) => `${f.name.replace(/_astro_type_script_index_0_lang/, '')} ${kb(f.gz)}${f.when === 'load' ? '' : ` (${f.when})`}`).join(', '),
          ];
        }),
      ),
      '',
    );
    for (const id of ['lab', 'tutorial']) {
      const rounds = r.js[id];
      if (!rounds) continue;
      const value = median(rounds.map(total));
      goals.push({ goal: `page JS ≤ ${kb(GOALS.pageJsBytes)} gz (${id} page)`, figure: `${kb(value)} (bare Starlight page ${kb(median((r.js.home ?? []).map(total)))}; Pagefind UI ${kb(median(rounds.map((x) => x.pagefindJsGz)))} on idle, apart)`, met: value <= GOALS.pageJsBytes });
    }
  }

  if (r.errors.length > 0) lines.push('## Runs that failed', '', ...r.errors.map((e) => `- ${e}`), '');
  const goalLines = ['## Goals', '', 'Issue 12\'s goals (and issue 5\'s that still stand). Ratios are of medians in this run. The capacity suite\'s goals (50 sandboxes held, memory per idle sandbox) are in its section below.', '', ...table(['goal', 'this run', 'status'], goals.map((g) => [g.goal, g.figure, status(g.met)])), ''];
  return [...head, ...goalLines, ...lines].join('\n');
}
