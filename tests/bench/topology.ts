/**
 * How long one snapshot of a sandbox's network takes, and how large it is, in a dind sandbox in the
 * state of the tutorial after its Redis section (6 redis nodes on 172.38.0.0/16 and the four
 * tomcats, on docker0 and mynet). The budget is 150 ms for that snapshot; this reports it,
 * it does not fail on it. Writes tests/bench/results/topology.md.
 *
 * Arms, each N rounds, interleaved:
 *   - snapshot: collectSnapshot() as the runner calls it: one exec through the engine's API
 *     (enter.sh, perl -e collector.pl), then parse, validate and build (runner/topology/);
 *   - exec floor: the same exec path running `true`;
 *   - collector alone: collector.pl timed inside the sandbox (no exec, no parsing);
 *   - docker CLI instead: the same facts gathered with the docker CLI inside the sandbox (docker ps,
 *     docker inspect of containers and networks, nsenter ip per container), the alternative the
 *     collector was chosen over;
 *   - build alone: parse, validate and build of the collector's output, in the runner's process.
 * Then, through the real runner and protocol: from a command's end (its OSC 133 D mark at the
 * client) to the topology message, quiet spell included. And one snapshot with 100 more containers
 * (created, not started: they cost the engine nothing to hold).
 *
 * Run: node tests/bench/topology.ts [rounds]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { connectEngine } from '../../runner/docker.ts';
import { createLogger } from '../../runner/log.ts';
import { DindProvider } from '../../runner/sandbox/dind.ts';
import type { Sandbox } from '../../runner/sandbox/provider.ts';
import { collectRaw, collectSnapshot, COLLECTOR_SCRIPT } from '../../runner/topology/collect.ts';
import { buildSnapshot, parseCollectorOutput } from '../../runner/topology/model.ts';
import { TOPOLOGY_QUIET_MS } from '../../runner/topology/watcher.ts';
import { openSession } from '../support/lab-client.ts';
import { startRunner } from '../support/runner-process.ts';

const rounds = Number(process.argv[2] ?? 30);
const image = process.env.LAB_SANDBOX_IMAGE ?? 'docker-network-lab/sandbox:latest';

const REDIS_SECTION = [
  'docker run -d -P --name tomcat01 tomcat',
  'docker run -d -P --name tomcat02 tomcat',
  'docker network create --driver bridge --subnet 192.168.0.0/16 --gateway 192.168.0.1 mynet',
  'docker run -d -P --name tomcat-net-01 --net mynet tomcat',
  'docker run -d -P --name tomcat-net-02 --net mynet tomcat',
  'docker network connect mynet tomcat01',
  'docker network create redis --subnet 172.38.0.0/16',
  `for port in $(seq 1 6); do mkdir -p /mydata/redis/node-$port/conf; printf 'port 6379\\nbind 0.0.0.0\\ncluster-enabled yes\\ncluster-config-file nodes.conf\\ncluster-announce-ip 172.38.0.1%s\\nappendonly yes\\n' $port >/mydata/redis/node-$port/conf/redis.conf; done`,
  `for port in $(seq 1 6); do docker run -p 637$port:6379 -p 1637$port:16379 --name redis-$port -v /mydata/redis/node-$port/data:/data -v /mydata/redis/node-$port/conf/redis.conf:/etc/redis/redis.conf -d --net redis --ip 172.38.0.1$port redis:5.0.9-alpine3.11 redis-server /etc/redis/redis.conf; done`,
];

/** The same facts with the docker CLI: what the collector replaced. */
const CLI_COLLECTOR = `set -e
ip -j -d addr >/dev/null
ids=$(docker ps -aq --no-trunc)
docker network inspect $(docker network ls -q --no-trunc) >/dev/null
[ -z "$ids" ] || docker inspect $ids >/dev/null
for pid in $( [ -z "$ids" ] || docker inspect -f '{{.State.Pid}}' $ids); do [ "$pid" = 0 ] || nsenter -t "$pid" -n ip -j -d addr >/dev/null; done`;

async function run(sandbox: Sandbox, command: string): Promise<string> {
  const result = await sandbox.exec(['bash', '-c', command], { timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`${command}: exit ${result.code}: ${result.stderr}`);
  return result.stdout;
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] as number;
const p95 = (xs: number[]) => sorted(xs)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)] as number;
const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

const provider = new DindProvider(connectEngine(), { image, memoryBytes: 1024 ** 3, diskBytes: 512 * 1024 ** 2, pids: 512, cpus: 1, warm: 0 }, createLogger({ level: 'warn' }));
const sandbox = await provider.create('bench-topology', () => {});
const arms = { snapshot: [] as number[], execFloor: [] as number[], collectorAlone: [] as number[], dockerCli: [] as number[], buildAlone: [] as number[] };
let snapshotBytes: number;
let rawBytes: number;
let summary: string;
let many: { ms: number[]; bytes: number; containers: number; trimmed: number };
try {
  for (const command of REDIS_SECTION) await run(sandbox, command);
  const { stdout } = await collectRaw(sandbox);
  rawBytes = Buffer.byteLength(stdout);
  const first = buildSnapshot(parseCollectorOutput(stdout), Date.now());
  snapshotBytes = Buffer.byteLength(JSON.stringify(first));
  summary = `${first.containers.length} containers, ${first.networks.length} networks, ${first.host.interfaces.length} host interfaces`;
  for (let i = 0; i < rounds; i++) {
    arms.snapshot.push(await timed(() => collectSnapshot(sandbox)));
    arms.execFloor.push(await timed(() => sandbox.exec(['true'], { timeoutMs: 10_000 })));
    // Timed inside the sandbox, around perl alone.
    const inside = await sandbox.exec(['bash', '-c', 's=$EPOCHREALTIME; perl -e "$1" >/dev/null; e=$EPOCHREALTIME; echo $(( ${e/./} - ${s/./} ))', 'bench', COLLECTOR_SCRIPT], { timeoutMs: 10_000 });
    arms.collectorAlone.push(Number(inside.stdout.trim()) / 1000);
    arms.dockerCli.push(await timed(() => run(sandbox, CLI_COLLECTOR)));
    arms.buildAlone.push(await timed(async () => buildSnapshot(parseCollectorOutput(stdout), Date.now())));
  }
  await run(sandbox, 'for i in $(seq 1 100); do docker create --name extra-$i tomcat >/dev/null; done');
  const times: number[] = [];
  let last = first;
  for (let i = 0; i < Math.min(rounds, 10); i++) {
    const start = performance.now();
    last = await collectSnapshot(sandbox);
    times.push(performance.now() - start);
  }
  many = { ms: times, bytes: Buffer.byteLength(JSON.stringify(last)), containers: last.containers.length, trimmed: last.trimmed };
} finally {
  // Not provider.close(): that would remove the sandboxes' network, which other runners may be using.
  await sandbox.dispose();
}

// Through the runner: a command's end (the D mark at the client) to the topology message.
const latency: number[] = [];
const runner = await startRunner({ LAB_PROVIDER: 'dind' });
try {
  const client = await openSession(runner);
  let arrived = 0;
  client.onTopology(() => (arrived = performance.now()));
  client.watchTopology(true);
  await client.until(() => arrived > 0, 30_000, 'the first snapshot');
  for (let i = 0; i < Math.min(rounds, 15); i++) {
    arrived = 0;
    const from = client.marks.length;
    client.type(`docker network create bench${i} >/dev/null\r`);
    await client.nextMark('command-finished', from, 60_000);
    const ended = performance.now();
    await client.until(() => arrived > 0, 30_000, 'a snapshot');
    latency.push(arrived - ended);
  }
  await client.close();
} finally {
  await runner.stop();
}

const row = (name: string, xs: number[]) => `| ${name} | ${ms(median(xs))} | ${ms(p95(xs))} | ${ms(Math.min(...xs))} | ${ms(Math.max(...xs))} |`;
const engine = (await connectEngine().version()).Version;
const lines = [
  '# One snapshot of a sandbox\'s network',
  '',
  `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}, Docker engine ${engine}; ${rounds} rounds per arm, interleaved. Other work shared the machine.`,
  '',
  `The sandbox after the tutorial's Redis section: ${summary}. Snapshot ${kb(snapshotBytes)} as JSON (the collector's raw output ${kb(rawBytes)}); the frame limit for a snapshot is 256 KiB (MAX_TOPOLOGY_BYTES).`,
  '',
  '| arm | median | p95 | min | max |',
  '| --- | --- | --- | --- | --- |',
  row('**snapshot** (collectSnapshot: exec + collector + build; budget 150 ms)', arms.snapshot),
  row('exec floor (`true` through the same exec path)', arms.execFloor),
  row('collector alone, inside the sandbox', arms.collectorAlone),
  row('docker CLI instead of the collector, inside one exec', arms.dockerCli),
  row('parse + validate + build, in the runner', arms.buildAlone),
  '',
  `With 100 more containers (created, not started): ${many.containers} containers, ${kb(many.bytes)}, trimmed ${many.trimmed}; median ${ms(median(many.ms))}, max ${ms(Math.max(...many.ms))} over ${many.ms.length} snapshots.`,
  '',
  `Through the runner and the protocol, from a command's end (its OSC 133 D mark at the client) to the topology message, ${latency.length} commands (\`docker network create\`), quiet spell of ${TOPOLOGY_QUIET_MS} ms included: median ${ms(median(latency))}, p95 ${ms(p95(latency))}, max ${ms(Math.max(...latency))}.`,
  '',
];
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/topology.md', import.meta.url), lines.join('\n'));
process.stdout.write(lines.join('\n'));
